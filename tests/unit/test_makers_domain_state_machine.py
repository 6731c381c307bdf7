"""The maker's state machine (services/makers/domain/maker.py, history.py): every status and action,
allowed or refused, the operator's review and suspension and the notes they take, and reapplying
after a rejection once the wait is over (reapply_from, services/makers/domain/claims.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.makers.domain import NOTE_MAX_LENGTH, Maker, MakerProfile, MakerProfilePatch, MakerStatus
from shared.errors import Conflict, RulesViolated, StateConflict
from tests.unit.makers_domain_support import CREATED, LATER, OPERATOR, OWNER, draft, maker_in, profile

# --- the state machine ----------------------------------------------------------------------------

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


# --- review, suspension and notes -----------------------------------------------------------------


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


# --- reapplying after a rejection -----------------------------------------------------------------

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
