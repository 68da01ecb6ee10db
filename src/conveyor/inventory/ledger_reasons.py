"""Why stock moved: the reason on every ledger entry (other areas name it when they move stock)."""

from __future__ import annotations

from enum import StrEnum


class LedgerReason(StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ALLOCATION = "allocation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"
    COUNT = "count"
    RESERVATION = "reservation"
    RESERVATION_RELEASE = "reservation_release"
    INCOMING = "incoming"
    IMPORT = "import"
