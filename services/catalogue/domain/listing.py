"""The listing aggregate: its states, its commands and the events they record.

States: draft -> published <-> paused, published -> sold_out (stock exhausted) and back when
stock returns, any -> archived (terminal). `publish` both publishes a draft and unpauses.
Counted stock (`stock`) exists for ready_to_ship and one_of_a_kind (one unit, never
restocked); made_to_order is unlimited and has none.

Pure rules, no I/O: the caller passes in every time and the maker's sourcing claims, loads and
saves the aggregate, and publishes the events it records (`pull_events`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from services.catalogue.domain.fields import ListingDraft, ListingPatch, MakerClaim
from services.catalogue.domain.maker_record import MakerStanding, maker_record_violations
from services.catalogue.domain.photos import KnownImages
from services.catalogue.domain.publishing import live_listing_violations, publish_violations
from services.catalogue.domain.ratings import NO_RATING, Rating
from services.catalogue.domain.recheck import recheck_codes, rechecked_after_edit, with_rechecked
from services.catalogue.domain.stock import (
    ReserveRefusal,
    ReserveResult,
    StockCounters,
    commit_stock,
    counters_for,
    positive,
    release_stock,
    reserve_stock,
    restock_refusal,
    return_stock,
    set_available_stock,
)
from services.catalogue.domain.vocabulary import Availability, ListingStatus, ProductionKind
from shared.aggregate import Aggregate
from shared.errors import Violation, rules_violated, state_conflict
from shared.money import Money


class ListingEventName(StrEnum):
    PUBLISHED = "published"
    UPDATED = "updated"
    PRICE_CHANGED = "price_changed"
    PAUSED = "paused"
    ARCHIVED = "archived"
    SOLD_OUT = "sold_out"
    BACK_IN_STOCK = "back_in_stock"
    HIDDEN = "hidden"
    SHOWN = "shown"


@dataclass(frozen=True)
class ListingEvent:
    name: ListingEventName
    listing_id: UUID
    aggregate_version: int
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


_PUBLIC_STATUSES = frozenset({ListingStatus.PUBLISHED, ListingStatus.SOLD_OUT})
_PUBLISHABLE_FROM = frozenset({ListingStatus.DRAFT, ListingStatus.PAUSED})
_KIND_CHANGE_STATUSES = _PUBLISHABLE_FROM


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _today(now: datetime) -> date:
    return _require_aware(now).astimezone(UTC).date()


@dataclass
class Listing(Aggregate[ListingEvent]):
    """A maker's listing. Counted stock (`stock`) exists for ready_to_ship and one_of_a_kind
    (one unit, never restocked); made_to_order is unlimited and has none."""

    id: UUID
    maker_id: UUID
    status: ListingStatus
    fields: ListingDraft
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    version: int
    stock: StockCounters | None
    # Codes of the rules of its maker's record a public listing broke when the record (or the
    # listing) last changed: while any is set, it is hidden from the public (docs/domain.md).
    hidden_by: tuple[str, ...] = ()
    # Read with the listing, never written with it: the summary of its visible reviews (kept
    # from the reviews service's events) and how many customers keep it as a favourite.
    rating: Rating = NO_RATING
    favourite_count: int = 0

    @classmethod
    def create(cls, *, listing_id: UUID, maker_id: UUID, fields: ListingDraft, now: datetime) -> Listing:
        _require_aware(now)
        stock = counters_for(fields.production)
        return cls(
            id=listing_id,
            maker_id=maker_id,
            status=ListingStatus.DRAFT,
            fields=_with_stock_shown(fields, stock),
            created_at=now,
            updated_at=now,
            published_at=None,
            version=1,
            stock=stock,
        )

    # --- derived ---

    @property
    def is_public(self) -> bool:
        """Visible to customers, provided the caller also knows its maker is approved."""
        return self.status in _PUBLIC_STATUSES

    def is_visible(self, maker_approved: bool) -> bool:
        """Public to customers: published or sold out, its maker approved (not suspended), and
        not hidden for a rule of its maker's record."""
        return self.is_public and maker_approved and not self.hidden_by

    @property
    def availability(self) -> Availability | None:
        """None while a draft says nothing about how it is produced."""
        production = self.fields.production
        if production is None:
            return None
        if self.status is ListingStatus.SOLD_OUT:
            return Availability.SOLD_OUT
        if self.stock is None:
            return Availability.MADE_TO_ORDER
        return Availability.IN_STOCK if self.stock.available > 0 else Availability.SOLD_OUT

    def broken_record_rules(self, maker: MakerStanding) -> tuple[str, ...]:
        """The codes of the rules of its maker's record (`maker`) the listing breaks: what
        `hidden_by` must say while it is public."""
        return _codes(maker_record_violations(self.fields, maker))

    def hidden_by_for(self, maker: MakerStanding) -> tuple[str, ...]:
        """What `hidden_by` must say with the maker's record (`maker`): the rules of the record
        the listing breaks, beside the re-checked rules it is hidden for (recheck.py)."""
        return with_rechecked(self.broken_record_rules(maker), self.hidden_by)

    def rechecked_hidden_by(self, currencies: Collection[str]) -> tuple[str, ...]:
        """What `hidden_by` must say once the listing is re-checked (recheck.py), the marketplace
        taking `currencies`; a listing that is not public is not re-checked."""
        if not self.is_public:
            return self.hidden_by
        return with_rechecked(self.hidden_by, recheck_codes(self.fields, currencies))

    # --- commands ---

    def edit(
        self,
        patch: ListingPatch,
        *,
        now: datetime,
        maker_claims: Sequence[MakerClaim],
        images: KnownImages,
        maker: MakerStanding | None = None,
        currencies: Collection[str] | None = None,
    ) -> None:
        """Apply a maker's edit. A public listing must stay publishable after it (422 with every
        violation; `images` is what the catalogue knows of the images its photos name); refused
        (409) once archived, and a production kind change is refused (409) unless the listing is
        a draft or paused with nothing reserved or sold. A public listing hidden for a rule of
        its maker's record (`maker`) may be edited towards keeping it, and is shown again once
        it breaks none; an edit may not break a rule of the record it did not already break. A
        listing hidden by a re-check (recheck.py) is shown again once the edit puts it right (a
        currency code only goes when `currencies`, the marketplace's, take its prices)."""
        if self.status is ListingStatus.ARCHIVED:
            raise state_conflict(self.status, "edit")
        today = _today(now)
        new_fields = patch.apply_to(self.fields)
        sent = patch.production if "production" in patch.model_fields_set else None
        refusal = restock_refusal(self.stock, self.fields.production, sent)
        if refusal is not None:
            raise state_conflict(self.status, refusal, code="stock_not_applicable")
        if new_fields == self.fields:
            return
        new_stock = self._stock_after(new_fields)
        hidden_by = self.hidden_by
        if self.status in _PUBLIC_STATUSES:
            violations = live_listing_violations(new_fields, maker_claims, today, images)
            if maker is not None:
                broken = maker_record_violations(new_fields, maker)
                violations += [v for v in broken if v.code not in self.hidden_by]
                hidden_by = _codes(broken)
            if violations:
                raise rules_violated(violations)
            hidden_by = with_rechecked(
                hidden_by, rechecked_after_edit(self.hidden_by, new_fields, currencies)
            )

        old_fields, old_stock = self.fields, self.stock
        was_hidden = bool(self.hidden_by)
        self._change(now)
        self.fields = _with_stock_shown(new_fields, new_stock)
        self.stock = new_stock
        self.hidden_by = hidden_by
        changed = [
            name
            for name in ListingDraft.model_fields
            if getattr(old_fields, name) != getattr(self.fields, name)
        ]
        self._record(ListingEventName.UPDATED, now, changed=changed)
        if old_fields.price != self.fields.price:
            self._record(
                ListingEventName.PRICE_CHANGED,
                now,
                old=_money_data(old_fields.price),
                new=_money_data(self.fields.price),
            )
        if new_stock != old_stock:
            self._settle_stock_status(now)
        if was_hidden and not hidden_by:
            self._record(ListingEventName.SHOWN, now)

    def publish(
        self,
        *,
        now: datetime,
        maker_claims: Sequence[MakerClaim],
        images: KnownImages,
        maker: MakerStanding | None = None,
    ) -> None:
        """draft or paused -> published. 422 with every rule the listing breaks, including those
        of its maker's record (`maker`) and of its photos (`images`: what the catalogue knows of
        the images they name)."""
        if self.status not in _PUBLISHABLE_FROM:
            raise state_conflict(self.status, "publish")
        violations = publish_violations(self.fields, maker_claims, _today(now), maker, images)
        production = self.fields.production
        if (
            production is not None
            and production.kind is ProductionKind.ONE_OF_A_KIND
            and self.stock is not None
            and self.stock.available == 0
        ):
            violations.append(
                Violation(
                    ("production", "stock"),
                    "This one-of-a-kind piece is sold or reserved",
                    "stock_required",
                )
            )
        if violations:
            raise rules_violated(violations)
        previous = self.status
        self._change(now)
        self.status = ListingStatus.PUBLISHED
        self.hidden_by = ()
        self.published_at = self.published_at or now
        self._record(ListingEventName.PUBLISHED, now, previous_status=str(previous))

    def pause(self, *, now: datetime) -> None:
        """published -> paused."""
        if self.status is not ListingStatus.PUBLISHED:
            raise state_conflict(self.status, "pause")
        self._change(now)
        self.status = ListingStatus.PAUSED
        self._record(ListingEventName.PAUSED, now)

    def archive(self, *, now: datetime) -> None:
        """Any state but archived -> archived, for good."""
        if self.status is ListingStatus.ARCHIVED:
            raise state_conflict(self.status, "archive")
        previous = self.status
        self._change(now)
        self.status = ListingStatus.ARCHIVED
        self._record(ListingEventName.ARCHIVED, now, previous_status=str(previous))

    def reserve(self, quantity: int, *, now: datetime) -> ReserveResult:
        """Hold stock for an order. Only a published listing sells (else not_available; a
        sold_out one: out_of_stock). Made-to-order always succeeds and counts nothing."""
        positive(quantity)
        if self.status is ListingStatus.SOLD_OUT:
            return ReserveResult(self.stock, ReserveRefusal.OUT_OF_STOCK)
        if self.status is not ListingStatus.PUBLISHED or self.hidden_by:
            return ReserveResult(self.stock, ReserveRefusal.NOT_AVAILABLE)
        if self.stock is None:
            return ReserveResult(None)
        result = reserve_stock(self.stock, quantity)
        if result.ok:
            self._change(now)
            self._set_stock(result.counters)
        return result

    def commit_reservation(self, quantity: int, *, now: datetime) -> None:
        """Reserved units become sold, whatever the listing's state now (the order is paid).
        A published listing left with none available becomes sold_out."""
        if self.stock is None:
            return
        counters = commit_stock(self.stock, quantity)
        self._change(now)
        self._set_stock(counters)
        self._settle_stock_status(now)

    def release_reservation(self, quantity: int, *, now: datetime) -> None:
        """Reserved units go back on sale; a sold_out listing that regains stock is published
        again."""
        if self.stock is None:
            return
        counters = release_stock(self.stock, quantity)
        self._change(now)
        self._set_stock(counters)
        self._settle_stock_status(now)

    def return_sold(self, quantity: int, *, now: datetime) -> None:
        """Sold units come back on sale because the sale was undone before dispatch (a cancelled
        order, a declined maker order). This is not a restock, so a one-of-a-kind piece may come
        back too: the piece still exists. A sold_out listing that regains stock is published
        again; a paused or archived one stays as it is."""
        if self.stock is None:
            return
        counters = return_stock(self.stock, quantity)
        self._change(now)
        self._set_stock(counters)
        self._settle_stock_status(now)

    def maker_status_changed(
        self, *, was_approved: bool, approved: bool, now: datetime, maker: MakerStanding | None = None
    ) -> None:
        """The maker was suspended or reinstated, or their record (`maker`) changed. A public
        listing that breaks a rule of the record is hidden with the rules' codes, and shown
        again once it breaks none; it leaves or rejoins the storefront as its maker is
        suspended or reinstated. The new version lets every read model of it order the change."""
        if not self.is_public:
            return
        hidden_by = self.hidden_by if maker is None else self.hidden_by_for(maker)
        if was_approved == approved and hidden_by == self.hidden_by:
            return
        self._hide_for(hidden_by, was_approved=was_approved, approved=approved, now=now)

    def recheck(self, *, currencies: Collection[str], maker_approved: bool, now: datetime) -> None:
        """Hold a public listing to the re-checked rules again (recheck.py), the marketplace
        taking `currencies`: hidden with the codes of those it breaks, shown again once it breaks
        none (and no rule of its maker's record either)."""
        if not self.is_public:
            return
        hidden_by = self.rechecked_hidden_by(currencies)
        if hidden_by != self.hidden_by:
            self._hide_for(hidden_by, was_approved=maker_approved, approved=maker_approved, now=now)

    # --- internals ---

    def _hide_for(
        self, hidden_by: tuple[str, ...], *, was_approved: bool, approved: bool, now: datetime
    ) -> None:
        """`hidden_by` becomes the codes the listing is hidden for, with its maker approved
        then (`was_approved`) and now (`approved`): a `hidden` or `shown` event when that moves
        it off or back on the storefront."""
        was_visible = self.is_visible(was_approved)
        self._change(now)
        self.hidden_by = hidden_by
        visible = self.is_visible(approved)
        if visible != was_visible:
            name = ListingEventName.SHOWN if visible else ListingEventName.HIDDEN
            self._record(name, now, hidden_by=list(hidden_by))
        else:
            # Still hidden, for other reasons now: the version says something changed.
            self._record(ListingEventName.UPDATED, now, changed=["hidden_by"])

    def _stock_after(self, new_fields: ListingDraft) -> StockCounters | None:
        old_kind = self.fields.production.kind if self.fields.production else None
        new_kind = new_fields.production.kind if new_fields.production else None
        if new_kind != old_kind:
            untouched = self.stock is None or (self.stock.reserved == 0 and self.stock.sold == 0)
            if self.status not in _KIND_CHANGE_STATUSES or not untouched:
                raise state_conflict(
                    self.status,
                    "change the production kind (only a draft, or a paused listing "
                    "with nothing reserved or sold, may change it)",
                    code="production_kind_locked",
                )
            return counters_for(new_fields.production)
        if (
            new_fields.production is not None
            and self.stock is not None
            and (new_kind is ProductionKind.READY_TO_SHIP)
        ):
            return set_available_stock(self.stock, new_fields.production.stock or 0)
        return self.stock

    def _set_stock(self, counters: StockCounters | None) -> None:
        self.stock = counters
        self.fields = _with_stock_shown(self.fields, counters)

    def _settle_stock_status(self, now: datetime) -> None:
        if self.stock is None:
            return
        if self.status is ListingStatus.PUBLISHED and self.stock.available == 0:
            self.status = ListingStatus.SOLD_OUT
            self._record(ListingEventName.SOLD_OUT, now)
        elif self.status is ListingStatus.SOLD_OUT and self.stock.available > 0:
            self.status = ListingStatus.PUBLISHED
            self._record(ListingEventName.BACK_IN_STOCK, now, available=self.stock.available)

    def _change(self, now: datetime) -> None:
        """One command, one new version; its events all carry it."""
        _require_aware(now)
        self.version += 1
        self.updated_at = now

    def _record(self, name: ListingEventName, now: datetime, **data: Any) -> None:
        self.record(ListingEvent(name, self.id, self.version, now, data))


def _codes(violations: Sequence[Violation]) -> tuple[str, ...]:
    return tuple(sorted({violation.code for violation in violations}))


def _with_stock_shown(fields: ListingDraft, counters: StockCounters | None) -> ListingDraft:
    """A ready-to-ship listing's `production.stock` always shows what is available now."""
    production = fields.production
    if (
        production is None
        or production.kind is not ProductionKind.READY_TO_SHIP
        or counters is None
        or production.stock == counters.available
    ):
        return fields
    shown = production.model_copy(update={"stock": counters.available})
    return fields.model_copy(update={"production": shown})


def _money_data(money: Money | None) -> dict[str, Any] | None:
    return money.model_dump(mode="json") if money is not None else None
