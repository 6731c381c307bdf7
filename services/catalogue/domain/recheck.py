"""Rules a public listing is held to again after it went public (docs/domain.md): honest wording
(`misleading_metal_description`, `misleading_stone_description`), whose rules may be tightened
after a listing was published, and the marketplace's currencies (`currency_not_accepted`), from
which MARKET_CURRENCIES may drop one.

A public listing that breaks one is hidden with its code in `hidden_by`, beside the codes of the
rules of its maker's record (maker_record.py): the two families are kept apart, so a change of
the maker's record never clears a wording code and a re-check never clears a record code. It is
shown again when a re-check finds it keeps them (the maker fixed it, or the currency is taken
again), or straight away when the maker's edit fixes it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from services.catalogue.domain.fields import ListingDraft, currency_violations
from services.catalogue.domain.maker_record import HIDDEN_REASONS as RECORD_HIDDEN_REASONS
from services.catalogue.domain.wording import wording_violations
from shared.errors import Violation

MISLEADING_METAL_DESCRIPTION = "misleading_metal_description"
MISLEADING_STONE_DESCRIPTION = "misleading_stone_description"
CURRENCY_NOT_ACCEPTED = "currency_not_accepted"
RECHECKED_CODES = frozenset(
    {MISLEADING_METAL_DESCRIPTION, MISLEADING_STONE_DESCRIPTION, CURRENCY_NOT_ACCEPTED}
)

# What the maker is told when a public listing is hidden, for each code `hidden_by` may hold.
HIDDEN_REASONS: dict[str, str] = {
    **RECORD_HIDDEN_REASONS,
    MISLEADING_METAL_DESCRIPTION: "The title, description or tags use precious-metal words for a "
    "piece that is not precious metal: say what it is (gold-plated, silver-coloured) or remove them",
    MISLEADING_STONE_DESCRIPTION: "The title, description or tags name a stone without saying, in "
    "the same phrase, that it is laboratory-grown or an imitation, or call it natural when it is not",
    CURRENCY_NOT_ACCEPTED: "The price is in a currency the marketplace no longer takes: set it in "
    "one it does",
}


def recheck_violations(fields: ListingDraft, currencies: Collection[str]) -> list[Violation]:
    """Every re-checked rule the listing's fields break, with the marketplace taking
    `currencies`."""
    return [*wording_violations(fields), *currency_violations(fields, currencies)]


def _codes(violations: Iterable[Violation]) -> set[str]:
    return {violation.code for violation in violations}


def recheck_codes(fields: ListingDraft, currencies: Collection[str]) -> tuple[str, ...]:
    return tuple(sorted(_codes(recheck_violations(fields, currencies))))


def with_rechecked(hidden_by: Iterable[str], rechecked: Iterable[str]) -> tuple[str, ...]:
    """`hidden_by` with its re-checked codes replaced by those of `rechecked` (its other codes
    kept; `rechecked` may hold others, which are left out)."""
    kept = {code for code in hidden_by if code not in RECHECKED_CODES}
    return tuple(sorted(kept | {code for code in rechecked if code in RECHECKED_CODES}))


def rechecked_after_edit(
    hidden_by: Collection[str], fields: ListingDraft, currencies: Collection[str] | None
) -> tuple[str, ...]:
    """The re-checked codes a public listing is still hidden for after an edit that kept the
    rules of a public listing: no wording code (the edit was checked against them), and
    `currency_not_accepted` unless its prices are now in `currencies` (when the caller does not
    know them, it stays until the next re-check)."""
    if CURRENCY_NOT_ACCEPTED not in hidden_by:
        return ()
    if currencies is not None and not currency_violations(fields, currencies):
        return ()
    return (CURRENCY_NOT_ACCEPTED,)
