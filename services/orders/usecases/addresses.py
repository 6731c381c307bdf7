"""Customers' address books, and the one place a checkout's address is resolved: typed in, or
an entry of the customer's own address book (copied onto the order, so deleting the entry later
changes nothing)."""

from __future__ import annotations

import uuid

from services.orders import store
from services.orders.domain.addresses import SavedAddress, check_room_for_address
from services.orders.domain.order import ShippingAddress
from shared.db import Executor, UnitOfWork
from shared.errors import Violation, not_found, rules_violated

# How a checkout names where to send it: an address typed in (already checked by the domain's
# `checked_address`) or the id of one in the customer's address book.
AddressChoice = ShippingAddress | uuid.UUID


async def resolve_shipping_address(
    db: Executor, customer_id: uuid.UUID, choice: AddressChoice
) -> ShippingAddress:
    """The address an order (or a quote) is sent to. A saved address that is not the
    customer's own is refused like one that does not exist (422 `address_not_found`)."""
    if isinstance(choice, ShippingAddress):
        return choice
    saved = await store.saved_address(db, choice)
    if saved is None or saved.customer_id != customer_id:
        raise rules_violated(
            [Violation(("shipping_address_id",), "No such address in your address book", "address_not_found")]
        )
    return saved.address


async def add_address(uow: UnitOfWork, *, customer_id: uuid.UUID, address: ShippingAddress) -> SavedAddress:
    """Keep one more address (checked by the domain already), within the address book's cap
    (422 `address_book_full`)."""
    check_room_for_address(await store.count_addresses_locked(uow.conn, customer_id))
    saved = SavedAddress(id=uuid.uuid4(), customer_id=customer_id, address=address)
    await store.add_address(uow.conn, saved)
    return saved


async def delete_address(db: Executor, *, customer_id: uuid.UUID, address_id: uuid.UUID) -> None:
    """Delete one of the customer's addresses; another customer's is reported as missing."""
    if not await store.delete_address(db, customer_id, address_id):
        raise not_found("Address")
