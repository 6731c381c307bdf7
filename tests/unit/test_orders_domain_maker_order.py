"""A maker's part of an order (services/orders/domain/maker_order.py): its lead time and commission,
and its state machine from acceptance or decline through the quality check to dispatch and delivery."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.orders.domain import (
    LeadTime,
    ListingSnapshot,
    MakerOrder,
    MakerOrderStatus,
    Order,
    QualityChecks,
    Tracking,
    from_json,
    to_json,
)
from shared.errors import RulesViolated, StateConflict
from tests.unit.orders_domain_support import (
    NOW,
    PASSING_CHECKS,
    codes,
    confirmed,
    event_names,
    gbp,
    listing,
    made_to_order,
    place,
    ready_to_dispatch,
)


class TestMakerOrder:
    def maker_order(self, *snapshots: ListingSnapshot) -> MakerOrder:
        return confirmed(*(snapshots or (listing(),))).maker_orders[0]

    def test_lead_time_is_the_slowest_made_to_order_line(self):
        fast, slow = made_to_order(LeadTime(3, 20)), made_to_order(LeadTime(10, 14))
        assert self.maker_order(fast, slow).lead_time_days == LeadTime(10, 20)
        assert self.maker_order(listing()).lead_time_days is None

    def test_accept(self):
        maker_order = self.maker_order()
        assert maker_order.accept(now=NOW)
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION
        assert event_names(maker_order) == ["accepted"]
        assert not maker_order.accept(now=NOW)

    def test_accept_after_decline_is_refused(self):
        maker_order = self.maker_order()
        maker_order.decline("Too busy", now=NOW)
        with pytest.raises(StateConflict) as excinfo:
            maker_order.accept(now=NOW)
        assert excinfo.value.extra == {"current_state": "declined"}

    def test_decline(self):
        maker_order = self.maker_order()
        assert maker_order.decline("Too busy", now=NOW)
        assert maker_order.decline_reason == "Too busy"
        assert event_names(maker_order) == ["declined"]
        assert not maker_order.decline("Too busy", now=NOW)

    def test_decline_needs_a_reason(self):
        with pytest.raises(RulesViolated) as excinfo:
            self.maker_order().decline("  ", now=NOW)
        assert codes(excinfo) == ["decline_reason_required"]

    def test_decline_after_accepting_is_refused(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        with pytest.raises(StateConflict):
            maker_order.decline("Changed my mind", now=NOW)

    def test_failed_check_keeps_it_in_production(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        failing = QualityChecks(finish_inspected=True, stones_secure=False)
        assert maker_order.record_quality_check(passed=False, checks=failing, notes="Loose claw", now=NOW)
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION
        assert maker_order.quality_checks[-1].notes == "Loose claw"
        assert maker_order.pending_events[-1].data["passed"] is False

    def test_passed_check(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        assert maker_order.record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert maker_order.status is MakerOrderStatus.QUALITY_CHECKED
        assert not maker_order.record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert len(maker_order.quality_checks) == 1

    def test_a_failed_recheck_sends_it_back_to_production(self):
        maker_order = ready_to_dispatch(self.maker_order())
        maker_order.record_quality_check(
            passed=False, checks=QualityChecks(finish_inspected=False), notes="Scratch", now=NOW
        )
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION

    def test_check_before_accepting_is_refused(self):
        with pytest.raises(StateConflict) as excinfo:
            self.maker_order().record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert excinfo.value.extra == {"current_state": "awaiting_acceptance"}

    def test_a_pass_with_a_failed_item_is_inconsistent(self):
        maker_order = self.maker_order()
        maker_order.accept(now=NOW)
        with pytest.raises(RulesViolated) as excinfo:
            maker_order.record_quality_check(
                passed=True, checks=QualityChecks(finish_inspected=True, stones_secure=False), now=NOW
            )
        assert codes(excinfo) == ["quality_check_inconsistent"]

    def test_dispatch_before_a_passed_check_needs_a_check(self):
        maker_order = self.maker_order()
        with pytest.raises(StateConflict) as excinfo:
            maker_order.dispatch(Tracking("DPD", "1"), now=NOW)
        assert excinfo.value.code == "quality_check_required"
        maker_order.accept(now=NOW)
        with pytest.raises(StateConflict) as excinfo:
            maker_order.dispatch(Tracking("DPD", "1"), now=NOW)
        assert excinfo.value.code == "quality_check_required"

    def test_dispatch(self):
        maker_order = ready_to_dispatch(self.maker_order())
        tracking = Tracking("Royal Mail", "RM123456789GB")
        assert maker_order.dispatch(tracking, now=NOW)
        assert maker_order.status is MakerOrderStatus.DISPATCHED
        assert maker_order.tracking == tracking
        assert maker_order.pending_events[-1].data["tracking"] == {
            "carrier": "Royal Mail",
            "tracking_number": "RM123456789GB",
        }
        assert not maker_order.dispatch(tracking, now=NOW)
        with pytest.raises(StateConflict):
            maker_order.dispatch(Tracking("DPD", "other"), now=NOW)

    def test_dispatch_needs_tracking(self):
        maker_order = ready_to_dispatch(self.maker_order())
        with pytest.raises(RulesViolated) as excinfo:
            maker_order.dispatch(Tracking(" ", ""), now=NOW)
        assert codes(excinfo) == ["tracking_required", "tracking_required"]

    def test_deliver(self):
        maker_order = ready_to_dispatch(self.maker_order())
        with pytest.raises(StateConflict):
            maker_order.deliver(now=NOW)
        maker_order.dispatch(Tracking("DPD", "1"), now=NOW)
        assert maker_order.deliver(now=NOW)
        assert maker_order.status is MakerOrderStatus.DELIVERED
        assert not maker_order.deliver(now=NOW)
        assert event_names(maker_order) == ["accepted", "quality_checked", "dispatched", "delivered"]
        assert [event.aggregate_version for event in maker_order.pending_events] == [1, 2, 3, 4]

    def test_commission_rate_is_frozen_on_the_maker_order(self):
        order = place(listing(price=gbp(10000)))
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=Decimal("0.2"), now=NOW)
        maker_order = order.maker_orders[0]
        assert (maker_order.commission, maker_order.net) == (gbp(2000), gbp(8000))
        restored = from_json(Order, to_json(order)).maker_orders[0]
        assert restored.commission_rate == Decimal("0.2")
