"""The makers use cases against a real database, with no HTTP: each change is saved over the
version it was loaded at, and the events it publishes are in the outbox of the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from services.makers import store, usecases
from services.makers.app import SERVICE
from services.makers.domain import MakerProfile, MakerProfilePatch, MakerStatus
from services.makers.settings import MakersSettings
from shared.db import UnitOfWork, create_pool
from shared.errors import Conflict, NotFound, RulesViolated, StateConflict
from shared.migrate import migrate
from tests.support.harness import TestEnvironment as Environment

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
OPERATOR = uuid.UUID("00000000-0000-4000-8000-00000000000f")


@pytest.fixture(scope="module")
async def pool(test_env: Environment) -> AsyncIterator[asyncpg.Pool]:
    settings = test_env.track(MakersSettings())
    await migrate(settings, SERVICE.migrations)
    pool = await create_pool(settings)
    yield pool
    await pool.close()


def profile(**overrides: Any) -> MakerProfile:
    """A profile that meets every blocking checklist item, with a handle of its own."""
    return MakerProfile.model_validate(
        {
            "handle": f"maker-{uuid.uuid4().hex[:12]}",
            "display_name": "Silver & Stone",
            "portfolio_urls": ["https://example.com/portfolio"],
            "terms_accepted": True,
            **overrides,
        }
    )


async def outbox(pool: asyncpg.Pool, maker_id: uuid.UUID) -> list[tuple[str, int]]:
    rows = await pool.fetch(
        "SELECT routing_key, (envelope->>'aggregate_version')::int AS version FROM outbox "
        "WHERE aggregate_id = $1 ORDER BY id",
        str(maker_id),
    )
    return [(row["routing_key"], row["version"]) for row in rows]


async def test_an_application_from_draft_to_suspension(pool: asyncpg.Pool) -> None:
    owner = uuid.uuid4()
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        maker = await usecases.create(uow, owner, profile(), NOW)
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        await usecases.edit(uow, maker.id, MakerProfilePatch(bio="Rings"), owner, NOW)
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        await usecases.submit(uow, maker.id, owner, NOW)
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        await usecases.review(uow, maker.id, "approve", None, OPERATOR, NOW)
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        await usecases.suspend(uow, maker.id, "Complaints", OPERATOR, NOW)
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        reinstated = await usecases.reinstate(uow, maker.id, None, OPERATOR, NOW)

    stored = await store.get(pool, maker.id)
    assert stored is not None
    assert (stored.status, stored.version, stored.profile.bio) == (MakerStatus.APPROVED, 6, "Rings")
    assert reinstated.version == 6
    # A new draft is nobody else's business: `created` is never published.
    assert await outbox(pool, maker.id) == [
        ("makers.maker.profile_updated.v1", 2),
        ("makers.maker.submitted.v1", 3),
        ("makers.maker.approved.v1", 4),
        ("makers.maker.suspended.v1", 5),
        ("makers.maker.reinstated.v1", 6),
    ]


async def test_an_edit_that_changes_nothing_saves_nothing(pool: asyncpg.Pool) -> None:
    owner = uuid.uuid4()
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        maker = await usecases.create(uow, owner, profile(), NOW)
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        same = MakerProfilePatch(display_name=maker.profile.display_name)
        assert (await usecases.edit(uow, maker.id, same, owner, NOW)).version == 1
    assert await outbox(pool, maker.id) == []


async def test_only_the_owner_touches_an_application(pool: asyncpg.Pool) -> None:
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        maker = await usecases.create(uow, uuid.uuid4(), profile(), NOW)
    with pytest.raises(NotFound):
        async with UnitOfWork(pool, usecases.PRODUCER) as uow:
            await usecases.submit(uow, maker.id, uuid.uuid4(), NOW)
    with pytest.raises(NotFound):
        async with UnitOfWork(pool, usecases.PRODUCER) as uow:
            await usecases.review(uow, uuid.uuid4(), "approve", None, OPERATOR, NOW)


async def test_a_refused_command_saves_and_publishes_nothing(pool: asyncpg.Pool) -> None:
    owner = uuid.uuid4()
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        maker = await usecases.create(uow, owner, profile(terms_accepted=False), NOW)
    with pytest.raises(RulesViolated) as unmet:
        async with UnitOfWork(pool, usecases.PRODUCER) as uow:
            await usecases.submit(uow, maker.id, owner, NOW)
    assert unmet.value.code == "checklist_terms_accepted"
    with pytest.raises(StateConflict):
        async with UnitOfWork(pool, usecases.PRODUCER) as uow:
            await usecases.suspend(uow, maker.id, "Complaints", OPERATOR, NOW)
    stored = await store.get(pool, maker.id)
    assert stored is not None and (stored.status, stored.version) == (MakerStatus.DRAFT, 1)
    assert await outbox(pool, maker.id) == []


async def test_one_maker_per_user_and_unique_handles(pool: asyncpg.Pool) -> None:
    owner = uuid.uuid4()
    first = profile()
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        await usecases.create(uow, owner, first, NOW)
    with pytest.raises(Conflict) as again:
        async with UnitOfWork(pool, usecases.PRODUCER) as uow:
            await usecases.create(uow, owner, profile(), NOW)
    assert again.value.code == "maker_exists"
    with pytest.raises(Conflict) as taken:
        async with UnitOfWork(pool, usecases.PRODUCER) as uow:
            await usecases.create(uow, uuid.uuid4(), profile(handle=first.handle), NOW)
    assert taken.value.code == "handle_taken"


async def test_a_concurrent_change_is_refused_not_overwritten(pool: asyncpg.Pool) -> None:
    owner = uuid.uuid4()
    async with UnitOfWork(pool, usecases.PRODUCER) as uow:
        maker = await usecases.create(uow, owner, profile(), NOW)
    with pytest.raises(Conflict) as raced:
        async with UnitOfWork(pool, usecases.PRODUCER) as uow:
            loaded = await store.load(uow, maker.id)
            assert loaded is not None
            # Another transaction changes the maker after this one loaded it.
            async with UnitOfWork(pool, usecases.PRODUCER) as other:
                await usecases.edit(other, maker.id, MakerProfilePatch(bio="First"), owner, NOW)
            loaded.edit(MakerProfilePatch(bio="Second"), owner, NOW)
            await store.save(uow, loaded)
    assert raced.value.code == "concurrent_update"
    stored = await store.get(pool, maker.id)
    assert stored is not None and stored.profile.bio == "First"
