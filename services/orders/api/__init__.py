"""Orders' HTTP API: thin handlers that parse, authorise, call one use case
(services/orders/usecases/) or read, and render (services/orders/schemas/); docs/api.md.

Who may do what:
    customers   place orders (Idempotency-Key), read and cancel their own, return delivered
                pieces; keep an address book; request commissions, accept a quote
                (Idempotency-Key) or withdraw
    makers      their maker orders: accept, decline, quality-check, dispatch; receive their
                returns; their payouts and statement;
                quote or decline commissions addressed to them
    both        write to each other in conversations about an order, a commission or a
                listing (the customer starts them)
    operators   read everything (conversations too, never writing in them); mark maker orders
                delivered (the carrier webhook's stand-in) and refund delivered ones; reject
                returns; run payouts (Idempotency-Key)

A maker is known by their token's subject through the makers read model (makers.maker.*
events). Another user's order, maker order or commission is reported as missing (404).
Prices, stock and a maker's standing never come from the client: lines are priced from the
listings read model and re-checked against catalogue's reservation.
"""

from services.orders.api import (
    addresses,
    commissions,
    conversations,
    invoices,
    maker_orders,
    orders,
    payouts,
    returns,
)
from services.orders.api.common import ORDER_CHANGES, routes

# Importing each module registers its handlers on `routes`.
__all__ = [
    "ORDER_CHANGES",
    "addresses",
    "commissions",
    "conversations",
    "invoices",
    "maker_orders",
    "orders",
    "payouts",
    "returns",
    "routes",
]
