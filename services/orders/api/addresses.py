"""A customer's address book: list, add, delete (/api/v1/me/addresses)."""

from __future__ import annotations

from aiohttp import web

from services.orders import schemas, store, usecases
from services.orders.api.common import in_unit_of_work, routes
from shared.http import POOL, Call
from shared.paging import Page


@routes.get("/api/v1/me/addresses", response=Page[schemas.SavedAddressView], roles=("customer",))
async def list_addresses(call: Call) -> Page[schemas.SavedAddressView]:
    """The caller's saved addresses, oldest first (at most 20, so one page)."""
    saved = await store.addresses_of(call.app[POOL], call.user.user_id)
    return Page(items=[schemas.saved_address_view(entry) for entry in saved])


@routes.post(
    "/api/v1/me/addresses",
    body=schemas.AddressIn,
    response=schemas.SavedAddressView,
    status=201,
    roles=("customer",),
    extra_responses={422: "postcode_invalid, invalid_country, address_book_full (20 kept)"},
)
async def add_address(call: Call) -> schemas.SavedAddressView:
    """Save an address for later checkouts: checked like an order's (UK postcodes kept as
    printed, `EC1N 8AA`)."""
    body: schemas.AddressIn = call.body
    address, customer_id = body.address(where=("body",)), call.user.user_id
    saved = await in_unit_of_work(
        call, lambda uow: usecases.add_address(uow, customer_id=customer_id, address=address)
    )
    return schemas.saved_address_view(saved)


@routes.delete("/api/v1/me/addresses/{id}", status=204, roles=("customer",))
async def delete_address(call: Call) -> web.Response:
    """Delete a saved address (another customer's is reported as missing); orders placed with it
    keep their own copy."""
    await usecases.delete_address(call.app[POOL], customer_id=call.user.user_id, address_id=call.path_id())
    return web.Response(status=204)
