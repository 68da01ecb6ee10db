"""Automation tables: the rule set, stored as data (one row per rule, run in `position` order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.shared.clock import utcnow
from conveyor.shared.db import Base, JsonDoc, UtcDateTime


class AutomationRule(Base):
    __tablename__ = "automation_rules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Unique, case-insensitively (checked by the service: rule names appear on order timelines).
    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The rule document as validated by `automation.rules.parse_rule` (docs/automation.md).
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="system")
