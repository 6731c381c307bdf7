"""A maker order's quality check must carry the evidence its parcel needs: the engraving verified,
the hallmark where the metal needs one, and every ring measured against its own ordered size."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

from services.orders.domain import (
    EngravingOption,
    ListingSnapshot,
    MakerOrder,
    MakerOrderStatus,
    Order,
    QualityChecks,
    RingMeasurement,
    from_json,
    to_json,
)
from shared.errors import RulesViolated
from tests.unit.orders_domain_support import (
    ADDRESS,
    CUSTOMER,
    NOW,
    PASSING_CHECKS,
    RATE,
    codes,
    gbp,
    listing,
    price,
    request,
    ring,
)


class TestQualityCheckForPersonalisedPieces:
    def maker_order(self) -> MakerOrder:
        snapshot = ring()
        order = Order.place(
            customer_id=CUSTOMER,
            lines=price(
                request(snapshot, ring_size_mm=Decimal("54"), engraving_text="A"), listings=[snapshot]
            ),
            shipping_address=ADDRESS,
            payment_token="tok_visa",
            now=NOW,
        )
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=RATE, now=NOW)
        maker_order = order.maker_orders[0]
        maker_order.accept(now=NOW)
        return maker_order

    def test_a_pass_must_verify_engraving_and_measure_the_ring(self):
        with pytest.raises(RulesViolated) as excinfo:
            self.maker_order().record_quality_check(passed=True, checks=PASSING_CHECKS, now=NOW)
        assert [v.loc[-1] for v in excinfo.value.errors] == ["engraving_verified", "measured_ring_size_mm"]

    def test_a_complete_pass(self):
        checks = QualityChecks(
            finish_inspected=True,
            hallmark_verified=True,
            engraving_verified=True,
            measured_ring_size_mm=Decimal("54.1"),
        )
        maker_order = self.maker_order()
        assert maker_order.record_quality_check(passed=True, checks=checks, now=NOW)
        assert maker_order.status is MakerOrderStatus.QUALITY_CHECKED


class TestQualityCheckEvidence:
    """A passed check must have checked what the parcel needs (issue 13: a ring measured at 48 mm
    on a 55 mm order, and 25 g of gold with `hallmark_verified` left out, both passed)."""

    def maker_order(self, snapshot: ListingSnapshot, **options) -> MakerOrder:
        order = Order.place(
            customer_id=CUSTOMER,
            lines=price(request(snapshot, **options), listings=[snapshot]),
            shipping_address=ADDRESS,
            payment_token="tok_visa",
            now=NOW,
        )
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=RATE, now=NOW)
        maker_order = order.maker_orders[0]
        maker_order.accept(now=NOW)
        return maker_order

    def sized(self, ordered: str = "55") -> MakerOrder:
        return self.maker_order(ring(engraving=None), ring_size_mm=Decimal(ordered))

    def refused(self, maker_order: MakerOrder, **checks) -> list[str]:
        with pytest.raises(RulesViolated) as excinfo:
            maker_order.record_quality_check(
                passed=True, checks=QualityChecks(**{"finish_inspected": True, **checks}), now=NOW
            )
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION
        return codes(excinfo)

    def passes(self, maker_order: MakerOrder, **checks) -> bool:
        return maker_order.record_quality_check(
            passed=True, checks=QualityChecks(**{"finish_inspected": True, **checks}), now=NOW
        )

    def test_the_live_finding_48_mm_measured_on_a_55_mm_order(self):
        assert self.refused(self.sized("55"), measured_ring_size_mm=Decimal("48")) == ["ring_size_mismatch"]

    @pytest.mark.parametrize("measured", ["54.5", "55", "55.5", 54.5, 55.5])
    def test_within_half_a_millimetre_including_it(self, measured):
        assert self.passes(self.sized("55"), measured_ring_size_mm=measured)

    @pytest.mark.parametrize("measured", ["54.499", "55.501", "56"])
    def test_just_over_half_a_millimetre(self, measured):
        assert self.refused(self.sized("55"), measured_ring_size_mm=Decimal(measured)) == [
            "ring_size_mismatch"
        ]

    def test_a_failed_check_records_the_mismatch(self):
        maker_order = self.sized("55")
        assert maker_order.record_quality_check(
            passed=False,
            checks=QualityChecks(finish_inspected=True, measured_ring_size_mm=Decimal("48")),
            notes="Resize",
            now=NOW,
        )
        assert maker_order.status is MakerOrderStatus.IN_PRODUCTION

    def test_the_live_finding_25_g_of_gold_with_the_hallmark_left_out(self):
        gold = listing(title="18ct gold cuff", needs_hallmark=True)
        assert self.refused(self.maker_order(gold)) == ["hallmark_not_verified"]
        assert self.refused(self.maker_order(gold), hallmark_verified=False) == ["hallmark_not_verified"]
        assert self.passes(self.maker_order(gold), hallmark_verified=True)

    def test_no_hallmark_needed(self):
        light = listing(title="Gold stud, 0.8 g", needs_hallmark=False)
        assert self.passes(self.maker_order(light))
        assert self.refused(self.maker_order(light), hallmark_verified=False) == [
            "quality_check_inconsistent"
        ]

    def test_an_ordered_engraving_must_be_verified(self):
        def engraved() -> MakerOrder:
            return self.maker_order(listing(engraving=EngravingOption(10, gbp(0))), engraving_text="A&B")

        assert self.refused(engraved()) == ["engraving_not_verified"]
        assert self.refused(engraved(), engraving_verified=False) == ["engraving_not_verified"]
        assert self.passes(engraved(), engraving_verified=True)
        # Not engraved: nothing to verify.
        assert self.passes(self.maker_order(listing(engraving=EngravingOption(10, gbp(0)))))

    def test_every_problem_is_reported_together(self):
        snapshot = ring(needs_hallmark=True)
        maker_order = self.maker_order(snapshot, ring_size_mm=Decimal("55"), engraving_text="A")
        refused = self.refused(maker_order, measured_ring_size_mm=Decimal("48"))
        assert sorted(refused) == ["engraving_not_verified", "hallmark_not_verified", "ring_size_mismatch"]

    def test_lines_stored_before_the_hallmark_was_known_need_none(self):
        maker_order = self.maker_order(listing(needs_hallmark=True))
        stored = to_json(maker_order.lines[0])
        assert stored["needs_hallmark"] is True
        del stored["needs_hallmark"]
        restored = from_json(type(maker_order.lines[0]), stored)
        assert restored.needs_hallmark is False


class TestEachRingLineMeasured:
    """A parcel of two rings of different sizes: each ring line is compared with its own ordered
    size (one measurement of 50 mm no longer passes a parcel that also holds a 60 mm ring)."""

    def two_rings(self) -> MakerOrder:
        small, large = ring(title="Stacking ring", engraving=None), ring(title="Signet", engraving=None)
        lines = price(
            request(small, ring_size_mm=Decimal("50")),
            request(large, ring_size_mm=Decimal("60")),
            listings=[small, large],
        )
        order = Order.place(
            customer_id=CUSTOMER, lines=lines, shipping_address=ADDRESS, payment_token="tok_visa", now=NOW
        )
        order.stock_reserved({}, now=NOW)
        order.payment_authorised("pay", commission_rate=RATE, now=NOW)
        maker_order = order.maker_orders[0]
        maker_order.accept(now=NOW)
        return maker_order

    def check(self, maker_order: MakerOrder, **checks) -> list[tuple[tuple, str, str]]:
        """The problems of passing with these checks, as (loc, code, message); [] when it passed."""
        try:
            maker_order.record_quality_check(
                passed=True, checks=QualityChecks(finish_inspected=True, **checks), now=NOW
            )
        except RulesViolated as refused:
            return [(v.loc, v.code, v.msg) for v in refused.errors]
        assert maker_order.status is MakerOrderStatus.QUALITY_CHECKED
        return []

    def measured(self, maker_order: MakerOrder, *sizes: str) -> tuple[RingMeasurement, ...]:
        return tuple(
            RingMeasurement(line.id, Decimal(size))
            for line, size in zip(maker_order.lines, sizes, strict=False)
        )

    def test_one_measurement_is_compared_with_every_ring_line(self):
        [(loc, code, msg)] = self.check(self.two_rings(), measured_ring_size_mm=Decimal("50"))
        assert (loc, code) == (("checks", "measured_ring_size_mm"), "ring_size_mismatch")
        assert "Signet" in msg and "60" in msg

    def test_each_ring_line_measured_on_its_own(self):
        maker_order = self.two_rings()
        assert (
            self.check(maker_order, measured_ring_sizes_mm=self.measured(maker_order, "50.5", "59.5")) == []
        )

    def test_a_mismatch_names_its_line(self):
        maker_order = self.two_rings()
        signet = maker_order.lines[1]
        [(loc, code, msg)] = self.check(
            maker_order, measured_ring_sizes_mm=self.measured(maker_order, "50", "60.501")
        )
        assert (loc, code) == (("checks", "measured_ring_sizes_mm", 1, "mm"), "ring_size_mismatch")
        assert str(signet.id) in msg and "Signet" in msg

    def test_a_line_not_measured_on_its_own_takes_the_one_measurement(self):
        maker_order = self.two_rings()
        measured = self.measured(maker_order, "50")
        assert (
            self.check(maker_order, measured_ring_sizes_mm=measured, measured_ring_size_mm=Decimal("60"))
            == []
        )

    def test_every_ring_line_must_be_measured(self):
        maker_order = self.two_rings()
        [(loc, code, msg)] = self.check(maker_order, measured_ring_sizes_mm=self.measured(maker_order, "50"))
        assert (loc, code) == (("checks", "measured_ring_sizes_mm"), "quality_check_inconsistent")
        assert str(maker_order.lines[1].id) in msg

    def test_a_measurement_of_another_line_or_one_line_twice_is_inconsistent(self):
        maker_order = self.two_rings()
        small, large = maker_order.lines
        stranger = RingMeasurement(uuid.uuid4(), Decimal("50"))
        twice = (RingMeasurement(small.id, Decimal("50")), RingMeasurement(small.id, Decimal("50")))
        problems = self.check(
            maker_order,
            measured_ring_sizes_mm=(stranger, *twice, RingMeasurement(large.id, Decimal("60"))),
        )
        assert [(loc, code) for loc, code, _ in problems] == [
            (("checks", "measured_ring_sizes_mm", 0, "line_id"), "quality_check_inconsistent"),
            (("checks", "measured_ring_sizes_mm", 2), "quality_check_inconsistent"),
        ]

    def test_the_measurements_are_kept_with_the_check(self):
        maker_order = self.two_rings()
        measured = self.measured(maker_order, "50", "60")
        self.check(maker_order, measured_ring_sizes_mm=measured)
        stored = from_json(MakerOrder, json.loads(json.dumps(to_json(maker_order))))
        assert stored.quality_checks[-1].checks.measured_ring_sizes_mm == measured
