"""Makers' payouts: their ledger with each line's state, balances and payouts, the statement
CSV; operators' payout runs (Idempotency-Key)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta

from aiohttp import web

from services.orders import schemas, store, usecases
from services.orders.api.common import my_maker_id, routes
from services.orders.payout_provider import PAYOUT_PROVIDER
from services.orders.settings import ORDERS_SETTINGS
from shared.db import UnitOfWork
from shared.errors import ProblemError
from shared.http import POOL, Call
from shared.idempotency import HEADER, HEADER_DOC, RESPONSES, idempotent
from shared.money import Money
from shared.paging import decode_time_id, encode_time_id

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _hold(call: Call) -> timedelta:
    return timedelta(days=call.app[ORDERS_SETTINGS].payout_hold_days)


@routes.get(
    "/api/v1/payouts", query=schemas.PayoutQuery, response=schemas.PayoutsView, roles=("maker", "operator")
)
async def list_payouts(call: Call) -> schemas.PayoutsView:
    """A maker's payout ledger (earnings on delivery, reversals of refunds), each line
    `pending` (held 14 days after delivery, or a return open), `available` or `paid`; the
    balance so split, and their payouts. Operators name the maker with `?maker_id=`."""
    query: schemas.PayoutQuery = call.query
    if call.user.is_operator:
        if query.maker_id is None:
            raise ProblemError(
                422, "Validation failed", "Operators name the maker: ?maker_id=", code="maker_id_required"
            )
        maker_id: uuid.UUID | None = query.maker_id
    else:
        maker_id = await my_maker_id(call)
    payouts = await usecases.list_payouts(
        call.app[POOL],
        maker_id=maker_id,
        after=decode_time_id(query.cursor),
        limit=query.limit,
        hold=_hold(call),
    )
    return schemas.PayoutsView(
        items=[schemas.ledger_line_view(line.entry, line.state, line.reference) for line in payouts.lines],
        next_cursor=encode_time_id(payouts.next_position),
        balance=payouts.balances[0] if payouts.balances else Money.zero("GBP"),
        balances=payouts.balances,
        pending=payouts.by_state.pending,
        available=payouts.by_state.available,
        paid=payouts.by_state.paid,
        payouts=[
            schemas.PayoutLineView(id=p.id, amount=p.amount, status=p.status, paid_at=p.settled_at)
            for p in payouts.payouts
        ],
    )


@routes.get(
    "/api/v1/payouts/statement.csv",
    query=schemas.StatementQuery,
    roles=("maker",),
    produces="text/csv",
    extra_responses={422: "statement_range_invalid: `to` is before `from`"},
)
async def payout_statement(call: Call) -> web.Response:
    """The maker's statement from `from` to `to` (days, inclusive, UTC): one line per ledger
    entry, `date, reference, kind, gross, commission, net` (amounts in major units)."""
    query: schemas.StatementQuery = call.query
    if query.end < query.start:
        raise ProblemError(
            422, "Validation failed", "The statement ends before it starts", code="statement_range_invalid"
        )
    start = datetime.combine(query.start, time(), UTC)
    end = datetime.combine(query.end + timedelta(days=1), time(), UTC)
    lines = await usecases.statement(call.app[POOL], maker_id=await my_maker_id(call), start=start, end=end)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "reference", "kind", "gross", "commission", "net", "currency"])
    for line in lines:
        writer.writerow(
            _safe_cells(
                [
                    line.at.date().isoformat(),
                    line.reference,
                    line.kind.value,
                    _major(line.gross),
                    _major(line.commission),
                    _major(line.net),
                    line.gross.currency,
                ]
            )
        )
    filename = f"statement-{query.start.isoformat()}-{query.end.isoformat()}.csv"
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _major(money: Money) -> str:
    """Minor units as a decimal number of major units (GBP 2 places)."""
    sign = "-" if money.amount < 0 else ""
    whole, cents = divmod(abs(money.amount), 100)
    return f"{sign}{whole}.{cents:02d}"


def _safe_cells(cells: list[str]) -> list[str]:
    """Text cells that a spreadsheet would run as a formula are prefixed with a quote; numbers
    (a reversal's negative amounts) stay numbers."""
    return [
        f"'{cell}" if cell.startswith(_FORMULA_STARTS) and not _is_number(cell) else cell for cell in cells
    ]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@routes.post(
    "/api/v1/payout-runs",
    response=schemas.PayoutRunView,
    status=201,
    roles=("operator",),
    headers={HEADER: HEADER_DOC},
    extra_responses=RESPONSES,
)
async def run_payouts(call: Call) -> web.Response:
    """Pay each maker's available balance of at least `ORDERS_PAYOUT_MINIMUM` through the payout
    provider: each ledger entry once, however runs are retried, stopped half way or raced."""
    settings = call.app[ORDERS_SETTINGS]
    pool, provider = call.app[POOL], call.app[PAYOUT_PROVIDER]

    async def run(_: UnitOfWork) -> schemas.PayoutRunView:
        # The run commits step by step on connections of its own, so a run stopped half way
        # keeps what it claimed and paid; this unit of work only keeps the response.
        result = await usecases.run_payouts(
            pool, provider, minimum=settings.payout_minimum, hold=timedelta(days=settings.payout_hold_days)
        )
        return schemas.payout_run_view(result)

    return await idempotent(call, store.PRODUCER, run, status=201)
