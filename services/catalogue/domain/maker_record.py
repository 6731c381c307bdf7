"""The rules a listing keeps with its maker's own record (docs/domain.md): the sponsor mark
struck on it is the maker's registered mark (Hallmarking Act 1973), only a maker who declared
working precious metals describes them, and only a maker who attested to the System of
Warranties lists natural diamonds.

The catalogue knows the maker's record from its read model of makers (fed by makers events), so
these rules are checked when a listing is published or edited, and again on every listing of a
maker whose record changed: a public listing that breaks one is hidden, with the codes kept on
it (`hidden_by`), until the record or the listing is put right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.catalogue.domain.fields import ListingDraft
from services.catalogue.domain.vocabulary import HallmarkStatus
from shared.errors import Violation


@dataclass(frozen=True)
class MakerStanding:
    """What the maker's record says that these rules read."""

    sponsor_mark: str | None
    works_precious_metals: bool
    warranty_attested: bool


SPONSOR_MARK_NOT_REGISTERED = "sponsor_mark_not_registered"
PRECIOUS_METALS_NOT_DECLARED = "precious_metals_not_declared"
WARRANTY_NOT_ATTESTED = "warranty_not_attested"

# What the maker is told when a public listing is hidden for a rule of their record.
HIDDEN_REASONS: dict[str, str] = {
    SPONSOR_MARK_NOT_REGISTERED: "The sponsor mark on the hallmark is not the mark registered on "
    "your maker record",
    PRECIOUS_METALS_NOT_DECLARED: "Your maker record does not declare that you work precious metals",
    WARRANTY_NOT_ATTESTED: "Your maker record does not attest to the System of Warranties, which "
    "natural diamonds need",
}


def maker_record_violations(listing: ListingDraft, maker: MakerStanding) -> list[Violation]:
    """Every rule of the maker's record the listing breaks.

    Codes: sponsor_mark_not_registered, precious_metals_not_declared, warranty_not_attested.
    """
    return [*_sponsor_mark(listing, maker), *_precious_metals(listing, maker), *_warranty(listing, maker)]


def _sponsor_mark(listing: ListingDraft, maker: MakerStanding) -> Iterable[Violation]:
    hallmark = listing.hallmark
    if hallmark is None or hallmark.status is not HallmarkStatus.HALLMARKED or hallmark.sponsor_mark is None:
        return  # no mark struck, or none given (hallmark_required says so)
    if hallmark.sponsor_mark != maker.sponsor_mark:
        registered = f"is {maker.sponsor_mark}" if maker.sponsor_mark else "is not registered"
        yield Violation(
            ("hallmark", "sponsor_mark"),
            f"The sponsor mark {hallmark.sponsor_mark} is not the maker's registered mark (the "
            f"maker's mark {registered})",
            SPONSOR_MARK_NOT_REGISTERED,
        )


def _precious_metals(listing: ListingDraft, maker: MakerStanding) -> Iterable[Violation]:
    if maker.works_precious_metals:
        return
    for index, metal in enumerate(listing.metals):
        if metal.is_precious:
            yield Violation(
                ("metals", index, "metal"),
                f"The maker's record does not declare working precious metals, so the piece may "
                f"not be {metal.metal}",
                PRECIOUS_METALS_NOT_DECLARED,
            )


def _warranty(listing: ListingDraft, maker: MakerStanding) -> Iterable[Violation]:
    if maker.warranty_attested:
        return
    for index, stone in enumerate(listing.stones):
        if stone.is_natural_diamond:
            yield Violation(
                ("stones", index),
                "Only a maker who attested to the System of Warranties may list natural diamonds",
                WARRANTY_NOT_ATTESTED,
            )
