"""The onboarding checklist (services/makers/domain/checklist.py): each blocking item stops
submission and approval, and sourcing evidence is advice only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from services.makers.domain import Maker, MakerStatus
from shared.errors import RulesViolated
from tests.unit.makers_domain_support import CREATED, LATER, OPERATOR, OWNER, checklist_of, draft, profile


def test_checklist_of_a_complete_profile() -> None:
    assert checklist_of(draft()) == {
        "terms_accepted": ("met", True),
        "portfolio_url": ("met", True),
        "sponsor_mark": ("met", True),
        "system_of_warranties": ("not_applicable", False),
        "sourcing_evidence": ("not_applicable", False),
    }


UNMET_ALONE = {
    "terms_accepted": {"terms_accepted": False},
    "portfolio_url": {"portfolio_urls": []},
    "sponsor_mark": {"works_precious_metals": True, "hallmarking": None},
    "system_of_warranties": {"natural_diamonds": True, "system_of_warranties_attested": False},
}


@pytest.mark.parametrize("item", list(UNMET_ALONE))
def test_each_blocking_item_alone_blocks_submission(item: str) -> None:
    maker = draft(**UNMET_ALONE[item])
    maker.pull_events()
    assert checklist_of(maker)[item] == ("unmet", True)

    with pytest.raises(RulesViolated) as raised:
        maker.submit(OWNER, LATER)

    assert raised.value.code == f"checklist_{item}"
    assert [(v.loc, v.code) for v in raised.value.errors] == [(("checklist", item), f"checklist_{item}")]
    assert maker.status == MakerStatus.DRAFT
    assert maker.pending_events == []


def test_submission_names_every_unmet_blocking_item() -> None:
    maker = draft(**{k: v for overrides in UNMET_ALONE.values() for k, v in overrides.items()})
    with pytest.raises(RulesViolated) as raised:
        maker.submit(OWNER, LATER)
    assert [v.code for v in raised.value.errors] == [
        "checklist_terms_accepted",
        "checklist_portfolio_url",
        "checklist_sponsor_mark",
        "checklist_system_of_warranties",
    ]
    assert raised.value.code == "rules_violated"


def test_sponsor_mark_is_not_required_without_precious_metals() -> None:
    maker = draft(works_precious_metals=False, hallmarking=None)
    assert checklist_of(maker)["sponsor_mark"] == ("not_applicable", False)
    maker.submit(OWNER, LATER)
    assert maker.status == MakerStatus.SUBMITTED


def test_system_of_warranties_is_met_once_attested() -> None:
    maker = draft(natural_diamonds=True, system_of_warranties_attested=True)
    assert checklist_of(maker)["system_of_warranties"] == ("met", True)
    maker.submit(OWNER, LATER)
    assert maker.status == MakerStatus.SUBMITTED


@pytest.mark.parametrize("item", list(UNMET_ALONE))
def test_approval_is_refused_while_a_blocking_item_is_unmet(item: str) -> None:
    # Submission checks the same list, so this guards records stored before a rule was added.
    maker = Maker(
        id=UUID("00000000-0000-4000-8000-0000000000aa"),
        user_id=OWNER,
        status=MakerStatus.SUBMITTED,
        profile=profile(**UNMET_ALONE[item]),
        history=[],
        created_at=CREATED,
        updated_at=CREATED,
        version=2,
    )
    with pytest.raises(RulesViolated) as raised:
        maker.review("approve", None, OPERATOR, LATER)
    assert [(v.loc, v.code) for v in raised.value.errors] == [(("checklist", item), f"checklist_{item}")]
    assert maker.status == MakerStatus.SUBMITTED

    maker.review("request_changes", "Please complete your checklist", OPERATOR, LATER)
    assert maker.status == MakerStatus.CHANGES_REQUESTED


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ([{"scheme": "fairmined", "scope": "metal", "certificate_id": "FM-1"}], "met"),
        (
            [
                {"scheme": "fairmined", "scope": "metal", "certificate_id": "FM-1"},
                {"scheme": "recycled", "scope": "metal"},
            ],
            "unmet",
        ),
    ],
)
def test_sourcing_evidence_is_advice_only(claims: list[dict[str, Any]], status: str) -> None:
    maker = draft(sourcing_claims=claims)
    assert checklist_of(maker)["sourcing_evidence"] == (status, False)
    maker.submit(OWNER, LATER)
    assert maker.status == MakerStatus.SUBMITTED
