"""API keys (stored hashed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    # sha256 of the secret part; keys are 256-bit random, so a fast hash is enough.
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str | None] = mapped_column(ForeignKey("channels.id"), default=None)
    # Permissions granted to this key beyond its role (auth.roles.GRANTABLE), e.g. `pii:read`.
    grants: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
