"""Stock (services/catalogue/domain/stock.py): the counters that reserve, commit and release units
without overselling, a listing's status following its stock, one-of-a-kind pieces that sell once,
and properties over random sequences of operations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.catalogue.domain import (
    Availability,
    ListingEventName,
    ListingPatch,
    ListingStatus,
    Production,
    ReserveRefusal,
    StockCounters,
    StockInvariantError,
    commit_stock,
    release_stock,
    reserve_stock,
)
from services.catalogue.domain.stock import restock_refusal
from shared.errors import RulesViolated, StateConflict
from tests.unit.catalogue_domain_support import (
    IMAGES,
    LATER,
    NOW,
    event_names,
    listing_in,
    new_listing,
    published,
)


def test_reserve_commit_and_release_move_units_between_counters() -> None:
    counters = StockCounters(available=3)
    reserved = reserve_stock(counters, 2)
    assert reserved.ok and reserved.counters == StockCounters(1, 2, 0)
    assert commit_stock(StockCounters(1, 2, 0), 1) == StockCounters(1, 1, 1)
    assert release_stock(StockCounters(1, 1, 1), 1) == StockCounters(2, 0, 1)


def test_reserve_never_oversells() -> None:
    result = reserve_stock(StockCounters(available=2), 3)
    assert (result.ok, result.refusal, result.counters) == (
        False,
        ReserveRefusal.OUT_OF_STOCK,
        StockCounters(available=2),
    )


@pytest.mark.parametrize(
    "operation",
    [
        lambda: commit_stock(StockCounters(5, 1, 0), 2),
        lambda: release_stock(StockCounters(5, 0, 0), 1),
        lambda: reserve_stock(StockCounters(5), 0),
        lambda: StockCounters(-1),
    ],
)
def test_stock_invariants_are_guarded(operation: Any) -> None:
    with pytest.raises(StockInvariantError):
        operation()


def test_a_listing_reserves_only_while_published() -> None:
    assert listing_in("draft").reserve(1, now=LATER).refusal is ReserveRefusal.NOT_AVAILABLE
    assert listing_in("paused").reserve(1, now=LATER).refusal is ReserveRefusal.NOT_AVAILABLE
    assert listing_in("sold_out").reserve(1, now=LATER).refusal is ReserveRefusal.OUT_OF_STOCK


def test_a_reservation_changes_the_listings_stock() -> None:
    listing = published()
    result = listing.reserve(2, now=LATER)
    assert result.ok
    assert listing.stock == StockCounters(1, 2, 0)
    assert listing.fields.production is not None and listing.fields.production.stock == 1
    assert (listing.version, listing.pending_events) == (3, [])
    assert listing.reserve(2, now=LATER).refusal is ReserveRefusal.OUT_OF_STOCK
    assert listing.version == 3


def test_selling_the_last_unit_sells_out_and_a_release_brings_it_back() -> None:
    listing = published(production={"kind": "ready_to_ship", "stock": 2})
    assert listing.reserve(1, now=NOW).ok
    assert listing.reserve(1, now=NOW).ok
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.availability is Availability.SOLD_OUT
    listing.commit_reservation(1, now=LATER)
    assert listing.status is ListingStatus.SOLD_OUT
    assert event_names(listing) == ["sold_out"]
    listing.release_reservation(1, now=LATER)
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.availability is Availability.IN_STOCK
    [event] = listing.pull_events()
    assert (event.name, event.data) == (ListingEventName.BACK_IN_STOCK, {"available": 1})
    assert listing.stock == StockCounters(1, 0, 1)


def test_restocking_a_sold_out_listing_publishes_it_again() -> None:
    listing = listing_in("sold_out")
    listing.edit(
        ListingPatch.model_validate({"production": {"kind": "ready_to_ship", "stock": 4}}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.status is ListingStatus.PUBLISHED
    assert listing.stock == StockCounters(4, 0, 1)
    assert event_names(listing) == ["updated", "back_in_stock"]


def test_setting_stock_to_zero_sells_out_a_published_listing() -> None:
    listing = published()
    listing.edit(
        ListingPatch.model_validate({"production": {"kind": "ready_to_ship", "stock": 0}}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.status is ListingStatus.SOLD_OUT
    assert event_names(listing) == ["updated", "sold_out"]


def test_a_committed_reservation_on_a_paused_listing_keeps_it_paused() -> None:
    listing = published(production={"kind": "ready_to_ship", "stock": 1})
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    listing.commit_reservation(1, now=LATER)
    assert listing.status is ListingStatus.PAUSED
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert [v.code for v in error.value.errors] == ["stock_required"]


def test_reservations_settle_whatever_the_state() -> None:
    listing = published()
    assert listing.reserve(2, now=NOW).ok
    listing.archive(now=NOW)
    listing.commit_reservation(1, now=LATER)
    listing.release_reservation(1, now=LATER)
    assert listing.status is ListingStatus.ARCHIVED
    assert listing.stock == StockCounters(2, 0, 1)


def test_one_of_a_kind_sells_once_and_cannot_be_restocked() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.stock == StockCounters(1)
    assert listing.availability is Availability.IN_STOCK
    assert listing.reserve(2, now=NOW).refusal is ReserveRefusal.OUT_OF_STOCK
    assert listing.reserve(1, now=NOW).ok
    listing.commit_reservation(1, now=NOW)
    assert listing.status is ListingStatus.SOLD_OUT
    version = listing.version
    listing.pull_events()
    # Issue 13: restocking a sold one-of-a-kind returned 200 and changed nothing.
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": {"kind": "one_of_a_kind", "stock": 1}}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "stock_not_applicable"
    assert error.value.extra == {"current_state": "sold_out"}
    assert (listing.status, listing.version, event_names(listing)) == (ListingStatus.SOLD_OUT, version, [])
    assert listing.stock == StockCounters(0, 0, 1)
    assert listing.availability is Availability.SOLD_OUT


def one_of_a_kind(stock: int | None = None) -> dict[str, Any]:
    return {"kind": "one_of_a_kind", "stock": stock}


@pytest.mark.parametrize(
    ("counters", "current", "sent", "refused"),
    [
        # Its one unit still for sale: a count of one is no restock.
        (StockCounters(1), one_of_a_kind(), one_of_a_kind(1), False),
        # Sold or reserved: no count brings it back, not even the one it was listed with.
        (StockCounters(0, 0, 1), one_of_a_kind(), one_of_a_kind(1), True),
        (StockCounters(0, 0, 1), one_of_a_kind(1), one_of_a_kind(1), True),
        (StockCounters(0, 0, 1), one_of_a_kind(), one_of_a_kind(0), True),
        (StockCounters(0, 0, 1), one_of_a_kind(), one_of_a_kind(5), True),
        (StockCounters(0, 1, 0), one_of_a_kind(), one_of_a_kind(1), True),
        # No count sent, or production left alone: no stock change.
        (StockCounters(0, 0, 1), one_of_a_kind(1), one_of_a_kind(), False),
        (StockCounters(0, 0, 1), one_of_a_kind(1), None, False),
        # A sale undone before dispatch brought the piece back: it is for sale again.
        (StockCounters(1, 0, 0), one_of_a_kind(), one_of_a_kind(1), False),
        # A change of kind is locked elsewhere (production_kind_locked).
        (StockCounters(0, 0, 1), one_of_a_kind(), {"kind": "ready_to_ship", "stock": 4}, False),
        # Counted and made-to-order stock are the fields' rules, not this one.
        (
            StockCounters(0, 0, 3),
            {"kind": "ready_to_ship", "stock": 0},
            {"kind": "ready_to_ship", "stock": 4},
            False,
        ),
        (
            None,
            {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 9}},
            {"kind": "made_to_order", "stock": 2, "lead_time_days": {"min": 5, "max": 9}},
            False,
        ),
    ],
)
def test_stock_that_cannot_apply(
    counters: StockCounters | None,
    current: dict[str, Any],
    sent: dict[str, Any] | None,
    refused: bool,
) -> None:
    refusal = restock_refusal(
        counters,
        Production.model_validate(current),
        Production.model_validate(sent) if sent is not None else None,
    )
    assert (refusal is not None) == refused, refusal


def test_resending_the_listed_count_of_a_sold_one_of_a_kind_is_409_not_a_silent_200() -> None:
    """Issue 13's live finding: the count it was listed with, sent again, changed nothing and
    answered 200. Editing anything else of the sold piece is fine."""
    listing = published(production=one_of_a_kind(1))
    assert listing.reserve(1, now=NOW).ok
    listing.commit_reservation(1, now=NOW)
    version = listing.version
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": one_of_a_kind(1)}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert error.value.code == "stock_not_applicable"
    assert listing.version == version
    listing.edit(
        ListingPatch.model_validate({"description": "Sold, with thanks."}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert (listing.status, listing.stock) == (ListingStatus.SOLD_OUT, StockCounters(0, 0, 1))


def test_a_reserved_one_of_a_kind_piece_cannot_be_restocked_while_paused() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    with pytest.raises(StateConflict) as error:
        listing.edit(
            ListingPatch.model_validate({"production": one_of_a_kind(1)}),
            now=LATER,
            maker_claims=[],
            images=IMAGES,
        )
    assert (error.value.code, error.value.extra) == ("stock_not_applicable", {"current_state": "paused"})
    assert listing.stock == StockCounters(0, 1, 0)


def test_a_one_of_a_kind_piece_whose_sale_was_undone_may_be_edited() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.reserve(1, now=NOW).ok
    listing.commit_reservation(1, now=NOW)
    listing.return_sold(1, now=LATER)
    assert listing.status is ListingStatus.PUBLISHED
    listing.edit(
        ListingPatch.model_validate({"production": one_of_a_kind(1)}),
        now=LATER,
        maker_claims=[],
        images=IMAGES,
    )
    assert listing.stock == StockCounters(1)


def test_a_reserved_one_of_a_kind_piece_cannot_be_republished() -> None:
    listing = published(production={"kind": "one_of_a_kind"})
    assert listing.reserve(1, now=NOW).ok
    listing.pause(now=NOW)
    with pytest.raises(RulesViolated) as error:
        listing.publish(now=LATER, maker_claims=[], images=IMAGES)
    assert [(v.code, v.loc) for v in error.value.errors] == [("stock_required", ("production", "stock"))]


def test_made_to_order_is_unlimited() -> None:
    listing = published(production={"kind": "made_to_order", "lead_time_days": {"min": 7, "max": 14}})
    for _ in range(50):
        assert listing.reserve(10, now=NOW).ok
    listing.commit_reservation(10, now=NOW)
    listing.release_reservation(10, now=NOW)
    assert (listing.stock, listing.status, listing.version) == (None, ListingStatus.PUBLISHED, 2)
    assert listing.availability is Availability.MADE_TO_ORDER


def test_availability_is_unknown_until_production_is_described() -> None:
    assert new_listing(production=None).availability is None


stock_operations = st.lists(
    st.tuples(st.sampled_from(["reserve", "commit", "release"]), st.integers(1, 4)),
    max_size=60,
)


@settings(max_examples=300)
@given(initial=st.integers(0, 10), operations=stock_operations)
def test_stock_counters_never_go_negative_and_conserve_the_total(
    initial: int, operations: list[tuple[str, int]]
) -> None:
    counters = StockCounters(available=initial)
    for operation, quantity in operations:
        if operation == "reserve":
            counters = reserve_stock(counters, quantity).counters or counters
        elif quantity <= counters.reserved:
            move = commit_stock if operation == "commit" else release_stock
            counters = move(counters, quantity)
        assert min(counters.available, counters.reserved, counters.sold) >= 0
        assert counters.stocked == initial


@settings(max_examples=200)
@given(initial=st.integers(1, 6), operations=stock_operations)
def test_a_listing_never_oversells_and_its_status_follows_its_stock(
    initial: int, operations: list[tuple[str, int]]
) -> None:
    listing = published(production={"kind": "ready_to_ship", "stock": initial})
    for operation, quantity in operations:
        assert listing.stock is not None
        if operation == "reserve":
            listing.reserve(quantity, now=NOW)
        elif quantity <= listing.stock.reserved:
            if operation == "commit":
                listing.commit_reservation(quantity, now=NOW)
            else:
                listing.release_reservation(quantity, now=NOW)
        assert listing.stock.stocked == initial
        assert listing.stock.sold <= initial
        assert listing.fields.production is not None
        assert listing.fields.production.stock == listing.stock.available
        if listing.status is ListingStatus.SOLD_OUT:
            assert listing.stock.available == 0
        if listing.stock.available > 0:
            assert listing.status is ListingStatus.PUBLISHED
