"""The makers domain: profile validation, the checklist, the state machine and the views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from services.makers.domain import (
    NOTE_MAX_LENGTH,
    STORED,
    ComplianceChange,
    Hallmarking,
    Location,
    Maker,
    MakerProfile,
    MakerProfilePatch,
    MakerStatus,
    ProductionPartner,
    ShippingProfile,
    SourcingClaim,
)
from shared.contracts.reviews import Rating
from shared.errors import Conflict, NotFound, RulesViolated, StateConflict

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


# --- the state machine ---------------------------------------------------------------------------

ACTIONS: dict[str, Callable[[Maker], None]] = {
    "edit": lambda m: m.edit(MakerProfilePatch(bio="A new bio"), OWNER, LATER),
    "submit": lambda m: m.submit(OWNER, LATER),
    "approve": lambda m: m.review("approve", None, OPERATOR, LATER),
    "reject": lambda m: m.review("reject", "Not handmade", OPERATOR, LATER),
    "request_changes": lambda m: m.review("request_changes", "More photos", OPERATOR, LATER),
    "suspend": lambda m: m.suspend("Counterfeit hallmarks reported", OPERATOR, LATER),
    "reinstate": lambda m: m.reinstate("Investigation closed", OPERATOR, LATER),
    # Rejected at CREATED, reopened exactly one waiting period later.
    "reopen": lambda m: m.reopen(OWNER, LATER, reapply_after_days=1),
}

ACTION_NAMES = {
    "edit": "edit",
    "submit": "submit",
    "approve": "review",
    "reject": "review",
    "request_changes": "review",
    "suspend": "suspend",
    "reinstate": "reinstate",
    "reopen": "reopen",
}

# (from, action) -> (to, event name, who, note)
ALLOWED = {
    (MakerStatus.DRAFT, "submit"): (MakerStatus.SUBMITTED, "submitted", OWNER, None),
    (MakerStatus.CHANGES_REQUESTED, "submit"): (MakerStatus.SUBMITTED, "submitted", OWNER, None),
    (MakerStatus.SUBMITTED, "approve"): (MakerStatus.APPROVED, "approved", OPERATOR, None),
    (MakerStatus.SUBMITTED, "reject"): (MakerStatus.REJECTED, "rejected", OPERATOR, "Not handmade"),
    (MakerStatus.SUBMITTED, "request_changes"): (
        MakerStatus.CHANGES_REQUESTED,
        "changes_requested",
        OPERATOR,
        "More photos",
    ),
    (MakerStatus.APPROVED, "suspend"): (
        MakerStatus.SUSPENDED,
        "suspended",
        OPERATOR,
        "Counterfeit hallmarks reported",
    ),
    (MakerStatus.SUSPENDED, "reinstate"): (
        MakerStatus.APPROVED,
        "reinstated",
        OPERATOR,
        "Investigation closed",
    ),
    (MakerStatus.REJECTED, "reopen"): (MakerStatus.DRAFT, "reopened", OWNER, None),
}
EDITABLE = {MakerStatus.DRAFT, MakerStatus.CHANGES_REQUESTED}
REFUSED = [
    (status, action)
    for status in MakerStatus
    for action in ACTIONS
    if (status, action) not in ALLOWED and not (action == "edit" and status in EDITABLE)
]


def test_create_starts_a_draft_with_its_history_and_a_created_event() -> None:
    maker = draft()

    assert maker.status == MakerStatus.DRAFT
    assert maker.user_id == OWNER
    assert maker.version == 1
    assert maker.created_at == maker.updated_at == CREATED
    [entry] = maker.history
    assert (entry.from_status, entry.to_status, entry.at, entry.by) == (
        None,
        MakerStatus.DRAFT,
        CREATED,
        OWNER,
    )
    [event] = maker.pull_events()
    assert (event.name, event.maker_id, event.user_id, event.status, event.version) == (
        "created",
        maker.id,
        OWNER,
        MakerStatus.DRAFT,
        1,
    )


def test_create_needs_only_a_handle_and_a_display_name() -> None:
    maker = Maker.create(OWNER, MakerProfile(handle="new-maker", display_name="New Maker"), CREATED)
    assert maker.profile.portfolio_urls == []
    assert maker.profile.hallmarking is None
    assert maker.profile.terms_accepted is False


@pytest.mark.parametrize(("start", "action"), list(ALLOWED))
def test_allowed_transition(start: MakerStatus, action: str) -> None:
    maker = maker_in(start)
    history_before, version_before = list(maker.history), maker.version
    to_status, event_name, by, note = ALLOWED[(start, action)]

    ACTIONS[action](maker)

    assert maker.status == to_status
    assert maker.version == version_before + 1
    assert maker.updated_at == LATER
    assert maker.history[:-1] == history_before
    entry = maker.history[-1]
    assert (entry.from_status, entry.to_status, entry.at, entry.by, entry.note) == (
        start,
        to_status,
        LATER,
        by,
        note,
    )
    [event] = maker.pull_events()
    assert (event.name, event.status, event.version, event.by, event.at, event.note) == (
        event_name,
        to_status,
        maker.version,
        by,
        LATER,
        note,
    )


@pytest.mark.parametrize("start", sorted(EDITABLE))
def test_edit_is_allowed_in_draft_and_changes_requested(start: MakerStatus) -> None:
    maker = maker_in(start)
    history_before, version_before = list(maker.history), maker.version

    ACTIONS["edit"](maker)

    assert maker.status == start
    assert maker.profile.bio == "A new bio"
    assert maker.history == history_before, "an edit is not a status change"
    assert maker.version == version_before + 1
    [event] = maker.pull_events()
    assert (event.name, event.status, event.version, event.by) == (
        "profile_updated",
        start,
        maker.version,
        OWNER,
    )


@pytest.mark.parametrize(("start", "action"), REFUSED)
def test_refused_transition_is_a_conflict_naming_the_state(start: MakerStatus, action: str) -> None:
    maker = maker_in(start)
    profile_before, history_before, version_before = (maker.profile, list(maker.history), maker.version)

    with pytest.raises(StateConflict) as raised:
        ACTIONS[action](maker)

    assert raised.value.code == "invalid_state"
    assert raised.value.extra == {"current_state": start.value}
    assert raised.value.detail == f"Cannot {ACTION_NAMES[action]} while {start.value}"
    assert maker.status == start
    assert maker.profile == profile_before
    assert maker.history == history_before
    assert maker.version == version_before
    assert maker.pending_events == []


def test_every_state_and_action_is_covered() -> None:
    covered = set(ALLOWED) | {(s, "edit") for s in EDITABLE} | set(REFUSED)
    assert covered == {(status, action) for status in MakerStatus for action in ACTIONS}


def test_rejected_may_only_be_reopened() -> None:
    refused = {action for status, action in REFUSED if status == MakerStatus.REJECTED}
    assert refused == set(ACTIONS) - {"reopen"}


def test_naive_times_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Maker.create(OWNER, profile(), datetime(2025, 6, 1, 9, 0))


def test_times_are_stored_in_utc() -> None:
    plus_one = timezone(timedelta(hours=1))
    maker = Maker.create(OWNER, profile(), datetime(2025, 6, 1, 10, 0, tzinfo=plus_one))
    assert maker.created_at == CREATED
    assert maker.created_at.tzinfo == UTC


# --- review, suspension and notes --------------------------------------------------------------


def test_unknown_review_decision_is_refused() -> None:
    maker = maker_in(MakerStatus.SUBMITTED)
    with pytest.raises(RulesViolated) as raised:
        maker.review("maybe", None, OPERATOR, LATER)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_decision"
    assert maker.status == MakerStatus.SUBMITTED


@pytest.mark.parametrize("decision", ["reject", "request_changes"])
@pytest.mark.parametrize("note", [None, "", "   "])
def test_reject_and_request_changes_must_say_why(decision: str, note: str | None) -> None:
    maker = maker_in(MakerStatus.SUBMITTED)
    with pytest.raises(RulesViolated) as raised:
        maker.review(decision, note, OPERATOR, LATER)  # type: ignore[arg-type]
    assert [v.as_dict() for v in raised.value.errors] == [
        {"loc": ["note"], "msg": "A note is required", "code": "note_required"}
    ]
    assert maker.status == MakerStatus.SUBMITTED


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_suspension_needs_a_reason(reason: str | None) -> None:
    maker = maker_in(MakerStatus.APPROVED)
    with pytest.raises(RulesViolated) as raised:
        maker.suspend(reason, OPERATOR, LATER)  # type: ignore[arg-type]
    assert raised.value.code == "reason_required"
    assert maker.status == MakerStatus.APPROVED


def test_notes_are_trimmed_and_a_blank_optional_note_is_none() -> None:
    maker = maker_in(MakerStatus.SUBMITTED)
    maker.review("approve", "   ", OPERATOR, LATER)
    assert maker.history[-1].note is None

    maker.suspend("  Late dispatches  ", OPERATOR, LATER)
    assert maker.history[-1].note == "Late dispatches"


def test_note_length_cap() -> None:
    at_cap = maker_in(MakerStatus.SUBMITTED)
    at_cap.review("reject", "x" * NOTE_MAX_LENGTH, OPERATOR, LATER)
    assert at_cap.status == MakerStatus.REJECTED

    over_cap = maker_in(MakerStatus.SUBMITTED)
    with pytest.raises(RulesViolated) as raised:
        over_cap.review("reject", "x" * (NOTE_MAX_LENGTH + 1), OPERATOR, LATER)
    assert raised.value.code == "string_too_long"
    assert over_cap.status == MakerStatus.SUBMITTED


def test_note_refuses_control_characters_but_keeps_line_breaks() -> None:
    maker = maker_in(MakerStatus.SUBMITTED)
    with pytest.raises(RulesViolated) as raised:
        maker.review("reject", "bad\x00note", OPERATOR, LATER)
    assert raised.value.code == "control_character"

    maker.review("reject", "First line\nSecond line", OPERATOR, LATER)
    assert maker.history[-1].note == "First line\nSecond line"


def test_joined_at_is_the_first_approval_and_survives_suspension() -> None:
    maker = maker_in(MakerStatus.SUBMITTED)
    assert maker.joined_at is None

    maker.review("approve", None, OPERATOR, LATER)
    maker.suspend("Investigation", OPERATOR, LATER + timedelta(days=1))
    maker.reinstate(None, OPERATOR, LATER + timedelta(days=2))

    assert maker.joined_at == LATER


def test_only_an_approved_maker_is_public() -> None:
    assert {status for status in MakerStatus if maker_in(status).is_public} == {MakerStatus.APPROVED}


def test_changes_requested_can_be_edited_and_resubmitted() -> None:
    maker = maker_in(MakerStatus.CHANGES_REQUESTED)
    maker.edit(MakerProfilePatch(portfolio_urls=["https://example.com/close-ups"]), OWNER, LATER)
    maker.submit(OWNER, LATER)
    assert maker.status == MakerStatus.SUBMITTED
    assert [e.name for e in maker.pull_events()] == ["profile_updated", "submitted"]


def test_pull_events_hands_over_and_forgets() -> None:
    maker = draft()
    assert [e.name for e in maker.pull_events()] == ["created"]
    assert maker.pull_events() == []
    assert maker.pending_events == []


def test_a_maker_rebuilt_from_storage_carries_on() -> None:
    original = maker_in(MakerStatus.APPROVED)
    rebuilt = Maker(
        id=original.id,
        user_id=original.user_id,
        status="approved",  # type: ignore[arg-type]
        profile=MakerProfile.model_validate(original.profile.model_dump(mode="json")),
        history=original.history,
        created_at=original.created_at,
        updated_at=original.updated_at,
        version=original.version,
    )
    rebuilt.suspend("Investigation", OPERATOR, LATER)
    assert rebuilt.status == MakerStatus.SUSPENDED
    assert rebuilt.version == original.version + 1
    assert rebuilt.profile == original.profile


# --- editing -------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent() -> None:
    maker = draft()
    before = maker.profile

    maker.edit(
        MakerProfilePatch.model_validate({"display_name": "Stone & Silver", "techniques": []}),
        OWNER,
        LATER,
    )

    assert maker.profile.display_name == "Stone & Silver"
    assert maker.profile.techniques == []
    assert maker.profile.model_dump(exclude={"display_name", "techniques"}) == before.model_dump(
        exclude={"display_name", "techniques"}
    )


def test_patch_with_nothing_new_records_nothing() -> None:
    maker = draft()
    maker.pull_events()
    maker.edit(MakerProfilePatch(display_name=maker.profile.display_name), OWNER, LATER)
    maker.edit(MakerProfilePatch(), OWNER, LATER)
    assert maker.version == 1
    assert maker.updated_at == CREATED
    assert maker.pending_events == []


@pytest.mark.parametrize("field", ["legal_name", "location", "hallmarking"])
def test_patch_null_clears_an_optional_field(field: str) -> None:
    maker = draft()
    maker.edit(MakerProfilePatch.model_validate({field: None}), OWNER, LATER)
    assert getattr(maker.profile, field) is None


@pytest.mark.parametrize(
    "field",
    ["handle", "display_name", "bio", "techniques", "portfolio_urls", "terms_accepted"],
)
def test_patch_null_is_refused_for_a_field_that_cannot_be_empty(field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        MakerProfilePatch.model_validate({field: None})
    assert codes(raised.value) == [((field,), "null_not_allowed")]


def test_patch_refuses_unknown_fields_such_as_status() -> None:
    for field in ("status", "id", "user_id", "checklist", "history", "version"):
        with pytest.raises(ValidationError) as raised:
            MakerProfilePatch.model_validate({field: "approved"})
        assert codes(raised.value) == [((field,), "extra_forbidden")]


def test_patch_validates_like_the_profile() -> None:
    with pytest.raises(ValidationError) as raised:
        MakerProfilePatch.model_validate(
            {"handle": "Bad Handle", "location": {"country": "UK"}, "portfolio_urls": ["ftp://x"]}
        )
    assert codes(raised.value) == [
        (("handle",), "string_pattern_mismatch"),
        (("location", "country"), "invalid_country"),
        (("portfolio_urls", 0), "invalid_url"),
    ]


def test_patch_offers_exactly_the_profile_fields() -> None:
    assert set(MakerProfilePatch.model_fields) == set(MakerProfile.model_fields)


# --- the checklist -------------------------------------------------------------------------------


def checklist_of(maker: Maker) -> dict[str, tuple[str, bool]]:
    return {item.item: (item.status, item.blocking) for item in maker.checklist()}


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


# --- sourcing claims, expiry and the views --------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "status"),
    [
        ({"certificate_id": "FM-2025-001"}, "pending_verification"),
        # Live finding: a certificate id like `x` made a claim evidenced. Typed text is not evidence.
        ({"certificate_id": "x"}, "pending_verification"),
        ({"evidence_url": "https://example.com/cert.pdf"}, "pending_verification"),
        ({"certificate_id": "FM-2025-001", "evidence_url": "https://example.com/c"}, "pending_verification"),
        ({}, "self_declared"),
        ({"supplier": "Local refiner"}, "self_declared"),
    ],
)
def test_evidence_alone_never_makes_a_claim_evidenced(evidence: dict[str, str], status: str) -> None:
    claim = SourcingClaim.model_validate({"scheme": "fairmined", "scope": "metal", **evidence})
    assert claim.has_evidence is (status == "pending_verification")

    maker = draft(sourcing_claims=[claim])
    assert maker.claim_status(claim) == status
    assert maker.catalogue_snapshot(TODAY).sourcing_claims[0].evidenced is False
    [public] = maker.public_view(TODAY).model_dump(mode="json")["sourcing_claims"]
    assert public == {
        "scheme": "fairmined",
        "scope": "metal",
        "expires_on": None,
        "evidenced": False,
        "status": status,
    }


@pytest.mark.parametrize(
    ("expires_on", "shown"),
    [(None, True), (TODAY + timedelta(days=1), True), (TODAY, True), (TODAY - timedelta(days=1), False)],
)
def test_claim_expiry_boundary(expires_on: date | None, shown: bool) -> None:
    claim = SourcingClaim(scheme="rjc_coc", scope="metal", certificate_id="RJC-1", expires_on=expires_on)
    assert claim.is_expired(TODAY) is not shown

    maker = draft(sourcing_claims=[claim])
    assert len(maker.public_view(TODAY).sourcing_claims) == int(shown)
    assert len(maker.catalogue_snapshot(TODAY).sourcing_claims) == int(shown)
    [owned] = maker.owner_view(TODAY).sourcing_claims
    assert owned.expired is not shown
    assert owned.certificate_id == "RJC-1"


def test_public_view_shows_only_public_fields() -> None:
    maker = draft(
        sourcing_claims=[
            {
                "scheme": "fairtrade",
                "scope": "metal",
                "supplier": "Secret Refinery Ltd",
                "certificate_id": "FT-99",
                "evidence_url": "https://evidence.example.com/ft-99.pdf",
            }
        ]
    )
    submit(maker)
    maker.review("approve", None, OPERATOR, LATER)
    maker.review_claim("fairtrade", "verified", "Certificate checked", OPERATOR, LATER)

    view = maker.public_view(TODAY).model_dump(mode="json")

    assert view == {
        "id": str(maker.id),
        "handle": "silver-and-stone",
        "display_name": "Silver & Stone",
        "bio": "Rings forged in Sheffield.",
        "location": {"country": "GB", "region": "South Yorkshire"},
        "techniques": ["lost-wax casting", "stone setting"],
        "sourcing_claims": [
            {
                "scheme": "fairtrade",
                "scope": "metal",
                "expires_on": None,
                "evidenced": True,
                "status": "evidenced",
            }
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "joined_at": "2025-06-02T09:00:00Z",
        "accepts_commissions": True,
        "shipping": ["uk"],  # the default profile's zones
        "rating": {"average": None, "count": 0},  # nothing rated yet
    }
    for private in ("FT-99", "evidence.example.com", "Secret Refinery", "Ada Smith"):
        assert private not in str(view)


def test_owner_view_is_the_whole_record() -> None:
    maker = maker_in(MakerStatus.CHANGES_REQUESTED)

    view = maker.owner_view(TODAY).model_dump(mode="json")

    assert set(profile_data()) < set(view)
    assert view["status"] == "changes_requested"
    assert view["id"] == str(maker.id)
    assert view["user_id"] == str(OWNER)
    assert view["legal_name"] == "Ada Smith"
    assert view["version"] == maker.version
    assert view["created_at"] == "2025-06-01T09:00:00Z"
    assert view["joined_at"] is None
    assert {"item": "terms_accepted", "status": "met", "blocking": True} in view["checklist"]
    assert view["history"][0] == {
        "from": None,
        "to": "draft",
        "at": "2025-06-01T09:00:00Z",
        "by": str(OWNER),
        "note": None,
    }
    assert view["history"][-1] == {
        "from": "submitted",
        "to": "changes_requested",
        "at": "2025-06-01T09:00:00Z",
        "by": str(OPERATOR),
        "note": "Add a portfolio with close-ups",
    }


def test_catalogue_snapshot() -> None:
    maker = draft(
        sourcing_claims=[
            {"scheme": "fairmined", "scope": "metal", "certificate_id": "FM-1", "expires_on": "2026-01-01"},
            {"scheme": "recycled", "scope": "metal", "evidence_url": "https://example.com/r"},
            {"scheme": "other", "scope": "stone"},
        ],
        natural_diamonds=True,
        system_of_warranties_attested=True,
        vat_number="GB 999 9999 73",
    )
    assert [c.evidenced for c in maker.catalogue_snapshot(TODAY).sourcing_claims] == [False, False, False]
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    maker.review_claim("recycled", "verified", None, OPERATOR, LATER)

    assert maker.catalogue_snapshot(TODAY).model_dump(mode="json") == {
        "maker_id": str(maker.id),
        "user_id": str(OWNER),
        "version": 3,
        "status": "draft",
        "handle": "silver-and-stone",
        "display_name": "Silver & Stone",
        "sourcing_claims": [
            {"scheme": "fairmined", "scope": "metal", "evidenced": True, "expires_on": "2026-01-01"},
            {"scheme": "recycled", "scope": "metal", "evidenced": True, "expires_on": None},
            {"scheme": "other", "scope": "stone", "evidenced": False, "expires_on": None},
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "accepts_commissions": True,
        "works_precious_metals": True,
        "natural_diamonds": True,
        "system_of_warranties_attested": True,
        # For orders' invoices only (shared/contracts/makers.py).
        "invoicing": {"legal_name": "Ada Smith", "vat_number": "GB999999973"},
        # Never set: the default profile (shipping.py).
        "shipping": ShippingProfile.default().model_dump(mode="json"),
    }


def test_views_have_json_schemas_for_the_openapi_document() -> None:
    maker = draft()
    for view in (maker.public_view(TODAY), maker.owner_view(TODAY), maker.catalogue_snapshot(TODAY)):
        assert type(view).model_json_schema(mode="serialization")["type"] == "object"


# --- validation boundaries ------------------------------------------------------------------------


def refused(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        MakerProfile.model_validate(data)
    return codes(raised.value)


@pytest.mark.parametrize(
    "handle", ["abc", "a-b", "silver-and-stone", "ring2025", "123", "a" * 40, "a-" * 19 + "ab"]
)
def test_valid_handles(handle: str) -> None:
    assert profile(handle=handle).handle == handle


@pytest.mark.parametrize(
    ("handle", "code"),
    [
        ("ab", "string_too_short"),
        ("a" * 41, "string_too_long"),
        ("Silver", "string_pattern_mismatch"),
        ("a--b", "string_pattern_mismatch"),
        ("-abc", "string_pattern_mismatch"),
        ("abc-", "string_pattern_mismatch"),
        ("a_b", "string_pattern_mismatch"),
        ("a b c", "string_pattern_mismatch"),
        ("émile", "string_pattern_mismatch"),
    ],
)
def test_invalid_handles(handle: str, code: str) -> None:
    assert refused(profile_data(handle=handle)) == [(("handle",), code)]


@pytest.mark.parametrize("mark", ["AB", "ABC", "ABCDE"])
def test_valid_sponsor_marks(mark: str) -> None:
    assert Hallmarking(sponsor_mark=mark, assay_office="london").sponsor_mark == mark


@pytest.mark.parametrize("mark", ["A", "ABCDEF", "", "ab", "A1", "A B", "ÅB"])
def test_invalid_sponsor_marks(mark: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Hallmarking(sponsor_mark=mark, assay_office="london")
    assert codes(raised.value) == [(("sponsor_mark",), "string_pattern_mismatch")]


@pytest.mark.parametrize("office", ["london", "birmingham", "sheffield", "edinburgh"])
def test_assay_offices(office: str) -> None:
    assert Hallmarking(sponsor_mark="AB", assay_office=office).assay_office == office  # type: ignore[arg-type]


def test_unknown_assay_office_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        Hallmarking(sponsor_mark="AB", assay_office="glasgow")  # type: ignore[arg-type]
    assert codes(raised.value) == [(("assay_office",), "literal_error")]


@pytest.mark.parametrize("country", ["GB", "FR", "US", "IE", "JP"])
def test_valid_country_codes(country: str) -> None:
    assert Location(country=country).country == country


@pytest.mark.parametrize(
    ("country", "code"),
    [
        ("UK", "invalid_country"),
        ("XX", "invalid_country"),
        ("gb", "invalid_country"),
        ("G", "string_too_short"),
        ("GBR", "string_too_long"),
        ("", "string_too_short"),
    ],
)
def test_invalid_country_codes(country: str, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Location(country=country)
    assert codes(raised.value) == [(("country",), code)]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        (profile_data(status="approved"), ("status",)),
        (profile_data(location={"country": "GB", "city": "Leeds"}), ("location", "city")),
        (
            profile_data(hallmarking={"sponsor_mark": "AB", "assay_office": "london", "x": 1}),
            ("hallmarking", "x"),
        ),
        (
            profile_data(production_partners=[{"name": "A", "role": "B", "email": "a@b"}]),
            ("production_partners", 0, "email"),
        ),
        (
            profile_data(sourcing_claims=[{"scheme": "recycled", "scope": "metal", "badge": True}]),
            ("sourcing_claims", 0, "badge"),
        ),
    ],
)
def test_unknown_fields_are_refused(data: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert refused(data) == [(loc, "extra_forbidden")]


def claim_with(**fields: Any) -> dict[str, Any]:
    return {"scheme": "recycled", "scope": "metal", **fields}


# (data builder taking a value, the loc of the error, largest accepted value)
STRING_CAPS: list[tuple[str, Callable[[Any], dict[str, Any]], tuple[Any, ...], int]] = [
    ("display_name", lambda v: profile_data(display_name=v), ("display_name",), 80),
    ("legal_name", lambda v: profile_data(legal_name=v), ("legal_name",), 200),
    ("bio", lambda v: profile_data(bio=v), ("bio",), 5000),
    ("region", lambda v: profile_data(location={"country": "GB", "region": v}), ("location", "region"), 100),
    ("technique", lambda v: profile_data(techniques=[v]), ("techniques", 0), 60),
    (
        "partner name",
        lambda v: profile_data(production_partners=[{"name": v, "role": "r"}]),
        ("production_partners", 0, "name"),
        120,
    ),
    (
        "partner role",
        lambda v: profile_data(production_partners=[{"name": "n", "role": v}]),
        ("production_partners", 0, "role"),
        120,
    ),
    (
        "supplier",
        lambda v: profile_data(sourcing_claims=[claim_with(supplier=v)]),
        ("sourcing_claims", 0, "supplier"),
        200,
    ),
    (
        "certificate_id",
        lambda v: profile_data(sourcing_claims=[claim_with(certificate_id=v)]),
        ("sourcing_claims", 0, "certificate_id"),
        100,
    ),
]


@pytest.mark.parametrize(
    ("build", "loc", "cap"), [c[1:] for c in STRING_CAPS], ids=[c[0] for c in STRING_CAPS]
)
def test_string_length_caps(build: Callable[[Any], dict[str, Any]], loc: tuple[Any, ...], cap: int) -> None:
    MakerProfile.model_validate(build("x" * cap))
    assert refused(build("x" * (cap + 1))) == [(loc, "string_too_long")]


def test_url_length_cap() -> None:
    base = "https://example.com/"
    at_cap = base + "a" * (2048 - len(base))
    assert profile(portfolio_urls=[at_cap]).portfolio_urls == [at_cap]
    assert refused(profile_data(portfolio_urls=[at_cap + "a"])) == [
        (("portfolio_urls", 0), "string_too_long")
    ]


LIST_CAPS: list[tuple[str, Any, int]] = [
    ("techniques", "filigree", 20),
    ("production_partners", {"name": "Caster", "role": "casting"}, 20),
    ("portfolio_urls", "https://example.com/p", 10),
    ("sourcing_claims", claim_with(), 20),
]


@pytest.mark.parametrize(("field", "item", "cap"), LIST_CAPS, ids=[c[0] for c in LIST_CAPS])
def test_list_size_caps(field: str, item: Any, cap: int) -> None:
    assert len(getattr(profile(**{field: [item] * cap}), field)) == cap
    assert refused(profile_data(**{field: [item] * (cap + 1)})) == [((field,), "too_long")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", ""), ("display_name", "   "), ("techniques", [""]), ("legal_name", " ")],
)
def test_blank_strings_are_refused(field: str, value: Any) -> None:
    [(_, code)] = refused(profile_data(**{field: value}))
    assert code == "string_too_short"


def test_strings_are_trimmed() -> None:
    assert profile(display_name="  Silver & Stone  ").display_name == "Silver & Stone"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", "Silver\x00Stone"),
        ("display_name", "Two\nlines"),
        ("techniques", ["a\x1bb"]),
        ("bio", "nul \x00 byte"),
    ],
)
def test_control_characters_are_refused(field: str, value: Any) -> None:
    [(_, code)] = refused(profile_data(**{field: value}))
    assert code == "control_character"


def test_lone_surrogates_are_refused() -> None:
    # UTF-8 cannot encode them, so the database would fail on them.
    assert refused(profile_data(legal_name="lone \ud800 surrogate")) == [(("legal_name",), "string_unicode")]
    maker = maker_in(MakerStatus.APPROVED)
    with pytest.raises(RulesViolated) as raised:
        maker.suspend("lone \ud800 surrogate", OPERATOR, LATER)
    assert raised.value.code == "control_character"


def test_bio_keeps_line_breaks_and_tabs() -> None:
    assert profile(bio="Line one\nLine two\r\n\tindented").bio == "Line one\nLine two\r\n\tindented"


@pytest.mark.parametrize(
    "url", ["https://example.com/portfolio", "http://example.com/a?b=c", "https://ex.co.uk/"]
)
def test_http_urls_are_kept_as_strings(url: str) -> None:
    [kept] = profile(portfolio_urls=[url]).portfolio_urls
    assert kept == url
    assert type(kept) is str


def test_urls_are_normalised() -> None:
    assert profile(portfolio_urls=["https://Example.COM"]).portfolio_urls == ["https://example.com/"]


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "javascript:alert(1)", "example.com", "https://", "", "not a url"]
)
def test_non_http_urls_are_refused(url: str) -> None:
    [(loc, code)] = refused(profile_data(portfolio_urls=[url]))
    assert loc == ("portfolio_urls", 0)
    assert code in {"invalid_url", "string_too_short"}
    [(loc, code)] = refused(profile_data(sourcing_claims=[claim_with(evidence_url=url)]))
    assert loc == ("sourcing_claims", 0, "evidence_url")


@pytest.mark.parametrize("value", ["true", 1, "yes", None])
def test_attestations_must_be_real_booleans(value: Any) -> None:
    for field in ("terms_accepted", "system_of_warranties_attested", "works_precious_metals"):
        [(loc, _)] = refused(profile_data(**{field: value}))
        assert loc == (field,)


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        (profile_data(business_type="partnership"), ("business_type",)),
        (
            profile_data(sourcing_claims=[claim_with(scheme="conflict_free")]),
            ("sourcing_claims", 0, "scheme"),
        ),
        (profile_data(sourcing_claims=[claim_with(scope="packaging")]), ("sourcing_claims", 0, "scope")),
    ],
)
def test_enumerations_are_closed(data: dict[str, Any], loc: tuple[Any, ...]) -> None:
    assert refused(data) == [(loc, "literal_error")]


def test_claim_expiry_is_a_date() -> None:
    assert SourcingClaim.model_validate(claim_with(expires_on="2026-03-31")).expires_on == date(2026, 3, 31)
    with pytest.raises(ValidationError):
        SourcingClaim.model_validate(claim_with(expires_on="next year"))


def test_value_objects_are_immutable() -> None:
    partner = ProductionPartner(name="Caster", role="casting")
    with pytest.raises(ValidationError):
        partner.name = "Other"  # type: ignore[misc]


# --- reapplying after a rejection ------------------------------------------------------------------

WAIT_DAYS = 30


def rejected_at(moment: datetime) -> Maker:
    maker = draft()
    maker.submit(OWNER, moment - timedelta(hours=1))
    maker.review("reject", "Pieces are not handmade", OPERATOR, moment)
    maker.pull_events()
    return maker


@pytest.mark.parametrize(
    ("after", "allowed"),
    [
        (timedelta(days=WAIT_DAYS) - timedelta(microseconds=1), False),  # just before
        (timedelta(days=WAIT_DAYS), True),  # exactly at the limit
        (timedelta(days=WAIT_DAYS, seconds=1), True),
        (timedelta(0), False),
    ],
)
def test_reopen_boundary(after: timedelta, allowed: bool) -> None:
    maker = rejected_at(CREATED)
    now = CREATED + after
    if allowed:
        maker.reopen(OWNER, now, WAIT_DAYS)
        assert maker.status == MakerStatus.DRAFT
        return
    with pytest.raises(Conflict) as raised:
        maker.reopen(OWNER, now, WAIT_DAYS)
    assert raised.value.code == "reapply_too_soon"
    assert raised.value.extra == {"reapply_from": (CREATED + timedelta(days=WAIT_DAYS)).isoformat()}
    assert maker.status == MakerStatus.REJECTED
    assert maker.pending_events == []


def test_a_rejected_maker_can_apply_again_with_the_same_account() -> None:
    """Live finding: a rejected maker could never apply again with the same account."""
    maker = rejected_at(CREATED)
    profile_before = maker.profile
    reopened_at = CREATED + timedelta(days=WAIT_DAYS)

    maker.reopen(OWNER, reopened_at, WAIT_DAYS)

    assert (maker.status, maker.profile) == (MakerStatus.DRAFT, profile_before)
    last = maker.history[-1]
    assert (last.from_status, last.to_status, last.at, last.by) == (
        MakerStatus.REJECTED,
        MakerStatus.DRAFT,
        reopened_at,
        OWNER,
    )
    [event] = maker.pull_events()
    assert (event.name, event.status) == ("reopened", MakerStatus.DRAFT)
    # The draft is edited and submitted again like any other.
    maker.edit(MakerProfilePatch(bio="Now all made by hand"), OWNER, reopened_at)
    maker.submit(OWNER, reopened_at)
    assert maker.status == MakerStatus.SUBMITTED


def test_the_wait_counts_from_the_latest_rejection() -> None:
    maker = rejected_at(CREATED)
    second = CREATED + timedelta(days=WAIT_DAYS)
    maker.reopen(OWNER, second, WAIT_DAYS)
    maker.submit(OWNER, second)
    maker.review("reject", "Still cast elsewhere", OPERATOR, second)
    with pytest.raises(Conflict):
        maker.reopen(OWNER, second + timedelta(days=WAIT_DAYS - 1), WAIT_DAYS)
    maker.reopen(OWNER, second + timedelta(days=WAIT_DAYS), WAIT_DAYS)
    assert maker.status == MakerStatus.DRAFT


def test_no_wait_when_the_setting_is_zero() -> None:
    maker = rejected_at(CREATED)
    maker.reopen(OWNER, CREATED, 0)
    assert maker.status == MakerStatus.DRAFT


# --- evidence and its verification ----------------------------------------------------------------

FM_CLAIM = {"scheme": "fairmined", "scope": "metal", "certificate_id": "FM-1", "expires_on": "2025-12-31"}


@pytest.mark.parametrize(
    "url", ["http://evidence.example.com/fm.pdf", "HTTP://evidence.example.com/fm.pdf", "ftp://example.com/f"]
)
def test_evidence_urls_must_be_https(url: str) -> None:
    with pytest.raises(ValidationError) as raised:
        SourcingClaim.model_validate({"scheme": "fairmined", "scope": "metal", "evidence_url": url})
    [(loc, code)] = codes(raised.value)
    assert loc == ("evidence_url",)
    assert code in ("evidence_url_not_https", "invalid_url")
    if url.lower().startswith("http://"):
        assert code == "evidence_url_not_https"


def test_an_https_evidence_url_is_accepted() -> None:
    claim = SourcingClaim.model_validate(
        {"scheme": "fairmined", "scope": "metal", "evidence_url": "https://evidence.example.com/fm.pdf"}
    )
    assert claim.has_evidence


def test_a_stored_http_evidence_url_still_loads() -> None:
    """Records written before the https rule load as they are (and stay pending verification)."""
    data = {"scheme": "fairmined", "scope": "metal", "evidence_url": "http://evidence.example.com/old.pdf"}
    claim = SourcingClaim.model_validate(data, context=STORED)
    assert claim.evidence_url == "http://evidence.example.com/old.pdf"
    assert draft(sourcing_claims=[claim]).claim_status(claim) == "pending_verification"


def test_only_an_operators_verification_makes_a_claim_evidenced() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    [claim] = maker.profile.sourcing_claims
    assert maker.claim_status(claim) == "pending_verification"
    maker.pull_events()

    maker.review_claim("fairmined", "verified", "Certificate matches the registry", OPERATOR, LATER)

    assert maker.claim_status(claim) == "evidenced"
    assert maker.status == MakerStatus.APPROVED
    assert [c.evidenced for c in maker.catalogue_snapshot(TODAY).sourcing_claims] == [True]
    [owned] = maker.owner_view(TODAY).model_dump(mode="json")["sourcing_claims"]
    assert (owned["status"], owned["evidenced"], owned["review"]) == (
        "evidenced",
        True,
        {
            "decision": "verified",
            "at": "2025-06-02T09:00:00Z",
            "by": str(OPERATOR),
            "note": "Certificate matches the registry",
        },
    )
    [event] = maker.pull_events()
    assert (event.name, event.by, event.status) == ("claim_reviewed", OPERATOR, MakerStatus.APPROVED)


def test_a_rejected_claim_is_never_a_badge_and_the_rejection_says_why() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    with pytest.raises(RulesViolated) as raised:
        maker.review_claim("fairmined", "rejected", "  ", OPERATOR, LATER)
    assert raised.value.code == "note_required"

    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    maker.review_claim("fairmined", "rejected", "The certificate is for another refiner", OPERATOR, LATER)

    [claim] = maker.profile.sourcing_claims
    assert maker.claim_status(claim) == "rejected"
    assert maker.catalogue_snapshot(TODAY).sourcing_claims[0].evidenced is False
    assert maker.public_view(TODAY).sourcing_claims[0].status == "rejected"
    assert checklist_of(maker)["sourcing_evidence"] == ("unmet", False)


def test_a_verified_claim_stops_being_evidenced_the_day_after_it_expires() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    expiry = date(2025, 12, 31)
    assert maker.catalogue_snapshot(expiry).sourcing_claims[0].evidenced is True
    assert maker.catalogue_snapshot(expiry + timedelta(days=1)).sourcing_claims == []
    [owned] = maker.owner_view(expiry + timedelta(days=1)).sourcing_claims
    assert (owned.status, owned.evidenced, owned.expired) == ("evidenced", False, True)


def test_reviewing_a_scheme_the_maker_does_not_hold_is_not_found() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    with pytest.raises(NotFound):
        maker.review_claim("fairtrade", "verified", None, OPERATOR, LATER)


def test_a_self_declared_claim_has_nothing_to_verify() -> None:
    maker = draft(sourcing_claims=[{"scheme": "recycled", "scope": "metal"}])
    with pytest.raises(StateConflict) as raised:
        maker.review_claim("recycled", "verified", None, OPERATOR, LATER)
    assert raised.value.extra == {"current_state": "self_declared"}
    assert maker.pending_events[-1].name == "created"


def test_an_unknown_claim_decision_is_refused() -> None:
    maker = draft(sourcing_claims=[FM_CLAIM])
    with pytest.raises(RulesViolated) as raised:
        maker.review_claim("fairmined", "approve", None, OPERATOR, LATER)  # type: ignore[arg-type]
    assert raised.value.code == "invalid_decision"


@pytest.mark.parametrize("start", [s for s in MakerStatus if s != MakerStatus.SUSPENDED])
def test_claims_may_be_replaced_in_any_state_but_suspended_which_is_kept(start: MakerStatus) -> None:
    maker = maker_in(start)
    version, history = maker.version, list(maker.history)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    assert (maker.status, maker.version, maker.history) == (start, version + 1, history)
    [event] = maker.pull_events()
    assert (event.name, event.status, event.by) == ("claims_updated", start, OWNER)


def test_a_suspended_maker_cannot_change_claims() -> None:
    maker = maker_in(MakerStatus.SUSPENDED)
    with pytest.raises(StateConflict) as raised:
        maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    assert raised.value.code == "invalid_state"
    assert maker.pending_events == []


def test_an_approved_maker_renews_an_expired_claim_and_stays_approved() -> None:
    """Live finding: an approved maker could not renew an expired claim (409)."""
    maker = maker_in(MakerStatus.APPROVED)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    after_expiry = date(2026, 1, 1)
    assert maker.catalogue_snapshot(after_expiry).sourcing_claims == []

    renewed = SourcingClaim.model_validate({**FM_CLAIM, "certificate_id": "FM-2", "expires_on": "2026-12-31"})
    maker.replace_claims([renewed], OWNER, LATER)

    assert maker.status == MakerStatus.APPROVED
    # New evidence is looked at again before it shows as a badge.
    assert maker.claim_status(renewed) == "pending_verification"
    assert [c.evidenced for c in maker.catalogue_snapshot(after_expiry).sourcing_claims] == [False]
    assert maker.claim_reviews == []  # the old claim's review went with it
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    assert [c.evidenced for c in maker.catalogue_snapshot(after_expiry).sourcing_claims] == [True]


def test_unchanged_claims_keep_their_review_and_record_nothing() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    maker.review_claim("fairmined", "verified", None, OPERATOR, LATER)
    maker.pull_events()
    version = maker.version

    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)], OWNER, LATER)
    assert (maker.version, maker.pending_events) == (version, [])

    other = SourcingClaim.model_validate({"scheme": "recycled", "scope": "metal"})
    maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM), other], OWNER, LATER)
    assert maker.claim_status(maker.profile.sourcing_claims[0]) == "evidenced"


def test_replacing_claims_keeps_the_list_cap() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    with pytest.raises(ValidationError):
        maker.replace_claims([SourcingClaim.model_validate(FM_CLAIM)] * 21, OWNER, LATER)


def test_republishing_claims_records_an_event_and_changes_nothing_else() -> None:
    maker = maker_in(MakerStatus.APPROVED)
    profile_before, history_before, version = maker.profile, list(maker.history), maker.version
    maker.republish_claims(LATER)
    assert (maker.profile, maker.history, maker.version) == (profile_before, history_before, version + 1)
    [event] = maker.pull_events()
    assert (event.name, event.status, event.by) == ("claims_updated", MakerStatus.APPROVED, UUID(int=0))


# --- an approved maker's compliance fields ---------------------------------------------------------


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


@pytest.mark.parametrize(
    ("count", "total", "average"),
    [(0, 0, None), (3, 13, 4.33), (6, 25, 4.17), (8, 37, 4.63), (1, 5, 5.0)],
)
def test_views_show_the_rating_rounded_half_up_to_two_decimals(
    count: int, total: int, average: float | None
) -> None:
    maker = maker_in(MakerStatus.APPROVED)
    maker.rating = Rating(count, total)
    expected = {"average": average, "count": count}
    assert maker.public_view(TODAY).model_dump(mode="json")["rating"] == expected
    assert maker.owner_view(TODAY).model_dump(mode="json")["rating"] == expected
