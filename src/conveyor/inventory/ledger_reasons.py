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
    RETURN = "return"  # a returned unit back on the shelf (graded resellable)
    RETURN_QUARANTINE = "return_quarantine"  # a returned unit into quarantine (damaged / defective)
    QUARANTINE_RELEASE = "quarantine_release"  # inspected and fit to sell: quarantine -> on hand
    QUARANTINE_SCRAP = "quarantine_scrap"  # written off: out of quarantine, out of the building
    COUNT = "count"
    RESERVATION = "reservation"
    RESERVATION_RELEASE = "reservation_release"
    INCOMING = "incoming"
    IMPORT = "import"
