"""Shared API types: money as decimal strings with a pattern (never JSON numbers), pages."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Amount = Annotated[str, Field(pattern=r"^\d{1,13}(\.\d{1,4})?$", examples=["19.99"],
                              description="A non-negative decimal amount in the order's currency")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"], description="ISO 4217 code")]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#+ -]*$")]
ShortText = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")
