"""`marketplace seed`: the demo makers and listings, made through the services' own code, in a
database of their own (so they do not show up in other tests' searches)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ops.seed import demo_maker_accounts, seed_demo_data
from services.catalogue.seed import LISTINGS_PER_MAKER, catalogue_is_empty
from services.catalogue.settings import CatalogueSettings
from services.gateway.seed import DEMO_MAKER_PASSWORD
from services.makers.app import MakersSettings
from services.makers.seed import DEMO_MAKERS
from shared.config import ServiceSettings
from shared.migrate import migrate
from tests.support.harness import ADMIN_DSN
from tests.support.harness import TestEnvironment as Environment

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
async def seeded_env(test_env: Environment) -> AsyncIterator[dict[str, ServiceSettings]]:
    namespace = f"{test_env.namespace}_seed"
    settings: dict[str, ServiceSettings] = {
        "makers": MakersSettings(namespace=namespace, pg_database=namespace),
        "catalogue": CatalogueSettings(namespace=namespace, pg_database=namespace),
    }
    from services.catalogue.app import SERVICE as CATALOGUE
    from services.makers.app import SERVICE as MAKERS

    await migrate(settings["makers"], MAKERS.migrations)
    await migrate(settings["catalogue"], CATALOGUE.migrations)
    yield settings
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{namespace}" WITH (FORCE)')
        for row in await admin.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE $1", namespace + "\\_%"
        ):
            await admin.execute(f'DROP ROLE IF EXISTS "{row["rolname"]}"')
    finally:
        await admin.close()


async def test_the_demo_marketplace(seeded_env: dict[str, ServiceSettings]) -> None:
    assert await catalogue_is_empty(seeded_env["catalogue"])
    await seed_demo_data(seeded_env)
    assert not await catalogue_is_empty(seeded_env["catalogue"])

    conn = await asyncpg.connect(ADMIN_DSN.rsplit("/", 1)[0] + "/" + seeded_env["makers"].pg_database)
    try:
        makers = await conn.fetch("SELECT id, user_id, status, version FROM makers.makers")
        assert len(makers) == len(DEMO_MAKERS) == 12
        assert {m["status"] for m in makers} == {"approved"}
        read_model = await conn.fetch("SELECT id, user_id, status, version FROM catalogue.makers")
        assert {tuple(m) for m in read_model} == {tuple(m) for m in makers}
        # The makers' events wait in the makers outbox, as a real approval's would.
        makers_events = Counter(
            r["routing_key"] for r in await conn.fetch("SELECT routing_key FROM makers.outbox")
        )
        # ...and the seed's operator verified the evidence of the 8 makers whose claims carry a
        # certificate: only those claims are badges.
        assert makers_events == {
            "makers.maker.submitted.v1": 12,
            "makers.maker.approved.v1": 12,
            "makers.maker.claim_reviewed.v1": 8,
        }

        listings = await conn.fetch("SELECT status, fields FROM catalogue.listings")
        assert len(listings) == 12 * LISTINGS_PER_MAKER
        assert {listing["status"] for listing in listings} == {"published"}
        fields = [json.loads(listing["fields"]) for listing in listings]
        assert len(Counter(f["category"] for f in fields)) >= 8
        assert {m["metal"] for f in fields for m in f["metals"]} == {
            "silver",
            "gold",
            "platinum",
            "palladium",
        }
        assert {s["origin"] for f in fields for s in f["stones"]} == {"natural", "lab_grown", "imitation"}
        assert {f["production"]["kind"] for f in fields} == {
            "ready_to_ship",
            "made_to_order",
            "one_of_a_kind",
        }
        assert {f["hallmark"]["status"] for f in fields} == {"hallmarked", "exempt_under_weight"}
        assert any(f["sourcing_claims"] for f in fields)
        # An engagement is marked with a ring: no cufflinks (or any other piece) for it.
        engagement = {f["category"] for f in fields if "engagement" in f["occasions"]}
        assert engagement == {"ring"}
        assert len({f["title"] for f in fields}) > 200
        visible = await conn.fetchval("SELECT count(*) FROM catalogue.listing_search WHERE visible")
        assert visible == 12 * LISTINGS_PER_MAKER
        published = await conn.fetchval(
            "SELECT count(*) FROM catalogue.outbox WHERE routing_key = 'catalogue.listing.published.v1'"
        )
        assert published == 12 * LISTINGS_PER_MAKER

        # Seeding again adds nothing: the same ids, skipped.
        await seed_demo_data(seeded_env)
        assert await conn.fetchval("SELECT count(*) FROM catalogue.listings") == len(listings)
        assert await conn.fetchval("SELECT count(*) FROM makers.outbox") == 24 + 8
    finally:
        await conn.close()


def test_demo_accounts_match_the_makers_user_ids() -> None:
    accounts = demo_maker_accounts()
    assert [a.user_id for a in accounts] == [m.user_id for m in DEMO_MAKERS]
    assert len({a.email for a in accounts}) == 12
    assert {(a.role, a.password) for a in accounts} == {("maker", DEMO_MAKER_PASSWORD)}
    # Named ids (uuid5): the same on every machine and every run.
    assert {a.user_id.version for a in accounts} == {5}
    assert len({m.maker_id for m in DEMO_MAKERS} | {a.user_id for a in accounts}) == 24
