"""Data-subject requests: export everything held about a person, or erase it (admins only).

The person is named in the body, never in the URL, so their e-mail address stays out of access
logs and proxies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from conveyor.api.deps import container, require
from conveyor.api.personal import log_read
from conveyor.api.schemas import Email, Strict
from conveyor.auth.roles import PRIVACY_MANAGE
from conveyor.auth.service import Principal
from conveyor.bootstrap import Container
from conveyor.privacy import handlers

router = APIRouter(prefix="/customers", tags=["privacy"])


class PersonIn(Strict):
    email: Email | None = None
    phone: Annotated[str, Field(max_length=40, pattern=r"^\+?[\d\s().-]*$")] = ""

    @model_validator(mode="after")
    def _named(self) -> PersonIn:
        if not self.email and not self.phone.strip():
            raise ValueError("name the person by email and/or phone")
        return self


class EraseIn(PersonIn):
    reason: Annotated[str, Field(min_length=1, max_length=200, description="why, for the record (e.g. a ticket)")]


class ErasedOut(BaseModel):
    orders: int
    timeline_entries: int
    channel_payloads: int
    drafts: int
    outbox_messages: int
    emails_sent: int
    fulfilment_requests: int
    labels: int
    stored_responses: int


@router.post("/export", responses={422: {"description": "no e-mail address or phone number given"}})
async def export_person(body: PersonIn, who: Principal = Depends(require(PRIVACY_MANAGE)),
                        c: Container = Depends(container)) -> dict[str, Any]:
    """Everything held about one person (orders, timeline, channel payloads, drafts, messages,
    e-mails sent, 3PL requests) as one JSON document. The read is logged."""
    document = await run_in_threadpool(handlers.export_person, c, str(body.email or ""), body.phone)
    log_read(who, "export", [o["id"] for o in document["orders"]])
    return document


@router.post("/erase", response_model=ErasedOut,
             responses={409: {"description": "an order of theirs is still being fulfilled"}})
async def erase_person(body: EraseIn, who: Principal = Depends(require(PRIVACY_MANAGE)),
                       c: Container = Depends(container)) -> ErasedOut:
    """Anonymise the person everywhere and keep the financial record (lines, totals, ledger).
    Refused (409) while one of their orders is still being fulfilled. Cannot be undone."""
    counts = await run_in_threadpool(handlers.erase_person, c, str(body.email or ""), body.phone, who.actor,
                                     body.reason)
    return ErasedOut(**counts)
