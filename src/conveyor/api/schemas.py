"""Shared API types: money as decimal strings with a pattern (never JSON numbers), pages."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

T = TypeVar("T")

Amount = Annotated[str, Field(pattern=r"^\d{1,13}(\.\d{1,4})?$", examples=["19.99"],
                              description="A non-negative decimal amount in the order's currency")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"], description="ISO 4217 code")]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#+ -]*$")]
ShortText = Annotated[str, Field(max_length=200)]


class PlainJson(dict):  # type: ignore[type-arg]
    """A response body built as plain JSON data by our own code (no encoder pass needed)."""


class Strict(BaseModel):
    """Request bodies refuse unknown fields, so a typo is an error rather than silently ignored;
    text with a NUL character (which PostgreSQL can't store), so it is a 422 and not a 500; and
    anything but true/false for a boolean (pydantic would take 0, 1, "yes" - the schema says boolean)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _contains_nul(data):
            raise PydanticCustomError("nul_character", "text may not contain NUL characters")
        if isinstance(data, dict):
            booleans, timestamps = _strict_fields(cls)
            for name in booleans:
                if data.get(name) is not None and not isinstance(data[name], bool):
                    raise ValueError(f"{name} must be true or false")
            for name in timestamps:
                if data.get(name) is not None:
                    iso_timestamp(data[name])
        return data


def iso_timestamp(value: Any) -> Any:
    """An RFC 3339 date-time as the schema says: pydantic would also read 1700000000 or "0.5" as
    seconds since 1970."""
    if not isinstance(value, str) or _NUMBER.match(value):
        raise ValueError("expected an RFC 3339 date-time such as 2026-11-30T12:00:00Z")
    return value


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
# A date-time query parameter (`?created_from=`): the same rule as in bodies.
Timestamp = Annotated[datetime, BeforeValidator(iso_timestamp)]


def _of_type(annotation: Any, kind: type) -> bool:
    return annotation is kind or set(get_args(annotation)) == {kind, type(None)}


def _strict_fields(model: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's boolean and date-time fields (per class, computed once)."""
    found = model.__dict__.get("_conveyor_strict_fields")
    if found is None:
        fields = model.model_fields.items()
        found = (tuple(name for name, f in fields if _of_type(f.annotation, bool)),
                 tuple(name for name, f in fields if _of_type(f.annotation, datetime)))
        model._conveyor_strict_fields = found  # type: ignore[attr-defined]
    return found


def _contains_nul(value: Any) -> bool:
    """Any text anywhere in a parsed JSON document (a loop, not recursion: depth is the caller's)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
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

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The schema says what the validator says: `null` only where it means "clear it"."""
        schema = handler(core_schema)
        for name, prop in handler.resolve_ref_schema(schema).get("properties", {}).items():
            if name not in cls.nullable:
                _drop_null(prop)
        return schema


def _drop_null(prop: dict[str, Any]) -> None:
    kinds = [k for k in prop.get("anyOf", ()) if k != {"type": "null"}]
    if "anyOf" in prop and len(kinds) < len(prop["anyOf"]):
        del prop["anyOf"]
        if len(kinds) == 1:
            prop.update(kinds[0])
        else:
            prop["anyOf"] = kinds
    if prop.get("default", ...) is None:
        del prop["default"]  # "leave it out", not a null to send


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")
