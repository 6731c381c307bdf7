"""An approved maker's compliance fields (services/makers/domain/compliance.py): a new sponsor
mark, the metals declaration or the System of Warranties attestation change while the maker stays
approved, as long as the checklist items about them stay met."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.makers.domain import ComplianceChange, Hallmarking, Maker, MakerStatus
from shared.errors import RulesViolated, StateConflict
from tests.unit.makers_domain_support import LATER, OWNER, maker_in, profile_data


def change(maker: Maker, **fields: Any) -> None:
    maker.change_compliance(ComplianceChange.model_validate(fields), OWNER, LATER)


def test_an_approved_maker_registers_a_new_sponsor_mark_and_stays_approved() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    version = maker.version
    change(maker, hallmarking={"sponsor_mark": "NEW", "assay_office": "london"})
    assert maker.status == MakerStatus.APPROVED
    assert maker.profile.hallmarking == Hallmarking(sponsor_mark="NEW", assay_office="london")
    assert [(e.name, e.version) for e in maker.pull_events()] == [("compliance_updated", version + 1)]
    entry = maker.history[-1]
    assert (entry.from_status, entry.to_status, entry.by, entry.at) == (
        MakerStatus.APPROVED,
        MakerStatus.APPROVED,
        OWNER,
        LATER,
    )
    assert entry.note == "Record changed: sponsor's mark ADS (Sheffield) → NEW (London)"


@pytest.mark.parametrize(
    ("fields", "codes"),
    [
        ({"hallmarking": None}, ["checklist_sponsor_mark"]),
        ({"natural_diamonds": True}, ["checklist_system_of_warranties"]),
        (
            {"hallmarking": None, "natural_diamonds": True},
            ["checklist_sponsor_mark", "checklist_system_of_warranties"],
        ),
    ],
)
def test_a_compliance_change_keeps_the_checklist_items_about_it(
    fields: dict[str, Any], codes: list[str]
) -> None:
    maker = maker_in(MakerStatus.APPROVED)
    before = (maker.profile, maker.version, len(maker.history))
    with pytest.raises(RulesViolated) as refused:
        change(maker, **fields)
    assert [v.code for v in refused.value.errors] == codes
    assert (maker.profile, maker.version, len(maker.history)) == before


def test_withdrawing_the_sponsor_mark_and_the_metals_declaration_together() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    change(maker, hallmarking=None, works_precious_metals=False)
    assert (maker.profile.hallmarking, maker.profile.works_precious_metals) == (None, False)
    assert maker.history[-1].note == (
        "Record changed: sponsor's mark ADS (Sheffield) → none; no longer works precious metals"
    )


def test_withdrawing_the_warranty_attestation_needs_no_natural_diamonds() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    change(maker, natural_diamonds=True, system_of_warranties_attested=True)
    change(maker, system_of_warranties_attested=False, natural_diamonds=False)
    assert maker.history[-1].note == (
        "Record changed: no longer sells natural diamonds; withdrew the System of Warranties attestation"
    )
    with pytest.raises(RulesViolated):
        change(maker, natural_diamonds=True)


def test_the_same_values_record_nothing() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    version = maker.version
    change(maker, works_precious_metals=True, hallmarking=profile_data()["hallmarking"])
    assert (maker.version, maker.pull_events()) == (version, [])


@pytest.mark.parametrize("status", [s for s in MakerStatus if s != MakerStatus.APPROVED])
def test_only_an_approved_maker_changes_compliance_fields(status: MakerStatus) -> None:
    maker = maker_in(status)
    with pytest.raises(StateConflict):
        change(maker, works_precious_metals=False, hallmarking=None)


@pytest.mark.parametrize(
    "body",
    [
        {"status": "approved"},
        {"handle": "renamed"},
        {"works_precious_metals": None},
        {"works_precious_metals": "yes"},
        {"hallmarking": {"sponsor_mark": "x", "assay_office": "london"}},
    ],
)
def test_a_compliance_change_takes_only_its_own_fields(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ComplianceChange.model_validate(body)
