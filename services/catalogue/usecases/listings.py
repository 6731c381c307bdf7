"""A maker's listings: create one, and edit, publish, pause or archive their own.

Each use case runs in one unit of work: it finds the calling maker (by their user id) in the
catalogue's read model of makers, loads their listing locked, applies one command and saves the
listing with its events. Another maker's listing is reported as missing, never forbidden.

Each returns the listing, its maker and what the catalogue knows of the images its photos name
(store.ListingRead): what the owner's view is made from.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from uuid import UUID

from services.catalogue import store
from services.catalogue.domain import (
    KnownImages,
    Listing,
    ListingDraft,
    ListingPatch,
    Photo,
    foreign_photo_violations,
)
from services.catalogue.domain.fields import currency_violations
from services.catalogue.store import ListingRead, MakerRecord
from services.catalogue.usecases.saving import insert_listing, save_listing
from shared.db import UnitOfWork
from shared.errors import Forbidden, not_found, rules_violated

Command = Callable[[Listing, MakerRecord, KnownImages], None]


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


def check_photos_owned(photos: Sequence[Photo], images: KnownImages) -> None:
    """No photo names an image the catalogue knows to be another maker's: 422
    `photo_not_found`. An image it has not heard of yet is accepted (its upload's event may
    still be on its way); publishing waits for it to be ready."""
    problems = foreign_photo_violations(photos, images)
    if problems:
        raise rules_violated(problems)


async def _images_for(uow: UnitOfWork, maker_id: UUID, *photo_lists: Sequence[Photo]) -> KnownImages:
    ids = [photo.image_id for photos in photo_lists for photo in photos]
    return await store.known_images(uow.conn, maker_id, ids)


async def create_listing(
    uow: UnitOfWork,
    user_id: UUID,
    fields: ListingDraft,
    now: datetime,
    *,
    currencies: Collection[str] | None = None,
) -> ListingRead:
    """A new draft of the calling maker, who must be approved, priced in `currencies`, its
    photos none of another maker's images."""
    maker = require_approved(await store.maker_for_user(uow.conn, user_id, lock=True))
    check_currencies(fields, currencies)
    images = await _images_for(uow, maker.id, fields.photos)
    check_photos_owned(fields.photos, images)
    listing = Listing.create(listing_id=uuid.uuid4(), maker_id=maker.id, fields=fields, now=now)
    await insert_listing(uow, listing, maker)
    return listing, maker, images


async def change_listing(
    uow: UnitOfWork,
    user_id: UUID,
    listing_id: UUID,
    command: Command,
    now: datetime,
    *,
    approved_only: bool = False,
    new_photos: Sequence[Photo] = (),
) -> ListingRead:
    """Load the calling maker's own listing (locked) and what the catalogue knows of the images
    its photos (and `new_photos`, which the command may give it) name, apply one command, save
    it with its events. The maker's row is locked first, so a suspension waits for the change."""
    maker = await store.maker_for_user(uow.conn, user_id, lock=True)
    listing = await store.own_listing_for_update(uow, listing_id, maker.id) if maker is not None else None
    if maker is None or listing is None:
        raise not_found("Listing")
    if approved_only:
        require_approved(maker)
    images = await _images_for(uow, maker.id, listing.fields.photos, new_photos)
    command(listing, maker, images)
    await save_listing(uow, listing, maker, reason="adjusted", now=now)
    return listing, maker, images


async def edit_listing(
    uow: UnitOfWork,
    user_id: UUID,
    listing_id: UUID,
    patch: ListingPatch,
    now: datetime,
    *,
    currencies: Collection[str] | None = None,
) -> ListingRead:
    """Each field sent replaces the listing's whole field; a public listing stays publishable;
    a price sent is in `currencies`; photos sent name none of another maker's images."""

    def edit(listing: Listing, maker: MakerRecord, images: KnownImages) -> None:
        check_currencies(patch, currencies)
        check_photos_owned(patch.photos, images)
        listing.edit(
            patch,
            now=now,
            maker_claims=maker.claims,
            images=images,
            maker=maker.standing,
            currencies=currencies,
        )

    return await change_listing(uow, user_id, listing_id, edit, now, new_photos=patch.photos)


async def publish_listing(
    uow: UnitOfWork,
    user_id: UUID,
    listing_id: UUID,
    now: datetime,
    *,
    currencies: Collection[str] | None = None,
) -> ListingRead:
    """Publish a draft, or unpause; the maker must be approved, its photos ready, its prices in
    `currencies` (a paused listing may be priced in one the marketplace has since dropped)."""

    def publish(listing: Listing, maker: MakerRecord, images: KnownImages) -> None:
        check_currencies(listing.fields, currencies)
        listing.publish(now=now, maker_claims=maker.claims, images=images, maker=maker.standing)

    return await change_listing(uow, user_id, listing_id, publish, now, approved_only=True)


async def pause_listing(uow: UnitOfWork, user_id: UUID, listing_id: UUID, now: datetime) -> ListingRead:
    return await change_listing(
        uow, user_id, listing_id, lambda listing, maker, images: listing.pause(now=now), now
    )


async def archive_listing(uow: UnitOfWork, user_id: UUID, listing_id: UUID, now: datetime) -> ListingRead:
    return await change_listing(
        uow, user_id, listing_id, lambda listing, maker, images: listing.archive(now=now), now
    )
