"""Shared API types: money as decimal strings with a pattern (never JSON numbers), pages."""

from __future__ import annotations

import re
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union, get_args, get_origin

import email_validator
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

T = TypeVar("T")

Amount = Annotated[str, Field(pattern=r"^\d{1,13}(\.\d{1,4})?$", examples=["19.99"],
                              description="A non-negative decimal amount in the order's currency")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["USD"], description="ISO 4217 code")]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#+ -]*$")]
ShortText = Annotated[str, Field(max_length=200)]


# The common address, checked by a regular expression: a dot-atom local part and ASCII host names
# under an all-letter top-level domain. `email-validator` is what decides; this only answers early
# for the addresses it would take unchanged but for the domain's case
# (tests/unit/shared/test_email_fast_path.py holds the two together). Costs ~5 µs, the full
# check ~160 µs, on every order placed with an e-mail address.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"(?!..--)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_EMAIL = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")
_SPECIAL_USE = frozenset(email_validator.SPECIAL_USE_DOMAIN_NAMES) - {"test"}
# RFC 2142's role mailboxes (postmaster, support, ...), which email-validator lower-cases.
_ROLE_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def plain_email(value: str) -> str | None:
    """`value` normalised if it is a plain address `email-validator` takes, else None (undecided)."""
    found = _PLAIN_EMAIL.fullmatch(value)
    if found is None or len(value) > 254 or len(found[1]) > 64:
        return None
    domain = found[2].lower()
    if any(domain == name or domain.endswith("." + name) for name in _SPECIAL_USE):
        return None
    local = found[1].lower() if found[1].lower() in _ROLE_MAILBOXES else found[1]
    return f"{local}@{domain}"


def _email_address(value: str) -> str:
    """RFC 5322 syntax, normalised (the domain lower-cased), no DNS look-up. Addresses at `.test`
    (RFC 2606: reserved for testing) are taken, as merchants try the system with them; the other
    special-use names (.invalid, .local, .localhost, .onion, .arpa) can never receive mail."""
    if (plain := plain_email(value)) is not None:
        return plain
    try:
        return email_validator.validate_email(value, check_deliverability=False, test_environment=True).normalized
    except email_validator.EmailNotValidError as e:
        raise ValueError(f"not an e-mail address: {e}") from None


Email = Annotated[str, AfterValidator(_email_address), WithJsonSchema({
    "type": "string", "format": "email", "maxLength": 254,
    "description": "An e-mail address (RFC 5322); special-use domains other than .test "
                   "(.invalid, .local, .localhost, .onion, .arpa) are refused"})]


class PlainJson(dict):  # type: ignore[type-arg]
    """A response body built as plain JSON data by our own code (no encoder pass needed)."""


class Strict(BaseModel):
    """Request bodies say what their JSON Schema says, no more and no less:
    - unknown fields are refused, so a typo is an error rather than silently ignored;
    - text may not hold a NUL character (PostgreSQL can't store it) or half a surrogate pair (not
      Unicode; no database stores it): a 422, never a 500;
    - a boolean is true or false, a number is a JSON number, a date-time is RFC 3339 text -
      pydantic alone would take 0/"yes" for true, "12" for 12, and 1700000000 for a date;
    - an integer may be written 2.0: JSON Schema calls that an integer, so it is one."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _json_as_the_schema_says(cls, data: Any) -> Any:
        data = _checked_document(data)
        if isinstance(data, dict):
            for name, kind in _field_kinds(cls).items():
                value = data.get(name)
                if value is not None and not _is_kind(value, kind):
                    raise PydanticCustomError("json_type", "{field}: expected {kind}", {"field": name, "kind": kind})
        return data


KINDS: dict[type, str] = {bool: "true or false", int: "an integer", float: "a number",
                          datetime: "an RFC 3339 date-time such as 2026-11-30T12:00:00Z",
                          date: "a date such as 2026-11-30"}


def _is_kind(value: Any, kind: str) -> bool:
    if kind == KINDS[bool]:
        return isinstance(value, bool)
    if kind in (KINDS[int], KINDS[float]):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str) and not _NUMBER.match(value)  # a date or date-time


def iso_timestamp(value: Any) -> Any:
    """An RFC 3339 date-time as the schema says: pydantic would also read 1700000000 or "0.5" as
    seconds since 1970."""
    if not _is_kind(value, KINDS[datetime]):
        raise ValueError(f"expected {KINDS[datetime]}")
    return value


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A date-time query parameter (`?created_from=`): the same rule as in bodies.
Timestamp = Annotated[datetime, BeforeValidator(iso_timestamp)]


def _base_types(annotation: Any) -> set[Any]:
    """`Annotated[int, ...] | None` -> {int}."""
    if get_origin(annotation) is Annotated:
        return _base_types(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return set().union(*(_base_types(a) for a in get_args(annotation) if a is not type(None)))
    return {annotation}


def _field_kinds(model: type[BaseModel]) -> dict[str, str]:
    """Fields of a single scalar kind -> that kind's name (per class, computed once)."""
    found = model.__dict__.get("_conveyor_field_kinds")
    if found is None:
        found = {}
        for name, field in model.model_fields.items():
            types = _base_types(field.annotation)
            if len(types) == 1 and (kind := KINDS.get(next(iter(types)))) is not None:
                found[name] = kind
        model._conveyor_field_kinds = found  # type: ignore[attr-defined]
    return found


def _checked_document(value: Any) -> Any:
    """Refuse text no database can store; turn integral floats (2.0) into integers. Returns the
    document (a copy only when a number changed). A loop, not recursion: depth is the caller's."""
    pending, floats = [value], False
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise PydanticCustomError("nul_character", "text may not contain NUL characters")
            if _SURROGATE.search(item):
                raise PydanticCustomError("invalid_text", "text must be Unicode (a lone surrogate is not)")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) and item.is_integer() and abs(item) <= 2**63:
            floats = True
    return _integers(value) if floats else value


def _integers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: _integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers(v) for v in value]
    return value


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
