"""Storing the orders domain as JSON (services/orders/domain/serialisation.py): orders and
commissions round-trip, and a listing snapshot reads the catalogue's JSON."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from services.orders.domain import (
    Commission,
    ListingSnapshot,
    MakerOrderStatus,
    Order,
    ProductionKind,
    SizeRange,
    from_json,
    to_json,
)
from tests.unit.orders_domain_support import MAKER_A, MAKER_B, NOW, confirmed, gbp, listing, quoted


class TestSerialisation:
    def test_order_round_trips_with_its_maker_orders(self):
        order = confirmed(listing(has_natural_diamond=True, price=gbp(100)), listing(maker_id=MAKER_B))
        order.maker_orders[0].accept(now=NOW)
        data = to_json(order)
        json.dumps(data)
        assert "pending_events" not in data
        restored = from_json(Order, data)
        assert to_json(restored) == data
        assert restored.pending_events == []
        assert restored.maker_orders[0].status is MakerOrderStatus.IN_PRODUCTION
        assert restored.total == order.total

    def test_commission_round_trips(self):
        commission = quoted()
        assert to_json(from_json(Commission, to_json(commission))) == to_json(commission)

    def test_listing_snapshot_from_catalogue_shaped_json(self):
        snapshot = from_json(
            ListingSnapshot,
            {
                "listing_id": str(uuid.uuid4()),
                "maker_id": str(MAKER_A),
                "title": "Ring",
                "price": {"amount": 100, "currency": "GBP"},
                "visible": True,
                "production_kind": "made_to_order",
                "lead_time_days": {"min": 5, "max": 10},
                "ring_size_mm": {"min": "48", "max": "60.5"},
                "engraving": {"max_chars": 10, "price_delta": {"amount": 500, "currency": "GBP"}},
                "chain_lengths_cm": None,
            },
        )
        assert snapshot.ring_size_mm == SizeRange(Decimal("48"), Decimal("60.5"))
        assert snapshot.production_kind is ProductionKind.MADE_TO_ORDER
