"""What the makers domain's unit tests share (test_makers_domain_*.py): the owner and operator, fixed
times, a profile that meets every blocking checklist item, and a maker brought to each status
through the real transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from services.makers.domain import Maker, MakerProfile, MakerStatus

OWNER = UUID("00000000-0000-4000-8000-000000000001")
OPERATOR = UUID("00000000-0000-4000-8000-000000000002")
CREATED = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
TODAY = date(2025, 6, 2)


def profile_data(**overrides: Any) -> dict[str, Any]:
    """A profile that meets every blocking checklist item."""
    return {
        "handle": "silver-and-stone",
        "display_name": "Silver & Stone",
        "legal_name": "Ada Smith",
        "business_type": "individual",
        "bio": "Rings forged in Sheffield.",
        "location": {"country": "GB", "region": "South Yorkshire"},
        "techniques": ["lost-wax casting", "stone setting"],
        "production_partners": [{"name": "Hallam Casting", "role": "casting"}],
        "portfolio_urls": ["https://example.com/portfolio"],
        "sourcing_claims": [],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "works_precious_metals": True,
        "natural_diamonds": False,
        "system_of_warranties_attested": False,
        "accepts_commissions": True,
        "terms_accepted": True,
        **overrides,
    }


def profile(**overrides: Any) -> MakerProfile:
    return MakerProfile.model_validate(profile_data(**overrides))


def draft(**overrides: Any) -> Maker:
    return Maker.create(OWNER, profile(**overrides), CREATED)


def submit(maker: Maker) -> None:
    maker.submit(OWNER, CREATED)


def approve(maker: Maker) -> None:
    maker.review("approve", None, OPERATOR, CREATED)


def maker_in(status: MakerStatus) -> Maker:
    """A maker brought to `status` through the real transitions, with its events collected."""
    maker = draft()
    if status != MakerStatus.DRAFT:
        submit(maker)
    if status == MakerStatus.APPROVED or status == MakerStatus.SUSPENDED:
        approve(maker)
    if status == MakerStatus.SUSPENDED:
        maker.suspend("Complaints under investigation", OPERATOR, CREATED)
    if status == MakerStatus.REJECTED:
        maker.review("reject", "Pieces are not handmade", OPERATOR, CREATED)
    if status == MakerStatus.CHANGES_REQUESTED:
        maker.review("request_changes", "Add a portfolio with close-ups", OPERATOR, CREATED)
    assert maker.status == status
    maker.pull_events()
    return maker


def codes(error: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e["loc"]), e["type"]) for e in error.errors()]


def checklist_of(maker: Maker) -> dict[str, tuple[str, bool]]:
    return {item.item: (item.status, item.blocking) for item in maker.checklist()}
