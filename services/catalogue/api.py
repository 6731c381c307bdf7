"""The catalogue's HTTP API: thin handlers (parse, authorise, call one use case, render the
view from schemas.py).

Who may do what:
    approved makers   create listings and publish them
    owning makers     edit, pause and archive their listings (whatever their own status), see
                      them in any state with their stock counters (GET /{id}, /mine)
    operators         see any listing whole
    anyone            a visible listing (published or sold out, its maker approved), and search
    customers         keep visible listings as favourites and list them (their own only: the
                      token's subject is the customer); a listing they see says `favourited`

The maker behind a token is found in the catalogue's read model of makers (the token's `sub` is
the maker's user id). Another maker's listing is reported as missing (404), never forbidden.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import UUID

from aiohttp import web

from services.catalogue import search, store, usecases
from services.catalogue.domain import ListingDraft, ListingPatch
from services.catalogue.schemas import (
    ListingIn,
    ListingView,
    MineQuery,
    SearchQuery,
    SearchResults,
    Suggestions,
    SuggestQuery,
    listing_json,
    listing_view,
    search_results_json,
)
from services.catalogue.search.context import SEARCH
from services.catalogue.settings import CATALOGUE_SETTINGS
from services.catalogue.store import ListingRead, MakerRecord
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import ProblemError, not_found
from shared.http import POOL, Call, RawJson, Routes
from shared.paging import Page, PageQuery, decode_time_id, encode_time_id

routes = Routes("listings")
favourite_routes = Routes("favourites")


def _now() -> datetime:
    return datetime.now(UTC)


def _customer(principal: Principal | None) -> UUID | None:
    """The signed-in customer, to whom a listing says whether it is their favourite."""
    return principal.user_id if principal is not None and principal.role == "customer" else None


def _sees_everything(principal: Principal | None, maker: MakerRecord) -> bool:
    return principal is not None and (principal.is_operator or principal.user_id == maker.user_id)


def _owner_view(changed: ListingRead, now: datetime) -> ListingView:
    listing, maker, images = changed
    return listing_view(listing, maker, images, now.date(), full=True)


def _unit_of_work(call: Call) -> UnitOfWork:
    return UnitOfWork(call.app[POOL], usecases.PRODUCER)


# --- the maker's listings -------------------------------------------------------------------------

_403 = "maker_not_approved: the maker is not approved (or is suspended)"
_409 = "Conflict with the listing's state (named in `current_state`); production_kind_locked"


@routes.post(
    "/api/v1/listings",
    body=ListingIn,
    response=ListingView,
    status=201,
    roles=("maker",),
    extra_responses={403: _403},
)
async def create_listing(call: Call) -> ListingView:
    """Create a listing (a draft) as an approved maker."""
    fields = ListingDraft.model_validate(call.body.model_dump())
    now = _now()
    async with _unit_of_work(call) as uow:
        created = await usecases.create_listing(
            uow, call.user.user_id, fields, now, currencies=call.app[CATALOGUE_SETTINGS].currencies
        )
    return _owner_view(created, now)


# Registered before /api/v1/listings/{id}, which would otherwise match "mine".
@routes.get("/api/v1/listings/mine", query=MineQuery, response=Page[ListingView], roles=("maker",))
async def my_listings(call: Call) -> Page[ListingView]:
    """The calling maker's own listings in any state (the dashboard), newest first."""
    query: MineQuery = call.query
    pool = call.app[POOL]
    maker = await store.maker_for_user(pool, call.user.user_id)
    if maker is None:
        return Page(items=[])
    listings, position = await store.maker_listings(
        pool, maker.id, query.status, decode_time_id(query.cursor), query.limit
    )
    today = _now().date()
    return Page(
        items=[listing_view(listing, maker, images, today, full=True) for listing, images in listings],
        next_cursor=encode_time_id(position),
    )


@routes.patch(
    "/api/v1/listings/{id}",
    body=ListingPatch,
    response=ListingView,
    roles=("maker",),
    extra_responses={
        409: _409 + "; concurrent_update; stock_not_applicable (a stock count for a one-of-a-kind piece "
        "that is sold or reserved)"
    },
)
async def edit_listing(call: Call) -> ListingView:
    """Edit a listing (owner). Each field sent replaces the listing's whole field; null clears
    it. A public listing must stay publishable (422 with every violated rule, the wording rules
    misleading_metal_description and misleading_stone_description among them). A one-of-a-kind
    piece that is sold or reserved cannot be restocked (409 stock_not_applicable)."""
    now = _now()
    async with _unit_of_work(call) as uow:
        edited = await usecases.edit_listing(
            uow,
            call.user.user_id,
            call.path_id(),
            call.body,
            now,
            currencies=call.app[CATALOGUE_SETTINGS].currencies,
        )
    return _owner_view(edited, now)


@routes.post(
    "/api/v1/listings/{id}/publish",
    response=ListingView,
    roles=("maker",),
    extra_responses={403: _403, 409: _409},
)
async def publish_listing(call: Call) -> ListingView:
    """Publish a draft, or unpause (owner, an approved maker). 422 carries a `code` per
    violated rule, all together, in `errors` (`currency_not_accepted` for a price in a currency
    the marketplace has stopped taking since it was set)."""
    now = _now()
    currencies = call.app[CATALOGUE_SETTINGS].currencies
    async with _unit_of_work(call) as uow:
        published = await usecases.publish_listing(
            uow, call.user.user_id, call.path_id(), now, currencies=currencies
        )
    return _owner_view(published, now)


@routes.post(
    "/api/v1/listings/{id}/pause", response=ListingView, roles=("maker",), extra_responses={409: _409}
)
async def pause_listing(call: Call) -> ListingView:
    """Take a published listing off sale for now (owner)."""
    now = _now()
    async with _unit_of_work(call) as uow:
        paused = await usecases.pause_listing(uow, call.user.user_id, call.path_id(), now)
    return _owner_view(paused, now)


@routes.post(
    "/api/v1/listings/{id}/archive", response=ListingView, roles=("maker",), extra_responses={409: _409}
)
async def archive_listing(call: Call) -> ListingView:
    """Archive a listing for good (owner)."""
    now = _now()
    async with _unit_of_work(call) as uow:
        archived = await usecases.archive_listing(uow, call.user.user_id, call.path_id(), now)
    return _owner_view(archived, now)


# --- reading --------------------------------------------------------------------------------------


# Registered before /api/v1/listings/{id}, which would otherwise match "suggest".
@routes.get("/api/v1/listings/suggest", query=SuggestQuery, response=Suggestions, auth="none")
async def suggest(call: Call) -> Suggestions:
    """Completions of what is typed in the search box (at most 8)."""
    query: SuggestQuery = call.query
    return Suggestions(suggestions=await asyncio.to_thread(_search_index(call).suggest, query.q))


@routes.get("/api/v1/listings/{id}", response=ListingView, auth="optional")
async def get_listing(call: Call) -> RawJson:
    """A listing: to anyone while visible; to its owner and operators always."""
    found = await store.get_listing(call.app[POOL], call.path_id())
    if found is None:
        raise not_found("Listing")
    listing, maker, images = found
    full = _sees_everything(call.principal, maker)
    if not full and not listing.is_visible(maker.approved):
        raise not_found("Listing")
    customer = _customer(call.principal)
    favourited = None
    if customer is not None:
        favourited = bool(await store.favourited(call.app[POOL], customer, [listing.id]))
    return RawJson(listing_json(listing, maker, images, _now().date(), full=full, favourited=favourited))


def _search_index(call: Call) -> search.SearchIndex:
    index = call.app[SEARCH].index
    if index is None:
        raise ProblemError(
            503,
            "Service Unavailable",
            "The search index is being built",
            code="search_unavailable",
            headers={"Retry-After": "1"},
        )
    return index


@routes.get("/api/v1/listings", query=SearchQuery, response=SearchResults, auth="optional")
async def search_listings(call: Call) -> RawJson:
    """Search visible listings: full text, filters, sorts, facets (see SearchResults)."""
    query: SearchQuery = call.query
    filters = search.Filters(**query.model_dump(exclude={"limit", "cursor", "sort"}))
    sort = search.Sort(query.sort) if query.sort else None
    # The index releases the interpreter while it searches: other requests go on meanwhile.
    page = await asyncio.to_thread(_search_index(call).search, filters, sort, query.cursor, query.limit)
    pool = call.app[POOL]
    found = await store.listings_with_makers(pool, page.listing_ids)
    customer = _customer(call.principal)
    favourites = None if customer is None else await store.favourited(pool, customer, page.listing_ids)
    return RawJson(search_results_json(page, found, _now().date(), favourites))


# --- favourites -----------------------------------------------------------------------------------

_NO_LISTING = "No listing the public may see has this id (unknown, not published, or hidden)"


@favourite_routes.add(
    "PUT",
    "/api/v1/me/favourites/{id}",
    status=204,
    roles=("customer",),
    extra_responses={404: _NO_LISTING},
)
async def add_favourite(call: Call) -> web.Response:
    """Keep a listing as a favourite (the calling customer's). Doing it again changes nothing."""
    async with _unit_of_work(call) as uow:
        await usecases.add_favourite(uow, call.user.user_id, call.path_id(), _now())
    return web.Response(status=204)


@favourite_routes.delete(
    "/api/v1/me/favourites/{id}",
    status=204,
    roles=("customer",),
    extra_responses={404: "No listing has this id"},
)
async def remove_favourite(call: Call) -> web.Response:
    """Let a favourite go. Letting go of a listing that is not a favourite changes nothing (204);
    an id no listing has is 404."""
    async with _unit_of_work(call) as uow:
        await usecases.remove_favourite(uow, call.user.user_id, call.path_id())
    return web.Response(status=204)


@favourite_routes.get(
    "/api/v1/me/favourites", query=PageQuery, response=Page[ListingView], roles=("customer",)
)
async def favourites(call: Call) -> Page[ListingView]:
    """The calling customer's favourites that the public may see now, the newest favourite
    first (one paused or hidden since is left out until it is shown again)."""
    query: PageQuery = call.query
    found, position = await usecases.favourite_listings(
        call.app[POOL], call.user.user_id, decode_time_id(query.cursor), query.limit
    )
    today = _now().date()
    return Page(
        items=[
            listing_view(listing, maker, images, today, full=False, favourited=True)
            for listing, maker, images in found
        ],
        next_cursor=encode_time_id(position),
    )
