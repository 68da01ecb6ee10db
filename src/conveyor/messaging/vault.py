"""Webhook signing secrets encrypted at rest, the way channel credentials are (Fernet: AES-128-CBC
+ HMAC-SHA256, key derived from CONVEYOR_SECRET_KEY). A separate derivation label keeps the two
kinds of secret apart: a token sealed for one cannot be opened as the other."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from conveyor.shared.errors import DomainError, ErrorCode


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"conveyor-webhook-secrets:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secrets: list[str]) -> str:
        return self._fernet.encrypt(json.dumps(secrets).encode()).decode()

    def open(self, token: str) -> list[str]:
        try:
            return list(json.loads(self._fernet.decrypt(token.encode())))
        except InvalidToken:
            raise DomainError(ErrorCode.INTERNAL, "webhook secrets cannot be decrypted: was CONVEYOR_SECRET_KEY "
                              "changed? Rotate the subscription's secret.") from None


@lru_cache(maxsize=4)
def box_for(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)
