"""The catalogue domain's reservations: all of an order's lines or none, each unit moved once
whatever the order of messages, sold units returned, and hiding and showing a listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.catalogue.domain import (
    Listing,
    ListingDraft,
    ListingEventName,
    ListingStatus,
    MoveKind,
    OrderLine,
    Reservation,
    ReservationFailure,
    ReservationStatus,
    StockCounters,
    StockInvariantError,
    StockMove,
    apply_stock_moves,
    reserve_order,
    return_stock,
)
from tests.support.photos import PHOTO, ready_images

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=20)
MAKER = UUID("00000000-0000-4000-8000-00000000000b")
OTHER_MAKER = UUID("00000000-0000-4000-8000-00000000000c")
ORDER = UUID("00000000-0000-4000-8000-0000000000aa")


def listing(
    production: dict[str, Any], *, maker: UUID = MAKER, publish: bool = True, price: int = 12500
) -> Listing:
    fields = ListingDraft.model_validate(
        {
            "title": "Sterling silver signet ring",
            "description": "Cast in recycled silver.",
            "category": "ring",
            "price": {"amount": price},
            "production": production,
            "metals": [{"metal": "silver", "fineness": 925, "weight_g": "9.5"}],
            "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
            "options": {"ring_size_mm": {"min": 50, "max": 60}},
            "photos": [PHOTO],
        }
    )
    item = Listing.create(listing_id=uuid4(), maker_id=maker, fields=fields, now=NOW)
    if publish:
        item.publish(now=NOW, maker_claims=[], images=ready_images(maker))
        item.pull_events()
    return item


def line(item: Listing, quantity: int = 1, price: int = 12500, currency: str = "GBP") -> OrderLine:
    return OrderLine(uuid4(), item.id, quantity, price, currency)


def reserve(
    lines: list[OrderLine], listings: list[Listing], approved: tuple[UUID, ...] = (MAKER, OTHER_MAKER)
) -> tuple[Reservation, dict]:
    return reserve_order(
        ORDER, lines, {item.id: item for item in listings}, approved, now=NOW, expires_at=EXPIRES
    )


def test_every_line_is_reserved_at_the_listings_price() -> None:
    rings = listing({"kind": "ready_to_ship", "stock": 3})
    unique = listing({"kind": "one_of_a_kind"}, maker=OTHER_MAKER, price=90000)
    bespoke = listing({"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 9}})
    lines = [line(rings, 2), line(unique, 1, 90000), line(bespoke, 4)]
    reservation, failures = reserve(lines, [rings, unique, bespoke])
    assert failures == {}
    assert (reservation.status, reservation.expires_at) == (ReservationStatus.HELD, EXPIRES)
    assert [
        (line.maker_id, line.quantity, line.held, line.unit_price.amount) for line in reservation.lines
    ] == [
        (MAKER, 2, 2, 12500),
        (OTHER_MAKER, 1, 1, 90000),
        (MAKER, 4, 4, 12500),
    ]
    assert rings.stock == StockCounters(1, 2, 0)
    assert unique.stock == StockCounters(0, 1, 0)
    assert bespoke.stock is None


def test_one_failing_line_reserves_nothing_and_each_failure_has_its_reason() -> None:
    rings = listing({"kind": "ready_to_ship", "stock": 3})
    paused = listing({"kind": "ready_to_ship", "stock": 3})
    paused.pause(now=NOW)
    suspended = listing({"kind": "ready_to_ship", "stock": 3}, maker=OTHER_MAKER)
    cheap = listing({"kind": "ready_to_ship", "stock": 3})
    lines = [
        line(rings, 2),
        line(rings, 2),
        line(paused),
        line(suspended),
        OrderLine(uuid4(), uuid4(), 1, 100, "GBP"),
        line(cheap, 1, 9900),
        line(cheap, 1, 12500, "EUR"),
    ]
    before = [(item.stock, item.version) for item in (rings, paused, suspended, cheap)]
    reservation, failures = reserve(lines, [rings, paused, suspended, cheap], approved=(MAKER,))
    assert reservation.status is ReservationStatus.FAILED and reservation.lines == []
    assert [failures.get(line.line_id) for line in lines] == [
        None,  # fine on its own...
        ReservationFailure.OUT_OF_STOCK,  # ...but the order wants 4 of 3
        ReservationFailure.NOT_AVAILABLE,  # paused
        ReservationFailure.NOT_AVAILABLE,  # its maker is not approved
        ReservationFailure.NOT_AVAILABLE,  # unknown
        ReservationFailure.PRICE_CHANGED,
        ReservationFailure.PRICE_CHANGED,  # another currency is another price
    ]
    assert [(item.stock, item.version) for item in (rings, paused, suspended, cheap)] == before


def test_a_sold_out_listing_is_out_of_stock() -> None:
    unique = listing({"kind": "one_of_a_kind"})
    assert reserve([line(unique)], [unique])[1] == {}
    unique.commit_reservation(1, now=NOW)
    assert unique.status is ListingStatus.SOLD_OUT
    order_line = line(unique)
    assert reserve([order_line], [unique])[1] == {order_line.line_id: ReservationFailure.OUT_OF_STOCK}


def held(*quantities: int) -> tuple[Reservation, list[Listing]]:
    listings = [
        listing({"kind": "ready_to_ship", "stock": 5}, maker=MAKER if i % 2 == 0 else OTHER_MAKER)
        for i in range(len(quantities))
    ]
    reservation, failures = reserve(
        [line(item, quantity) for item, quantity in zip(listings, quantities, strict=False)], listings
    )
    assert not failures
    return reservation, listings


def settle(listings: list[Listing], moves: list[StockMove]) -> None:
    apply_stock_moves({item.id: item for item in listings}, moves, now=NOW)


def test_confirmation_sells_the_held_units_once() -> None:
    reservation, listings = held(2, 1)
    moves = reservation.commit(now=NOW)
    assert moves == [
        StockMove(listings[0].id, MoveKind.COMMIT, 2),
        StockMove(listings[1].id, MoveKind.COMMIT, 1),
    ]
    settle(listings, moves)
    assert [item.stock for item in listings] == [StockCounters(3, 0, 2), StockCounters(4, 0, 1)]
    assert reservation.commit(now=NOW) == []  # a duplicate confirmation
    assert reservation.status is ReservationStatus.COMMITTED


def test_cancellation_before_confirmation_releases_everything_once() -> None:
    reservation, listings = held(2, 1)
    moves = reservation.cancel(release_stock=False, lines=[], now=NOW)
    assert {(m.kind, m.quantity) for m in moves} == {(MoveKind.RELEASE, 2), (MoveKind.RELEASE, 1)}
    settle(listings, moves)
    assert [item.stock for item in listings] == [StockCounters(5), StockCounters(5)]
    assert reservation.status is ReservationStatus.RELEASED
    assert reservation.cancel(release_stock=True, lines=[], now=NOW) == []
    assert reservation.commit(now=NOW) == []  # a late confirmation sells nothing


def test_cancellation_after_confirmation_returns_sold_units_only_when_told() -> None:
    reservation, listings = held(2, 1)
    settle(listings, reservation.commit(now=NOW))
    assert reservation.cancel(release_stock=False, lines=[], now=NOW) == []
    assert reservation.status is ReservationStatus.COMMITTED
    moves = reservation.cancel(release_stock=True, lines=[(listings[0].id, 1)], now=NOW)
    assert moves == [StockMove(listings[0].id, MoveKind.RETURN, 1)]
    settle(listings, moves)
    assert listings[0].stock == StockCounters(4, 0, 1)
    assert reservation.status is ReservationStatus.RETURNED
    assert reservation.cancel(release_stock=True, lines=[], now=NOW) == []


def test_cancelling_a_confirmed_order_without_lines_returns_every_unit() -> None:
    reservation, listings = held(2, 1)
    settle(listings, reservation.commit(now=NOW))
    settle(listings, reservation.cancel(release_stock=True, lines=[], now=NOW))
    assert [item.stock for item in listings] == [StockCounters(5, 0, 0), StockCounters(5, 0, 0)]
    assert all(line.released == line.quantity for line in reservation.lines)


def test_a_declining_maker_returns_only_their_units_and_only_once() -> None:
    reservation, listings = held(2, 1, 3)  # makers: MAKER, OTHER_MAKER, MAKER
    settle(listings, reservation.commit(now=NOW))
    moves = reservation.decline_maker(MAKER, lines=[], now=NOW)
    assert moves == [
        StockMove(listings[0].id, MoveKind.RETURN, 2),
        StockMove(listings[2].id, MoveKind.RETURN, 3),
    ]
    assert reservation.decline_maker(MAKER, lines=[], now=NOW) == []
    # Lines named for another maker's listing are not this maker's to return.
    assert reservation.decline_maker(
        OTHER_MAKER, lines=[(listings[0].id, 2), (listings[1].id, 1)], now=NOW
    ) == [StockMove(listings[1].id, MoveKind.RETURN, 1)]


def test_a_decline_handled_before_the_confirmation_releases_what_is_held() -> None:
    reservation, listings = held(2, 1)
    moves = reservation.decline_maker(OTHER_MAKER, lines=[], now=NOW)
    assert moves == [StockMove(listings[1].id, MoveKind.RELEASE, 1)]
    assert reservation.commit(now=NOW) == [StockMove(listings[0].id, MoveKind.COMMIT, 2)]


def test_expiry_releases_a_held_reservation_only_when_due() -> None:
    reservation, _ = held(1)
    assert not reservation.is_due_to_expire(EXPIRES - timedelta(seconds=1))
    assert reservation.is_due_to_expire(EXPIRES)
    assert len(reservation.release(now=EXPIRES, expired=True)) == 1
    assert reservation.status is ReservationStatus.EXPIRED
    assert not reservation.is_due_to_expire(EXPIRES)


def test_a_tombstone_accepts_nothing() -> None:
    tombstone = Reservation.tombstone(ORDER, now=NOW)
    assert tombstone.status is ReservationStatus.CANCELLED
    assert tombstone.commit(now=NOW) == []
    assert tombstone.cancel(release_stock=True, lines=[], now=NOW) == []
    assert tombstone.decline_maker(MAKER, lines=[], now=NOW) == []


def test_returning_sold_units_brings_a_one_of_a_kind_piece_back() -> None:
    unique = listing({"kind": "one_of_a_kind"})
    reservation, _ = reserve([line(unique)], [unique])
    settle([unique], reservation.commit(now=NOW))
    assert unique.status is ListingStatus.SOLD_OUT
    unique.pull_events()
    settle([unique], reservation.cancel(release_stock=True, lines=[], now=NOW))
    assert (unique.status, unique.stock) == (ListingStatus.PUBLISHED, StockCounters(1, 0, 0))
    assert [e.name for e in unique.pull_events()] == [ListingEventName.BACK_IN_STOCK]


def test_stock_cannot_return_more_than_was_sold() -> None:
    with pytest.raises(StockInvariantError):
        return_stock(StockCounters(1, 0, 1), 2)


def test_a_made_to_order_listing_counts_nothing() -> None:
    bespoke = listing({"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 9}})
    reservation, _ = reserve([line(bespoke, 3)], [bespoke])
    settle([bespoke], reservation.commit(now=NOW))
    settle([bespoke], reservation.cancel(release_stock=True, lines=[], now=NOW))
    assert (bespoke.stock, bespoke.version) == (None, 2)


@pytest.mark.parametrize("sold", [False, True], ids=["published", "sold_out"])
def test_suspension_hides_and_reinstatement_shows_a_public_listing(sold: bool) -> None:
    item = listing({"kind": "one_of_a_kind"})
    if sold:
        item.reserve(1, now=NOW)
        item.commit_reservation(1, now=NOW)
        assert item.status is ListingStatus.SOLD_OUT
    item.pull_events()
    assert item.is_visible(True) and not item.is_visible(False)
    version = item.version
    item.maker_status_changed(was_approved=True, approved=False, now=NOW)
    item.maker_status_changed(was_approved=False, approved=True, now=NOW)
    assert [e.name for e in item.pull_events()] == [ListingEventName.HIDDEN, ListingEventName.SHOWN]
    assert item.version == version + 2


def test_a_private_listing_is_not_announced_when_its_maker_changes() -> None:
    draft = listing({"kind": "ready_to_ship", "stock": 1}, publish=False)
    draft.maker_status_changed(was_approved=True, approved=False, now=NOW)
    assert (draft.pending_events, draft.version) == ([], 1)
    public = listing({"kind": "ready_to_ship", "stock": 1})
    public.maker_status_changed(was_approved=True, approved=True, now=NOW)
    assert public.pending_events == []
