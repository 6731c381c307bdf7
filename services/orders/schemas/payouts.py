"""A maker's ledger, statements and payout runs."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from services.orders.domain import (
    EntryState,
    LedgerEntry,
    LedgerKind,
    PayoutStatus,
    to_json,
)
from services.orders.schemas.common import _View
from services.orders.usecases.payout_runs import PayoutRun
from shared.money import Money
from shared.paging import Page, PageQuery


class PayoutQuery(PageQuery):
    maker_id: uuid.UUID | None = Field(None, description="Operators: whose ledger (required)")


class StatementQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: date = Field(validation_alias="from", description="First day (inclusive, UTC)")
    end: date = Field(validation_alias="to", description="Last day (inclusive, UTC)")


class LedgerLineView(_View):
    id: uuid.UUID
    maker_order_id: uuid.UUID
    reference: str = Field(description="The maker order's reference: FF-7K3D-92QX-1")
    kind: LedgerKind
    gross: Money
    commission: Money
    net: Money
    at: datetime
    state: EntryState = Field(description="pending (held or a return open), available, paid")


class PayoutLineView(_View):
    id: uuid.UUID
    amount: Money
    status: PayoutStatus
    paid_at: datetime | None = Field(description="When it was paid (or failed)")


class PayoutsView(Page[LedgerLineView]):
    """A page of the ledger, newest first, with the maker's whole balance split by state."""

    balance: Money = Field(description="The sum of every line's net amount")
    balances: list[Money] = Field(description="The balance per currency, if ever more than one")
    pending: Money = Field(description="Earnings held after delivery or while a return is open")
    available: Money = Field(description="What the next payout run sends (at least the minimum)")
    paid: Money = Field(description="What payout runs have sent")
    payouts: list[PayoutLineView] = Field(description="Payouts sent or failed, newest first")


class RunPayoutView(_View):
    id: uuid.UUID
    maker_id: uuid.UUID
    amount: Money
    status: PayoutStatus


class PayoutRunView(_View):
    id: uuid.UUID
    payouts: list[RunPayoutView]


def ledger_line_view(entry: LedgerEntry, state: EntryState, reference: str) -> LedgerLineView:
    return LedgerLineView.model_validate({**to_json(entry), "state": state, "reference": reference})


def payout_run_view(run: PayoutRun) -> PayoutRunView:
    return PayoutRunView(
        id=run.id,
        payouts=[
            RunPayoutView(id=payout.id, maker_id=payout.maker_id, amount=payout.amount, status=payout.status)
            for payout in run.payouts
        ],
    )
