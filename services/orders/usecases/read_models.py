"""The read models orders keeps of other services: listings (prices, options) and makers."""

from __future__ import annotations

from services.orders import store
from shared.contracts.catalogue import ListingSnapshotEvent
from shared.contracts.makers import MakerSnapshotEvent
from shared.db import UnitOfWork


async def record_listing(uow: UnitOfWork, event: ListingSnapshotEvent) -> None:
    """Catalogue changed a listing: keep its newest snapshot, which prices order lines."""
    await store.upsert_listing(uow.conn, event)


async def record_maker(uow: UnitOfWork, event: MakerSnapshotEvent) -> None:
    """Makers changed a maker: keep their newest snapshot (who they are, whether they take
    commissions)."""
    await store.upsert_maker(uow.conn, event)
