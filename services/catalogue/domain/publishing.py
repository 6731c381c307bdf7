"""The rules a listing must keep to be published, and to stay public (docs/domain.md): required
fields, how it is produced, its metals and hallmark, honest metal and stone wording (the wording package),
sourcing claims its maker holds, options that fit its category, and photos that are ready and
described (the photos module)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from services.catalogue.domain.fields import ListingDraft, MakerClaim, Options, current_claims
from services.catalogue.domain.hallmarking import metal_violations
from services.catalogue.domain.maker_record import MakerStanding, maker_record_violations
from services.catalogue.domain.photos import KnownImages, photo_violations
from services.catalogue.domain.vocabulary import Category, ProductionKind
from services.catalogue.domain.wording import wording_violations
from shared.errors import Violation


def publish_violations(
    listing: ListingDraft,
    maker_claims: Sequence[MakerClaim],
    today: date,
    maker: MakerStanding | None = None,
    images: KnownImages | None = None,
) -> list[Violation]:
    """Every rule a listing breaks that stops it being published, all together.

    Codes: title_required, description_required, category_required, price_required,
    production_required, stock_required, lead_time_required,
    production_field_not_allowed, fineness_not_legal, hallmark_required,
    hallmark_status_mismatch, misleading_metal_description, misleading_stone_description,
    claim_not_held, ring_size_required, option_not_applicable, currency_mismatch.

    With the maker's record (`maker`), the rules of maker_record as well; with what the
    catalogue knows of the listing's images (`images`), the photo rules (photos_required,
    photo_not_ready, alt_text_required). `Listing.publish` always checks both.
    """
    return [
        *live_listing_violations(listing, maker_claims, today, images),
        *_stock_violations(listing),
        *(maker_record_violations(listing, maker) if maker is not None else []),
    ]


def live_listing_violations(
    listing: ListingDraft,
    maker_claims: Sequence[MakerClaim],
    today: date,
    images: KnownImages | None = None,
) -> list[Violation]:
    """The rules a listing must keep while it is public (with `images`, the photo rules too).
    Running out of stock is not one of them: a public listing may be sold out."""
    return [
        *_required_field_violations(listing),
        *_production_violations(listing),
        *metal_violations(listing.metals, listing.hallmark),
        *wording_violations(listing),
        *_claim_violations(listing, maker_claims, today),
        *_option_violations(listing),
        *(photo_violations(listing.photos, images) if images is not None else []),
    ]


_REQUIRED_TO_PUBLISH: tuple[tuple[str, str], ...] = (
    ("title", "title_required"),
    ("description", "description_required"),
    ("category", "category_required"),
    ("price", "price_required"),
    ("production", "production_required"),
)


def _required_field_violations(listing: ListingDraft) -> Iterable[Violation]:
    for name, code in _REQUIRED_TO_PUBLISH:
        if not getattr(listing, name):
            yield Violation((name,), f"A published listing needs {name}", code)


def _production_violations(listing: ListingDraft) -> Iterable[Violation]:
    production = listing.production
    if production is None:
        return
    stock_loc = ("production", "stock")
    lead_time_loc = ("production", "lead_time_days")
    match production.kind:
        case ProductionKind.ONE_OF_A_KIND:
            if production.stock not in (None, 1):
                yield Violation(
                    stock_loc,
                    "A one-of-a-kind piece has exactly one in stock",
                    "production_field_not_allowed",
                )
            if production.lead_time_days is not None:
                yield Violation(
                    lead_time_loc,
                    "A one-of-a-kind piece already exists; it has no lead time",
                    "production_field_not_allowed",
                )
        case ProductionKind.MADE_TO_ORDER:
            if production.lead_time_days is None:
                yield Violation(
                    lead_time_loc,
                    "A made-to-order piece needs a lead time in days (min ≤ max)",
                    "lead_time_required",
                )
            if production.stock is not None:
                yield Violation(
                    stock_loc,
                    "A made-to-order piece has no stock count",
                    "production_field_not_allowed",
                )
        case ProductionKind.READY_TO_SHIP:
            if production.lead_time_days is not None:
                yield Violation(
                    lead_time_loc,
                    "A ready-to-ship piece has no lead time",
                    "production_field_not_allowed",
                )


def _stock_violations(listing: ListingDraft) -> Iterable[Violation]:
    production = listing.production
    if production is not None and production.kind is ProductionKind.READY_TO_SHIP and not production.stock:
        yield Violation(
            ("production", "stock"),
            "A ready-to-ship piece needs at least one in stock",
            "stock_required",
        )


def _claim_violations(
    listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date
) -> Iterable[Violation]:
    held = current_claims(maker_claims, today)
    for index, scheme in enumerate(listing.sourcing_claims):
        if scheme in held:
            continue
        expired = sorted(
            claim.expires_on
            for claim in maker_claims
            if claim.scheme == scheme and claim.expires_on is not None
        )
        msg = (
            f"The maker's {scheme} claim expired on {expired[-1].isoformat()}"
            if expired
            else f"The maker holds no {scheme} claim"
        )
        yield Violation(("sourcing_claims", index), msg, "claim_not_held")


def _option_violations(listing: ListingDraft) -> Iterable[Violation]:
    options = listing.options or Options()
    ring_size_loc = ("options", "ring_size_mm")
    if listing.category is Category.RING and options.ring_size_mm is None:
        yield Violation(
            ring_size_loc,
            "A ring needs its size or the range of sizes it is made in",
            "ring_size_required",
        )
    if listing.category not in (None, Category.RING) and options.ring_size_mm is not None:
        yield Violation(
            ring_size_loc, f"Ring sizes do not apply to {listing.category}", "option_not_applicable"
        )
    engraving = options.engraving
    if (
        engraving is not None
        and engraving.price_delta is not None
        and listing.price is not None
        and engraving.price_delta.currency != listing.price.currency
    ):
        yield Violation(
            ("options", "engraving", "price_delta", "currency"),
            f"The engraving price must be in the listing's currency {listing.price.currency}",
            "currency_mismatch",
        )
