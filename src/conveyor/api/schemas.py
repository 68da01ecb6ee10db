"""Shared API types: money as decimal strings with a pattern (never JSON numbers), pages."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")

Amount = Annotated[str, Field(pattern=r"^\d{1,13}(\.\d{1,4})?$", examples=["19.99"],
                              description="A non-negative decimal amount in the order's currency")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"], description="ISO 4217 code")]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#+ -]*$")]
ShortText = Annotated[str, Field(max_length=200)]


class PlainJson(dict):  # type: ignore[type-arg]
    """A response body built as plain JSON data by our own code (no encoder pass needed)."""


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error rather than silently ignored, and
    text with a NUL character (which PostgreSQL can't store), so it is a 422 and not a 500."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _contains_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(v) for v in value)
    return False


class Patch(Strict):
    """A partial update: fields not sent stay as they are. An explicit `null` is refused (422) for
    every field except those listed in `nullable` (where null means "clear it")."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k not in cls.nullable)
            if nulls:
                raise ValueError(f"{', '.join(nulls)} may not be null (leave a field out to keep it as it is)")
        return data


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")
