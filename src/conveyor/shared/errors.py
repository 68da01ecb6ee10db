"""Domain errors with stable codes. The API maps codes to HTTP statuses in one place
(`conveyor.api.errors`); services never know about HTTP."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "validation_error"
    MALFORMED_JSON = "malformed_json"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    INSUFFICIENT_STOCK = "insufficient_stock"
    ILLEGAL_TRANSITION = "illegal_transition"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    UNKNOWN_SKU = "unknown_sku"
    INACTIVE_SKU = "inactive_sku"
    UNKNOWN_LOCATION = "unknown_location"
    UNKNOWN_CHANNEL = "unknown_channel"
    UNKNOWN_CURRENCY = "unknown_currency"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_CURSOR = "invalid_cursor"
    # a document in a language of its own (automation rules): the schema can only say "an object"
    INVALID_RULE = "invalid_rule"
    BUSY = "busy"
    DATABASE_UNAVAILABLE = "database_unavailable"
    INVALID_SIGNATURE = "invalid_signature"
    UNPARSEABLE_PAYLOAD = "unparseable_payload"
    CHANNEL_UNAVAILABLE = "channel_unavailable"
    INTERNAL = "internal_error"
    RATE_LIMITED = "rate_limited"  # too many requests for one API key (api/ratelimit.py)
    # shipping & fulfilment
    SERVICE_UNAVAILABLE = "service_unavailable"
    INVALID_TRACKING_NUMBER = "invalid_tracking_number"
    CARRIER_ERROR = "carrier_error"
    SCAN_REFUSED = "scan_refused"  # packing: a scanned unit that does not belong (the message says why)
    NO_SHIPPING_ADDRESS = "no_shipping_address"
    # money (payments, returns, billing)
    CAPTURE_EXCEEDS_AUTHORIZED = "capture_exceeds_authorized"
    REFUND_EXCEEDS_CAPTURED = "refund_exceeds_captured"
    AUTHORIZATION_EXPIRED = "authorization_expired"
    PAYMENT_STATE = "payment_state"
    CURRENCY_MISMATCH = "currency_mismatch"
    RETURN_NOT_ALLOWED = "return_not_allowed"
    RETURN_LINK_EXPIRED = "return_link_expired"
    UNBALANCED_TRANSACTION = "unbalanced_transaction"
    INVALID_DOCUMENT_NUMBER = "invalid_document_number"
    # buy and plan (purchasing)
    OVER_RECEIPT = "over_receipt"
    UNKNOWN_SUPPLIER = "unknown_supplier"


class DomainError(Exception):
    """A rule was broken. `code` is stable and machine-readable; `detail` is for people;
    `extra` carries structured context (e.g. the short lines of an insufficient-stock error)."""

    def __init__(self, code: ErrorCode, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    def __init__(self, what: str, key: str) -> None:
        super().__init__(ErrorCode.NOT_FOUND, f"{what} {key!r} not found", resource=what, key=key)


class Conflict(DomainError):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(ErrorCode.CONFLICT, detail, **extra)


class ValidationFailed(DomainError):
    def __init__(self, detail: str, code: ErrorCode = ErrorCode.VALIDATION_ERROR, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
