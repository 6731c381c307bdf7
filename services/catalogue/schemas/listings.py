"""Listings' HTTP request and response models, and the views built from listings.

A listing is seen whole by its owner and operators (`full`: every sourcing claim it cites, its
stock counters, every photo whatever its image's state) and, while visible, by the public (only
the claims its maker holds today, only the photos that are ready).
"""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pydantic_core
from cachetools import LRUCache
from pydantic import BaseModel, Field

from services.catalogue.domain import (
    HIDDEN_REASONS,
    Availability,
    Category,
    Disclosure,
    EngravingOption,
    Hallmark,
    ImageStatus,
    KnownImages,
    Listing,
    ListingDraft,
    ListingStatus,
    Metal,
    Production,
    Rating,
    ShownClaim,
    SourcingScheme,
    Stone,
    Title,
    disclosures,
    evidenced_schemes,
    shown_sourcing_claims,
    uk_size,
    us_size,
)
from services.catalogue.store import MakerRecord
from shared.money import Money
from shared.paging import PageQuery

# --- request bodies and queries ------------------------------------------------------------------


class ListingIn(ListingDraft):
    """A new listing (a draft): only the title is needed to start; publishing says what else
    is missing."""

    title: Title


class MineQuery(PageQuery):
    status: ListingStatus | None = Field(None, description="Only listings in this state")


# --- responses ------------------------------------------------------------------------------------


class RingSizeView(BaseModel):
    """The range of ring sizes offered, stored as inner circumference in millimetres, with
    its UK letter and US number views."""

    min: float
    max: float
    min_uk: str
    max_uk: str
    min_us: float
    max_us: float


class OptionsView(BaseModel):
    ring_size_mm: RingSizeView | None = None
    engraving: EngravingOption | None = None
    chain_lengths_cm: list[int] | None = None


class RatingView(BaseModel):
    """What customers who received it thought, from the visible reviews only."""

    average: float | None = Field(
        description="The mean rating (1 to 5) rounded to two decimals; null while nothing is rated"
    )
    count: int = Field(description="How many visible reviews rated it")


@functools.lru_cache(maxsize=4096)
def rating_view(rating: Rating) -> RatingView:
    average = rating.average
    return RatingView(average=None if average is None else float(average), count=rating.count)


class MakerCard(BaseModel):
    id: uuid.UUID
    handle: str
    display_name: str
    evidenced_claims: list[SourcingScheme] = Field(
        description="Sourcing schemes the maker holds with evidence (badges)"
    )
    rating: RatingView = Field(description="The maker's rating over all their pieces")


class StockView(BaseModel):
    available: int
    reserved: int
    sold: int


class HiddenReason(BaseModel):
    """A rule of the maker's own record the public listing breaks, which hides it until the
    record or the listing is put right."""

    code: str = Field(
        description="sponsor_mark_not_registered, precious_metals_not_declared or warranty_not_attested"
    )
    message: str


class PhotoView(BaseModel):
    """A photo of the listing and its image's renditions (WebP), which exist once it is ready."""

    image_id: uuid.UUID
    alt: str
    status: ImageStatus = Field(
        description="The image's state: the public sees ready photos only; the owner sees every "
        "photo, `processing` until the image is ready (or failed)"
    )
    width: int | None = Field(description="Width of the largest rendition, in pixels; null until ready")
    height: int | None = Field(description="Height of the largest rendition, in pixels; null until ready")
    placeholder: str | None = Field(
        description="A tiny blurred image (a data: URL) to show while a rendition loads; null until ready"
    )
    urls: dict[str, str] | None = Field(
        description="Rendition URLs by width in pixels: '160', '480', '960' and '1600'; null until ready"
    )
    failure_code: str | None = Field(
        None, description="Why the image could not be processed (status failed), e.g. image_too_small"
    )


class ListingView(BaseModel):
    """A listing. `sourcing_claims` are the schemes it cites (for the public: only those its
    maker holds today); `claims` says how each shown claim is backed (a self-declared one is
    never a badge). `stock` is the owner's and operators' only."""

    id: uuid.UUID
    maker_id: uuid.UUID
    status: ListingStatus
    visible: bool = Field(description="Public now: published or sold out, and its maker approved")
    title: str | None
    description: str | None
    category: Category | None
    occasions: list[str]
    style_tags: list[str]
    techniques: list[str]
    price: Money | None
    production: Production | None
    metals: list[Metal]
    hallmark: Hallmark | None
    stones: list[Stone]
    sourcing_claims: list[SourcingScheme]
    claims: list[ShownClaim]
    options: OptionsView | None
    photos: list[PhotoView] = Field(description="The first is the main photo")
    main_photo: PhotoView | None = Field(description="The first photo, for cards and search results")
    images: list[str] = Field(
        description="Read-only: the 960 px rendition URL of each ready photo, in order (a request "
        "that sets it is refused)"
    )
    availability: Availability | None
    disclosures: list[Disclosure]
    maker: MakerCard
    rating: RatingView = Field(description="This piece's rating")
    favourite_count: int = Field(description="How many customers keep it as a favourite")
    favourited: bool | None = Field(
        None, description="Whether the signed-in customer keeps it as a favourite; null for anyone else"
    )
    stock: StockView | None = None
    hidden_by: list[HiddenReason] = Field(
        default_factory=list,
        description="Owner and operators: why a published listing is hidden from the public (the "
        "rules of the maker's record it breaks); empty when none",
    )
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int


# --- views ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _ring_sizes(low: Decimal, high: Decimal) -> RingSizeView:
    # Cached: a handful of ranges recur across listings, and the UK/US table lookups were ~5 %
    # of a search's CPU (24 listings a page). The view is only ever serialised, never changed.
    return RingSizeView(
        min=float(low),
        max=float(high),
        min_uk=uk_size(low),
        max_uk=uk_size(high),
        min_us=us_size(low),
        max_us=us_size(high),
    )


_MAIN_RENDITION = "960"  # the width whose URLs `images` lists


def photo_views(listing: Listing, images: KnownImages, *, full: bool) -> list[PhotoView]:
    """The listing's photos with their images' renditions: every photo for its owner and
    operators (`full`; an image not known to be the maker's own is `processing`), only the ready
    ones for the public."""
    views = []
    for photo in listing.fields.photos:
        image = images.own(photo.image_id)
        ready = image is not None and image.is_ready
        if not (full or ready):
            continue
        views.append(
            PhotoView(
                image_id=photo.image_id,
                alt=photo.alt,
                status=image.status if image is not None else ImageStatus.PROCESSING,
                width=image.width if image else None,
                height=image.height if image else None,
                placeholder=image.placeholder if image else None,
                urls=dict(image.urls) if image and image.urls is not None else None,
                failure_code=image.failure_code if image else None,
            )
        )
    return views


def listing_view(
    listing: Listing,
    maker: MakerRecord,
    images: KnownImages,
    today: date,
    *,
    full: bool,
    favourited: bool | None = None,
) -> ListingView:
    """The listing as its owner and operators see it (`full`), or as the public does; `images`
    is what the catalogue knows of the images its photos name; `favourited` is said to a
    signed-in customer."""
    fields = listing.fields
    photos = photo_views(listing, images, full=full)
    claims = maker.claims
    shown = shown_sourcing_claims(fields, claims, today)
    options = fields.options
    stock = listing.stock
    return ListingView(
        id=listing.id,
        maker_id=listing.maker_id,
        status=listing.status,
        visible=listing.is_visible(maker.approved),
        title=fields.title,
        description=fields.description,
        category=fields.category,
        occasions=fields.occasions,
        style_tags=fields.style_tags,
        techniques=fields.techniques,
        price=fields.price,
        production=fields.production,
        metals=fields.metals,
        hallmark=fields.hallmark,
        stones=fields.stones,
        sourcing_claims=fields.sourcing_claims if full else [claim.scheme for claim in shown],
        claims=shown,
        options=None
        if options is None
        else OptionsView(
            ring_size_mm=_ring_sizes(options.ring_size_mm.min, options.ring_size_mm.max)
            if options.ring_size_mm
            else None,
            engraving=options.engraving,
            chain_lengths_cm=options.chain_lengths_cm,
        ),
        photos=photos,
        main_photo=photos[0] if photos else None,
        images=[url for photo in photos if (url := (photo.urls or {}).get(_MAIN_RENDITION))],
        availability=listing.availability,
        disclosures=disclosures(fields, claims, today),
        maker=MakerCard(
            id=maker.id,
            handle=maker.handle,
            display_name=maker.display_name,
            evidenced_claims=evidenced_schemes(claims, today),
            rating=rating_view(maker.rating),
        ),
        rating=rating_view(listing.rating),
        favourite_count=listing.favourite_count,
        favourited=favourited,
        stock=StockView(available=stock.available, reserved=stock.reserved, sold=stock.sold)
        if full and stock
        else None,
        hidden_by=[HiddenReason(code=code, message=HIDDEN_REASONS[code]) for code in listing.hidden_by]
        if full
        else [],
        created_at=listing.created_at,
        updated_at=listing.updated_at,
        published_at=listing.published_at,
        version=listing.version,
    )


# The newest rendering of each recently read listing, per view (full or not, favourited or not),
# with everything it was made from: the listing's version (every change makes a new one; status,
# stock and time are compared as well), its maker's snapshot version, the version of each image
# its photos name, the ratings and favourite count read with them and the day (sourcing claims
# expire). A hit needs all of them equal, and the fields the very draft the rendering was made
# from: store.listings._draft returns the same object only while the stored data is equal. A newer
# version replaces the rendering of the older one: with the version in the key, every stock
# move of a listing added an entry no read could find again (a 30-minute soak filled all 2048
# with nine listings, about 3.5 KiB each). Building and serialising the view was ~20 % of the
# catalogue's CPU under GET load, and a page of search results renders 24 listings.
_RENDERED: LRUCache[tuple[Any, ...], tuple[tuple[Any, ...], ListingDraft, bytes]] = LRUCache(maxsize=2048)


def listing_json(
    listing: Listing,
    maker: MakerRecord,
    images: KnownImages,
    today: date,
    *,
    full: bool,
    favourited: bool | None = None,
) -> bytes:
    """`listing_view(...)` as JSON."""
    key = (listing.id, full, favourited)
    made_of = (
        listing.version,
        listing.status,
        listing.stock,
        listing.updated_at,
        maker.id,
        maker.version,
        maker.status,
        images.versions,
        listing.rating,
        listing.favourite_count,
        maker.rating,
        today,
    )
    cached = _RENDERED.get(key)
    if cached is not None and cached[0] == made_of and cached[1] is listing.fields:
        return cached[2]
    body = pydantic_core.to_json(
        listing_view(listing, maker, images, today, full=full, favourited=favourited)
    )
    _RENDERED[key] = (made_of, listing.fields, body)
    return body
