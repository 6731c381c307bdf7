"""Invoices as HTML pages people print (the template: services/orders/templates/invoice.html,
autoescaped)."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from services.orders.api.common import CONFLICT_DOC, my_maker_id, routes
from services.orders.usecases.invoices import maker_order_invoice as invoice_of
from shared.http import POOL, Call
from shared.money import Money

_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(value: Money) -> str:
    """£1,234.50; a currency without a symbol here is written by its code (CHF 12.00)."""
    units, minor = divmod(abs(value.amount), 100)
    sign = "-" if value.amount < 0 else ""
    symbol = _CURRENCY_SYMBOLS.get(value.currency)
    number = f"{units:,}.{minor:02d}"
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{value.currency} {number}"


_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_TEMPLATES.filters["money"] = money


@routes.get(
    "/api/v1/maker-orders/{id}/invoice",
    roles=("customer", "maker", "operator"),
    produces="text/html",
    extra_responses={409: "not_invoiced: the parcel was declined or cancelled; " + CONFLICT_DOC},
)
async def maker_order_invoice(call: Call) -> web.Response:
    """The invoice of one parcel (its customer, its maker, operators), as a printable page."""
    caller = call.user
    invoice = await invoice_of(
        call.app[POOL],
        call.path_id(),
        user_id=caller.user_id,
        maker_id=await my_maker_id(call) if caller.role == "maker" else None,
        operator=caller.is_operator,
    )
    html = _TEMPLATES.get_template("invoice.html").render(
        invoice=invoice, vat_percent=f"{(invoice.vat_rate * 100).normalize():f}"
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8")
