"""Channel credentials encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The Fernet key is derived from `CONVEYOR_SECRET_KEY`, so operators keep one secret, not a
key file. Losing or changing that setting makes stored credentials unreadable (re-enter
them); it does not affect anything else. Secrets are decrypted only where they are used
(signature checks, pull connectors, sync adapters) and never leave through the API.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache

import structlog
from cryptography.fernet import Fernet, InvalidToken

from conveyor.config import DEV_SECRET_KEY, Settings
from conveyor.shared.errors import DomainError, ErrorCode


class Vault:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"conveyor-channel-secrets:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        if secret_key == DEV_SECRET_KEY:
            _warn_dev_key()

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        return _vault(settings.secret_key)

    def seal(self, secrets: dict[str, str]) -> str | None:
        if not secrets:
            return None
        return self._fernet.encrypt(json.dumps(secrets, sort_keys=True).encode()).decode()

    def open(self, token: str | None) -> dict[str, str]:
        if not token:
            return {}
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise DomainError(ErrorCode.INTERNAL, "channel secrets cannot be decrypted: was "
                              "CONVEYOR_SECRET_KEY changed? Re-enter the channel's credentials.") from None


@lru_cache(maxsize=4)
def _vault(secret_key: str) -> Vault:
    return Vault(secret_key)


@lru_cache(maxsize=1)
def _warn_dev_key() -> None:
    structlog.get_logger().warning(
        "CONVEYOR_SECRET_KEY is the development default: channel credentials are not protected")
