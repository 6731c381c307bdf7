"""Reservations: the stock held for one order between `orders.order.placed` and the order's
confirmation or cancellation. `reserve_order` decides all of an order's lines or none; each
later command moves every unit at most once, whatever the order messages arrive in."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.catalogue.domain.listing import Listing
from shared.money import Money


class ReservationStatus(StrEnum):
    HELD = "held"  # units held for the order until expires_at
    COMMITTED = "committed"  # the order was confirmed: the held units are sold
    RETURNED = "returned"  # a confirmed order was cancelled and its sold units came back
    RELEASED = "released"  # cancelled before confirmation: the held units are back on sale
    EXPIRED = "expired"  # neither confirmed nor cancelled in time: units back on sale
    FAILED = "failed"  # refused: nothing was held
    # The cancellation arrived before the order itself (messages of one order may be handled
    # concurrently): a tombstone, so the late order reserves nothing.
    CANCELLED = "cancelled"


class ReservationFailure(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    NOT_AVAILABLE = "not_available"
    PRICE_CHANGED = "price_changed"


@dataclass(frozen=True)
class OrderLine:
    """A line of a placed order: what the customer asked for at the unit price they saw."""

    line_id: UUID
    listing_id: UUID
    quantity: int
    price_amount: int
    price_currency: str


@dataclass
class ReservationLine:
    """One order line's units, each held (reserved), sold (committed) or released (back on
    sale): held + sold + released == quantity, always."""

    line_id: UUID
    listing_id: UUID
    maker_id: UUID
    quantity: int
    unit_price: Money
    held: int
    sold: int = 0
    released: int = 0


class MoveKind(StrEnum):
    COMMIT = "commit"  # reserved -> sold
    RELEASE = "release"  # reserved -> available
    RETURN = "return"  # sold -> available


@dataclass(frozen=True)
class StockMove:
    listing_id: UUID
    kind: MoveKind
    quantity: int


_TERMINAL_RESERVATIONS = frozenset(
    {
        ReservationStatus.RETURNED,
        ReservationStatus.RELEASED,
        ReservationStatus.EXPIRED,
        ReservationStatus.FAILED,
        ReservationStatus.CANCELLED,
    }
)


@dataclass
class Reservation:
    """The stock held for one order. Each command checks the state, so a message handled twice
    (or out of order) moves no unit twice; each returns the stock moves its listings must make."""

    order_id: UUID
    status: ReservationStatus
    lines: list[ReservationLine]
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # Makers whose part of the order was declined: each declines once.
    declined_makers: list[UUID] = field(default_factory=list)

    @classmethod
    def tombstone(cls, order_id: UUID, *, now: datetime) -> Reservation:
        return cls(order_id, ReservationStatus.CANCELLED, [], None, now, now)

    def is_due_to_expire(self, now: datetime) -> bool:
        return (
            self.status is ReservationStatus.HELD and self.expires_at is not None and self.expires_at <= now
        )

    def commit(self, *, now: datetime) -> list[StockMove]:
        """The order was confirmed: the held units are sold. Only a held reservation commits; a
        duplicate, or a confirmation after the reservation lapsed, moves nothing."""
        if self.status is not ReservationStatus.HELD:
            return []
        moves = [StockMove(line.listing_id, MoveKind.COMMIT, line.held) for line in self.lines if line.held]
        for line in self.lines:
            line.sold, line.held = line.sold + line.held, 0
        self._move_to(ReservationStatus.COMMITTED, now)
        return moves

    def release(self, *, now: datetime, expired: bool = False) -> list[StockMove]:
        """Cancelled (or lapsed) before confirmation: the held units go back on sale."""
        if self.status is not ReservationStatus.HELD:
            return []
        moves = self._take_back(self._all_units(), now)
        self._move_to(ReservationStatus.EXPIRED if expired else ReservationStatus.RELEASED, now)
        return moves

    def cancel(
        self, *, release_stock: bool, lines: Sequence[tuple[UUID, int]], now: datetime
    ) -> list[StockMove]:
        """The order was cancelled. Held units always go back. Once committed, sold units go
        back only when orders says the sale is undone (`release_stock`): the lines it names, or
        every line when it names none."""
        if self.status is ReservationStatus.HELD:
            return self.release(now=now)
        if self.status is not ReservationStatus.COMMITTED or not release_stock:
            return []
        moves = self._take_back(list(lines) or self._all_units(), now)
        self._move_to(ReservationStatus.RETURNED, now)
        return moves

    def decline_maker(
        self, maker_id: UUID, *, lines: Sequence[tuple[UUID, int]], now: datetime
    ) -> list[StockMove]:
        """A maker declined their part of the order: their units (the lines named, or all of
        theirs) go back on sale, whether only held or already sold."""
        if self.status in _TERMINAL_RESERVATIONS or maker_id in self.declined_makers:
            return []
        theirs = {line.listing_id for line in self.lines if line.maker_id == maker_id}
        wanted = [(listing_id, quantity) for listing_id, quantity in lines if listing_id in theirs]
        if not lines:
            wanted = [
                (line.listing_id, line.held + line.sold) for line in self.lines if line.maker_id == maker_id
            ]
        self.declined_makers.append(maker_id)
        self.updated_at = now
        return self._take_back(wanted, now)

    def _all_units(self) -> list[tuple[UUID, int]]:
        return [(line.listing_id, line.held + line.sold) for line in self.lines]

    def _take_back(self, wanted: Sequence[tuple[UUID, int]], now: datetime) -> list[StockMove]:
        """Put up to the quantities wanted back on sale, line by line: held units first, then
        sold ones, never more than the order has of a listing."""
        moves = []
        for listing_id, quantity in wanted:
            remaining = quantity
            for line in self.lines:
                if line.listing_id != listing_id or remaining <= 0:
                    continue
                for kind in (MoveKind.RELEASE, MoveKind.RETURN):
                    have = line.held if kind is MoveKind.RELEASE else line.sold
                    take = min(have, remaining)
                    if take <= 0:
                        continue
                    if kind is MoveKind.RELEASE:
                        line.held -= take
                    else:
                        line.sold -= take
                    line.released += take
                    remaining -= take
                    moves.append(StockMove(listing_id, kind, take))
        self.updated_at = now
        return moves

    def _move_to(self, status: ReservationStatus, now: datetime) -> None:
        self.status = status
        self.updated_at = now


def reserve_order(
    order_id: UUID,
    lines: Sequence[OrderLine],
    listings: Mapping[UUID, Listing],
    approved_makers: Collection[UUID],
    *,
    now: datetime,
    expires_at: datetime,
) -> tuple[Reservation, dict[UUID, ReservationFailure]]:
    """Reserve every line of an order, or none. A line fails `not_available` when its listing is
    unknown, not published or its maker not approved; `out_of_stock` when too few units are left
    for all of the order's lines of that listing together; `price_changed` when the customer saw
    another unit price than the listing's. On any failure no listing changes and the reservation
    is `failed`; otherwise the listings passed in hold the units."""
    failures: dict[UUID, ReservationFailure] = {}
    # A dry run on copies, so that one failing line leaves every real listing untouched.
    trial = {listing_id: copy.deepcopy(listing) for listing_id, listing in listings.items()}
    for line in lines:
        listing = trial.get(line.listing_id)
        if listing is None or listing.maker_id not in approved_makers:
            failures[line.line_id] = ReservationFailure.NOT_AVAILABLE
            continue
        result = listing.reserve(line.quantity, now=now)
        if not result.ok:
            assert result.refusal is not None
            failures[line.line_id] = ReservationFailure(result.refusal.value)
            continue
        price = listing.fields.price
        if price is None or (price.amount, price.currency) != (line.price_amount, line.price_currency):
            failures[line.line_id] = ReservationFailure.PRICE_CHANGED
    if failures:
        return Reservation(order_id, ReservationStatus.FAILED, [], None, now, now), failures

    reserved = []
    for line in lines:
        listing = listings[line.listing_id]
        listing.reserve(line.quantity, now=now)
        assert listing.fields.price is not None
        reserved.append(
            ReservationLine(
                line_id=line.line_id,
                listing_id=line.listing_id,
                maker_id=listing.maker_id,
                quantity=line.quantity,
                unit_price=listing.fields.price,
                held=line.quantity,
            )
        )
    return Reservation(order_id, ReservationStatus.HELD, reserved, expires_at, now, now), {}


def apply_stock_moves(listings: Mapping[UUID, Listing], moves: Iterable[StockMove], *, now: datetime) -> None:
    """Make the listings' counters follow their reservations' moves."""
    for move in moves:
        listing = listings[move.listing_id]
        if move.kind is MoveKind.COMMIT:
            listing.commit_reservation(move.quantity, now=now)
        elif move.kind is MoveKind.RELEASE:
            listing.release_reservation(move.quantity, now=now)
        else:
            listing.return_sold(move.quantity, now=now)
