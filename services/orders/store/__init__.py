"""Orders' SQL: the read models of listings and makers, the Order aggregate (with its maker
orders), commissions, conversations, returns, the payout ledger, the lists, and the work lists
of the sweepers.

Saving is optimistic on top of a row lock: commands `load_*` an aggregate in their unit of work,
which locks its row (so changes to one order queue up instead of failing) and remembers the
version it was loaded at (`uow.track`); every UPDATE still only succeeds against that version,
so a bug that skipped the lock could never silently overwrite a change. `save_*` writes what
changed and puts the events the aggregate recorded into the outbox, in the caller's
transaction. `read_*` reads without locking, for answers that change nothing.
"""

from services.orders.store.addresses import (
    add_address,
    addresses_of,
    count_addresses_locked,
    delete_address,
    saved_address,
)
from services.orders.store.commissions import (
    commissions_page,
    load_commission,
    read_commission,
    save_commission,
)
from services.orders.store.common import PRODUCER, Position
from services.orders.store.conversations import (
    claim_conversation,
    conversations_page,
    load_conversation,
    maker_names,
    mark_read,
    messages_page,
    read_conversation,
    save_conversation,
)
from services.orders.store.ledger import (
    earning_of,
    ledger_balances,
    ledger_page,
    post_ledger_entry,
    reversals_of,
)
from services.orders.store.orders import (
    ORDER_CHANGED,
    MakerOrderInContext,
    ReferenceTaken,
    claim_compensations,
    claim_expired_orders,
    defer_compensation,
    load_order,
    maker_order_in_context,
    maker_orders_page,
    order_id_of_maker_order,
    order_references,
    orders_page,
    read_order,
    save_order,
)
from services.orders.store.read_models import (
    MakerRecord,
    listings,
    maker,
    maker_id_for_user,
    maker_shipping,
    upsert_listing,
    upsert_maker,
)
from services.orders.store.returns import (
    load_return,
    order_id_of_return,
    read_return,
    returns_of_order,
    returns_page,
    save_return,
)
from shared.db import Executor

__all__ = [
    "ORDER_CHANGED",
    "PRODUCER",
    "Executor",
    "MakerOrderInContext",
    "MakerRecord",
    "Position",
    "ReferenceTaken",
    "add_address",
    "addresses_of",
    "claim_compensations",
    "claim_conversation",
    "claim_expired_orders",
    "commissions_page",
    "conversations_page",
    "count_addresses_locked",
    "defer_compensation",
    "delete_address",
    "earning_of",
    "ledger_balances",
    "ledger_page",
    "listings",
    "load_commission",
    "load_conversation",
    "load_order",
    "load_return",
    "maker",
    "maker_id_for_user",
    "maker_names",
    "maker_order_in_context",
    "maker_orders_page",
    "maker_shipping",
    "mark_read",
    "messages_page",
    "order_id_of_maker_order",
    "order_id_of_return",
    "order_references",
    "orders_page",
    "post_ledger_entry",
    "read_commission",
    "read_conversation",
    "read_order",
    "read_return",
    "returns_of_order",
    "returns_page",
    "reversals_of",
    "save_commission",
    "save_conversation",
    "save_order",
    "save_return",
    "saved_address",
    "upsert_listing",
    "upsert_maker",
]
