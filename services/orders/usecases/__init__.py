"""The orders service's use cases: plain async functions over a unit of work, called by the HTTP
API (services/orders/api/), by the event handlers (services/orders/handlers.py) and by tests,
with no HTTP in sight. Each loads what it changes (locked, through the store), asks the domain
to change it, pays back what the change owes, and saves it with its events.

Who may act is decided here only where it needs the data: another user's order, maker order or
commission is reported as missing (`not_found`), like one that does not exist. Roles are
checked by the HTTP layer before a use case runs (docs/architecture.md, Trust and security).
"""

from services.orders.usecases.addresses import (
    AddressChoice,
    add_address,
    delete_address,
    resolve_shipping_address,
)
from services.orders.usecases.commissions import (
    accept_commission,
    decline_commission,
    quote_commission,
    request_commission,
    withdraw_commission,
)
from services.orders.usecases.conversations import (
    Caller,
    caller,
    open_conversation,
    post_message,
    start_conversation,
)
from services.orders.usecases.maker_orders import (
    accept_maker_order,
    decline_maker_order,
    deliver_maker_order,
    dispatch_maker_order,
    quality_check_maker_order,
    refund_maker_order,
)
from services.orders.usecases.orders import (
    cancel_order,
    order_placed,
    place_order,
    reservation_failed,
    stock_reserved,
)
from services.orders.usecases.payout_runs import PayoutRun, run_payouts
from services.orders.usecases.payouts import Payouts, list_payouts, statement
from services.orders.usecases.quotes import PricedBasket, price_basket
from services.orders.usecases.read_models import record_listing, record_maker
from services.orders.usecases.returns import receive_return, reject_return, request_return

__all__ = [
    "AddressChoice",
    "Caller",
    "PayoutRun",
    "Payouts",
    "PricedBasket",
    "accept_commission",
    "accept_maker_order",
    "add_address",
    "caller",
    "cancel_order",
    "decline_commission",
    "decline_maker_order",
    "delete_address",
    "deliver_maker_order",
    "dispatch_maker_order",
    "list_payouts",
    "open_conversation",
    "order_placed",
    "place_order",
    "post_message",
    "price_basket",
    "quality_check_maker_order",
    "quote_commission",
    "receive_return",
    "record_listing",
    "record_maker",
    "refund_maker_order",
    "reject_return",
    "request_commission",
    "request_return",
    "reservation_failed",
    "resolve_shipping_address",
    "run_payouts",
    "start_conversation",
    "statement",
    "stock_reserved",
    "withdraw_commission",
]
