"""The listing aggregate (services/catalogue/domain/listing.py): its state machine (draft,
published, paused, sold out, archived) and its edits, which record what changed and keep a public
listing publishable."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.catalogue.domain import (
    Availability,
    ListingEventName,
    ListingPatch,
    ListingStatus,
    ReserveRefusal,
)
from shared.errors import RulesViolated, StateConflict
from tests.unit.catalogue_domain_support import (
    FAIRMINED_EVIDENCED,
    IMAGES,
    LATER,
    LISTING_ID,
    NOW,
    event_names,
    listing_in,
    new_listing,
    published,
)

# --- state machine --------------------------------------------------------------------------------


def assert_conflict(error: pytest.ExceptionInfo[StateConflict], state: str) -> None:
    assert isinstance(error.value, StateConflict)
    assert error.value.extra["current_state"] == state
    assert state in error.value.detail


def test_a_new_listing_is_a_draft() -> None:
    listing = new_listing()
    assert (listing.status, listing.version, listing.published_at) == (ListingStatus.DRAFT, 1, None)
    assert listing.pending_events == []
    assert not listing.is_public


def test_publishing_a_valid_draft() -> None:
    listing = new_listing()
    listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert listing.status is ListingStatus.PUBLISHED
    assert (listing.published_at, listing.updated_at, listing.version) == (LATER, LATER, 2)
    [event] = listing.pull_events()
    assert (event.name, event.aggregate_version, event.listing_id) == (
        ListingEventName.PUBLISHED,
        2,
        LISTING_ID,
    )
    assert event.data == {"previous_status": "draft"}
    assert listing.is_public


def test_publishing_an_invalid_draft_reports_every_rule_and_changes_nothing() -> None:
    listing = new_listing(title=None, photos=[], sourcing_claims=["fairmined"])
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert {v.code for v in error.value.errors} == {"title_required", "photos_required", "claim_not_held"}
    assert (listing.status, listing.version, listing.pending_events) == (ListingStatus.DRAFT, 1, [])


def test_publishing_checks_the_makers_claims() -> None:
    listing = new_listing(sourcing_claims=["fairmined"])
    listing.publish(now=LATER, maker_claims=[FAIRMINED_EVIDENCED], images=IMAGES)
    assert listing.status is ListingStatus.PUBLISHED


def test_pause_and_unpause() -> None:
    listing = published()
    listing.pause(now=LATER)
    assert listing.status is ListingStatus.PAUSED
    assert not listing.is_public
    assert event_names(listing) == ["paused"]
    listing.publish(now=LATER + timedelta(hours=1), maker_claims=[], images=IMAGES)
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.published_at == NOW
    [event] = listing.pull_events()
    assert event.data == {"previous_status": "paused"}


def test_unpausing_runs_the_rules_again() -> None:
    listing = new_listing(sourcing_claims=["fairmined"])
    listing.publish(now=NOW, maker_claims=[FAIRMINED_EVIDENCED], images=IMAGES)
    listing.pause(now=NOW)
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert [v.code for v in error.value.errors] == ["claim_not_held"]
    assert listing.status is ListingStatus.PAUSED


@pytest.mark.parametrize("state", ["published", "sold_out", "archived"])
def test_publish_is_refused_outside_draft_and_paused(state: str) -> None:
    listing = listing_in(state)
    with pytest.raises(StateConflict) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert_conflict(error, state)


@pytest.mark.parametrize("state", ["draft", "paused", "sold_out", "archived"])
def test_pause_is_refused_unless_published(state: str) -> None:
    listing = listing_in(state)
    with pytest.raises(StateConflict) as error:
        listing.pause(now=LATER)
    assert_conflict(error, state)


@pytest.mark.parametrize("state", ["draft", "published", "paused", "sold_out"])
def test_any_state_can_be_archived(state: str) -> None:
    listing = listing_in(state)
    listing.archive(now=LATER)
    assert listing.status is ListingStatus.ARCHIVED
    [event] = listing.pull_events()
    assert event.name == ListingEventName.ARCHIVED
    assert event.data == {"previous_status": state}


def test_archived_is_terminal() -> None:
    listing = listing_in("archived")
    for command in (
        lambda: listing.archive(now=LATER),
        lambda: listing.publish(now=LATER, maker_claims=[], images=IMAGES),
        lambda: listing.pause(now=LATER),
        lambda: listing.edit(ListingPatch(title="New title"), now=LATER, maker_claims=[], images=IMAGES),
    ):
        with pytest.raises(StateConflict) as error:
            command()
        assert_conflict(error, "archived")
    assert listing.reserve(1, now=LATER).refusal is ReserveRefusal.NOT_AVAILABLE


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        new_listing().publish(now=datetime(2025, 6, 2, 9, 0), maker_claims=[], images=IMAGES)


# --- edits ----------------------------------------------------------------------------------------


def test_edits_record_what_changed() -> None:
    listing = published()
    listing.edit(ListingPatch(title="Carved signet ring"), now=LATER, maker_claims=[], images=IMAGES)
    assert listing.fields.title == "Carved signet ring"
    assert (listing.version, listing.updated_at) == (3, LATER)
    [event] = listing.pull_events()
    assert event.name == ListingEventName.UPDATED
    assert event.data == {"changed": ["title"]}


def test_a_price_change_also_records_price_changed() -> None:
    listing = published()
    listing.edit(
        ListingPatch.model_validate({"price": {"amount": 15000}}), now=LATER, maker_claims=[], images=IMAGES
    )
    updated, price_changed = listing.pull_events()
    assert (updated.name, price_changed.name) == ("updated", "price_changed")
    assert price_changed.data == {
        "old": {"amount": 12500, "currency": "GBP"},
        "new": {"amount": 15000, "currency": "GBP"},
    }
    assert updated.aggregate_version == price_changed.aggregate_version == listing.version


def test_an_edit_that_changes_nothing_records_nothing() -> None:
    listing = published()
    listing.edit(ListingPatch(title=listing.fields.title), now=LATER, maker_claims=[], images=IMAGES)
    listing.edit(ListingPatch(), now=LATER, maker_claims=[], images=IMAGES)
    assert (listing.version, listing.pending_events) == (2, [])


def test_patches_replace_only_the_fields_sent_and_null_clears() -> None:
    listing = new_listing()
    listing.edit(
        ListingPatch.model_validate({"description": None, "style_tags": []}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.fields.description is None
    assert listing.fields.style_tags == []
    assert listing.fields.title == "Sterling silver signet ring"


def test_a_draft_may_be_edited_into_any_shape() -> None:
    listing = new_listing()
    listing.edit(ListingPatch(title=None, photos=[]), now=LATER, maker_claims=[], images=IMAGES)
    assert listing.fields.title is None


def test_a_public_listing_must_stay_publishable() -> None:
    listing = published()
    before = listing.fields
    with pytest.raises(RulesViolated) as error:
        listing.edit(
            ListingPatch.model_validate(
                {"hallmark": {"status": "not_applicable"}, "title": "A real diamond"}
            ),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert {v.code for v in error.value.errors} == {"hallmark_required", "hallmark_status_mismatch"}
    assert (listing.fields, listing.version, listing.pending_events) == (before, 2, [])


def test_a_paused_listing_may_be_edited_freely() -> None:
    listing = listing_in("paused")
    listing.edit(ListingPatch(photos=[]), now=LATER, maker_claims=[], images=IMAGES)
    assert listing.fields.photos == []


def test_production_kind_may_change_in_a_draft() -> None:
    listing = new_listing()
    listing.edit(
        ListingPatch.model_validate(
            {"production": {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 10}}}
        ),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.stock is None
    assert listing.availability is Availability.MADE_TO_ORDER


@pytest.mark.parametrize("state", ["published", "sold_out"])
def test_production_kind_is_locked_while_public(state: str) -> None:
    listing = listing_in(state)
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": {"kind": "one_of_a_kind"}}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "production_kind_locked"
    assert_conflict(error, state)


def test_production_kind_is_locked_once_stock_is_reserved() -> None:
    listing = published()
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": {"kind": "one_of_a_kind"}}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "production_kind_locked"
