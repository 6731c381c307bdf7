"""Every event the orders domain records has a contract in shared/contracts/orders.py, and its
data passes that contract unchanged: what the store writes to the outbox is what consumers get."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.orders.domain import (
    Commission,
    DomainEvent,
    LineOptions,
    ListingSnapshot,
    Order,
    ProductionKind,
    QualityChecks,
    RequestedLine,
    ShippingAddress,
    Tracking,
    payout_paid,
    price_lines,
)
from services.orders.domain.conversation import Conversation, Party, Subject, SubjectKind
from services.orders.domain.returns import Return, ReturnReason, ReturnRequestLine
from shared.contracts import event_class, load_contracts
from shared.money import Money

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
RATE = Decimal("0.15")
CUSTOMER = uuid.uuid4()
ADDRESS = ShippingAddress(
    name="Ada", line1="1 Hatton Garden", city="London", postcode="EC1N 8AA", country="GB"
)
CHECKS = QualityChecks(finish_inspected=True)


def _order(*makers: uuid.UUID) -> Order:
    listings = {
        snapshot.listing_id: snapshot
        for snapshot in (
            ListingSnapshot(
                listing_id=uuid.uuid4(),
                maker_id=maker,
                title="Band",
                price=Money(amount=5000, currency="GBP"),
                visible=True,
                production_kind=ProductionKind.READY_TO_SHIP,
                stock_available=3,
            )
            for maker in makers
        )
    }
    lines = price_lines([RequestedLine(listing_id, 1, LineOptions()) for listing_id in listings], listings)
    order = Order.place(
        customer_id=CUSTOMER, lines=lines, shipping_address=ADDRESS, payment_token="tok_visa", now=NOW
    )
    order.stock_reserved({}, now=NOW)
    order.payment_authorised("ref", commission_rate=RATE, now=NOW)
    # Refunds are of captured money: capture as the saga does at confirmation.
    order.payment_captured("capture-ref", order.total, now=NOW)
    return order


def _every_kind_of_event() -> list[DomainEvent]:
    events: list[DomainEvent] = []
    delivered = _order(uuid.uuid4())
    [part] = delivered.maker_orders
    part.accept(now=NOW)
    part.record_quality_check(passed=False, checks=CHECKS, notes="Polish", now=NOW)
    part.record_quality_check(passed=True, checks=CHECKS, now=NOW)
    part.dispatch(Tracking("DPD", "1"), now=NOW)
    part.deliver(now=NOW)
    delivered.maybe_complete(now=NOW)
    delivered.refund_delivered(part.id, "Returned", now=NOW)
    events += delivered.collect_events()

    declined = _order(uuid.uuid4(), uuid.uuid4())
    first, _ = declined.maker_orders
    first.decline("No silver", now=NOW)
    declined.maker_order_declined(first.id, now=NOW)
    declined.cancel_by_customer(now=NOW)
    events += declined.collect_events()

    returned = _order(uuid.uuid4())
    [parcel] = returned.maker_orders
    parcel.accept(now=NOW)
    parcel.record_quality_check(passed=True, checks=CHECKS, now=NOW)
    parcel.dispatch(Tracking("DPD", "2"), now=NOW)
    parcel.deliver(now=NOW)
    returned.pull_events()
    parcel.pull_events()
    one = [ReturnRequestLine(parcel.lines[0].id, 1)]
    rejected = Return.request(
        order=returned, lines=one, reason=ReturnReason.FAULTY, note="", earlier=[], now=NOW
    )
    rejected.reject("Not ours", now=NOW)
    refunded = Return.request(
        order=returned, lines=one, reason=ReturnReason.CHANGED_MIND, note="", earlier=[rejected], now=NOW
    )
    refunded.receive(maker_order=parcel, earlier=[rejected, refunded], now=NOW)
    events += rejected.pull_events() + refunded.pull_events()

    maker = uuid.uuid4()
    for close in ("decline", "withdraw", "accept"):
        commission = Commission.request(
            maker_id=maker,
            maker_accepts_commissions=True,
            customer_id=CUSTOMER,
            brief="A ring",
            budget=Money(amount=1000, currency="GBP"),
            deadline=(NOW + timedelta(days=9)).date(),
            now=NOW,
        )
        if close == "decline":
            commission.decline(by_maker_id=maker, reason="Busy", now=NOW)
        elif close == "withdraw":
            commission.withdraw(by_customer_id=CUSTOMER, now=NOW)
        else:
            commission.quote_price(
                by_maker_id=maker,
                price=Money(amount=900, currency="GBP"),
                lead_time_days=5,
                description="Gold",
                now=NOW,
            )
            commission.accept(by_customer_id=CUSTOMER, order_id=uuid.uuid4(), now=NOW)
        events += commission.pending_events
    events.append(payout_paid(uuid.uuid4(), maker, Money(amount=104_93, currency="GBP"), NOW))
    conversation = Conversation.start(
        customer_id=CUSTOMER,
        maker_id=maker,
        subject=Subject(SubjectKind.ORDER, uuid.uuid4(), "Order FF-1"),
        now=NOW,
    )
    conversation.post(by=Party.CUSTOMER, sender_id=CUSTOMER, body="Is it <b>gold</b>?", now=NOW)
    conversation.post(by=Party.MAKER, sender_id=uuid.uuid4(), body="Yes", now=NOW)
    events += conversation.pull_events()
    return events


EVENTS = _every_kind_of_event()


def test_every_orders_contract_is_exercised() -> None:
    ours = {event_type for event_type, _ in load_contracts() if event_type.startswith("orders.")}
    assert {event.type for event in EVENTS} == ours


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: f"{event.type}-{event.aggregate_version}")
def test_the_data_passes_its_contract_unchanged(event: DomainEvent) -> None:
    contract = event_class(event.type, 1)
    assert contract is not None, f"no contract for {event.type}"
    # The store adds `at` (when it happened) for the contracts that carry it.
    published = contract.model_validate({"at": event.occurred_at, **event.data}).model_dump(mode="json")
    for name, value in published.items():
        if name in event.data:
            assert value == event.data[name], name
    if "status" in published:
        assert published["status"] == event.data["status"]
