"""A maker's listings: create one, and edit, publish, pause or archive their own.

Each use case runs in one unit of work: it finds the calling maker (by their user id) in the
catalogue's read model of makers, loads their listing locked, applies one command and saves the
listing with its events. Another maker's listing is reported as missing, never forbidden.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from uuid import UUID

from services.catalogue import store
from services.catalogue.domain import Listing, ListingDraft, ListingPatch
from services.catalogue.domain.fields import currency_violations
from services.catalogue.store import MakerRecord
from services.catalogue.usecases.saving import insert_listing, save_listing
from shared.db import UnitOfWork
from shared.errors import Forbidden, not_found, rules_violated

Command = Callable[[Listing, MakerRecord], None]


def require_approved(maker: MakerRecord | None) -> MakerRecord:
    """Only an approved maker (not suspended) creates and publishes listings."""
    if maker is None or not maker.approved:
        raise Forbidden(
            "Only a maker whose application is approved (and not suspended) may create or publish listings",
            code="maker_not_approved",
        )
    return maker


def check_currencies(fields: ListingDraft | ListingPatch, currencies: Collection[str] | None) -> None:
    """Prices only in the marketplace's currencies (`MARKET_CURRENCIES`, which the API passes;
    None: not checked): 422 `currency_not_accepted`."""
    problems = currency_violations(fields, currencies) if currencies is not None else []
    if problems:
        raise rules_violated(problems)


async def create_listing(
    uow: UnitOfWork,
    user_id: UUID,
    fields: ListingDraft,
    now: datetime,
    *,
    currencies: Collection[str] | None = None,
) -> tuple[Listing, MakerRecord]:
    """A new draft of the calling maker, who must be approved, priced in `currencies`."""
    maker = require_approved(await store.maker_for_user(uow.conn, user_id, lock=True))
    check_currencies(fields, currencies)
    listing = Listing.create(listing_id=uuid.uuid4(), maker_id=maker.id, fields=fields, now=now)
    await insert_listing(uow, listing, maker)
    return listing, maker


async def change_listing(
    uow: UnitOfWork,
    user_id: UUID,
    listing_id: UUID,
    command: Command,
    now: datetime,
    *,
    approved_only: bool = False,
) -> tuple[Listing, MakerRecord]:
    """Load the calling maker's own listing (locked), apply one command, save it with its
    events. The maker's row is locked first, so a suspension waits for the change."""
    maker = await store.maker_for_user(uow.conn, user_id, lock=True)
    listing = await store.own_listing_for_update(uow, listing_id, maker.id) if maker is not None else None
    if maker is None or listing is None:
        raise not_found("Listing")
    if approved_only:
        require_approved(maker)
    command(listing, maker)
    await save_listing(uow, listing, maker, reason="adjusted", now=now)
    return listing, maker


async def edit_listing(
    uow: UnitOfWork,
    user_id: UUID,
    listing_id: UUID,
    patch: ListingPatch,
    now: datetime,
    *,
    currencies: Collection[str] | None = None,
) -> tuple[Listing, MakerRecord]:
    """Each field sent replaces the listing's whole field; a public listing stays publishable;
    a price sent is in `currencies`."""

    def edit(listing: Listing, maker: MakerRecord) -> None:
        check_currencies(patch, currencies)
        listing.edit(patch, now=now, maker_claims=maker.claims, maker=maker.standing)

    return await change_listing(uow, user_id, listing_id, edit, now)


async def publish_listing(
    uow: UnitOfWork, user_id: UUID, listing_id: UUID, now: datetime
) -> tuple[Listing, MakerRecord]:
    """Publish a draft, or unpause; the maker must be approved."""
    return await change_listing(
        uow,
        user_id,
        listing_id,
        lambda listing, maker: listing.publish(now=now, maker_claims=maker.claims, maker=maker.standing),
        now,
        approved_only=True,
    )


async def pause_listing(
    uow: UnitOfWork, user_id: UUID, listing_id: UUID, now: datetime
) -> tuple[Listing, MakerRecord]:
    return await change_listing(uow, user_id, listing_id, lambda listing, maker: listing.pause(now=now), now)


async def archive_listing(
    uow: UnitOfWork, user_id: UUID, listing_id: UUID, now: datetime
) -> tuple[Listing, MakerRecord]:
    return await change_listing(
        uow, user_id, listing_id, lambda listing, maker: listing.archive(now=now), now
    )
