"""The catalogue's listing use cases called directly against the real database, with no HTTP:
what each saves, the events it announces, the ledger entries it writes and what it refuses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from services.catalogue import usecases
from services.catalogue.domain import ListingDraft, ListingPatch, ListingStatus
from shared.db import UnitOfWork
from shared.errors import Forbidden, NotFound, StateConflict
from tests.support.catalogue import (
    apply_maker,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    ring,
    with_photo,
)

pytestmark = pytest.mark.timeout(60)


def uow(pool: asyncpg.Pool) -> UnitOfWork:
    return UnitOfWork(pool, usecases.PRODUCER)


async def events_of(pool: asyncpg.Pool, listing_id: uuid.UUID) -> list[str]:
    rows = await pool.fetch(
        "SELECT envelope->>'type' AS type FROM outbox WHERE aggregate_id = $1 ORDER BY id", str(listing_id)
    )
    return [row["type"] for row in rows]


async def ledger_of(pool: asyncpg.Pool, listing_id: uuid.UUID) -> list[tuple[object, ...]]:
    rows = await pool.fetch(
        "SELECT reason, available_delta, available, reserved, sold FROM inventory_ledger "
        "WHERE listing_id = $1 ORDER BY id",
        listing_id,
    )
    return [tuple(row) for row in rows]


async def test_a_maker_creates_publishes_edits_and_pauses_a_listing(
    catalogue_pool: asyncpg.Pool,
) -> None:
    maker = await approved_maker(catalogue_pool)
    now = datetime.now(UTC)
    async with uow(catalogue_pool) as work:
        created, _, _ = await usecases.create_listing(
            work, maker.user_id, ListingDraft.model_validate(with_photo(maker, ring())), now
        )
    async with uow(catalogue_pool) as work:
        published, _, _ = await usecases.publish_listing(work, maker.user_id, created.id, now)
    patch = ListingPatch.model_validate(
        {"price": {"amount": 13900}, "production": {"kind": "ready_to_ship", "stock": 2}}
    )
    async with uow(catalogue_pool) as work:
        edited, _, _ = await usecases.edit_listing(work, maker.user_id, created.id, patch, now)
    async with uow(catalogue_pool) as work:
        paused, _, _ = await usecases.pause_listing(work, maker.user_id, created.id, now)

    assert (published.status, edited.version, paused.status) == (
        ListingStatus.PUBLISHED,
        3,
        ListingStatus.PAUSED,
    )
    assert await events_of(catalogue_pool, created.id) == [
        "catalogue.listing.published",
        "catalogue.listing.updated",
        "catalogue.listing.price_changed",
        "catalogue.listing.paused",
    ]
    assert await ledger_of(catalogue_pool, created.id) == [("stocked", 3, 3, 0, 0), ("adjusted", -1, 2, 0, 0)]
    stored = await catalogue_pool.fetchrow(
        "SELECT status, version, stock_available FROM listings WHERE id = $1", created.id
    )
    assert tuple(stored) == ("paused", 4, 2)


async def test_the_listing_use_cases_refuse_what_the_api_refuses(
    catalogue_pool: asyncpg.Pool,
) -> None:
    owner, other = await approved_maker(catalogue_pool), await approved_maker(catalogue_pool)
    now = datetime.now(UTC)
    async with uow(catalogue_pool) as work:
        listing, _, _ = await usecases.create_listing(
            work, owner.user_id, ListingDraft.model_validate(with_photo(owner, ring())), now
        )

    with pytest.raises(NotFound):  # another maker's listing is missing, never forbidden
        async with uow(catalogue_pool) as work:
            await usecases.archive_listing(work, other.user_id, listing.id, now)
    with pytest.raises(StateConflict) as paused_draft:
        async with uow(catalogue_pool) as work:
            await usecases.pause_listing(work, owner.user_id, listing.id, now)
    assert paused_draft.value.extra == {"current_state": "draft"}

    await apply_maker(catalogue_pool, owner.event(status="suspended"))
    for create_or_publish in (
        lambda work: usecases.create_listing(work, owner.user_id, ListingDraft.model_validate(ring()), now),
        lambda work: usecases.publish_listing(work, owner.user_id, listing.id, now),
    ):
        with pytest.raises(Forbidden) as refused:
            async with uow(catalogue_pool) as work:
                await create_or_publish(work)
        assert refused.value.code == "maker_not_approved"
    assert await events_of(catalogue_pool, listing.id) == []
