"""The re-check of public listings, against the real database and through the catalogue's HTTP
API: a listing published before a wording rule existed, or priced in a currency the marketplace
has since dropped, leaves the storefront (GET and search) with the reason on the maker's view,
and comes back when the maker fixes it or the currency is taken again. It walks every public
listing a page at a time, whatever the page size."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest

from services.catalogue import usecases
from services.catalogue.domain import Listing
from tests.support.catalogue import (
    TestMaker,
    add_listing,
    apply_maker,
    approved_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    ring,
    searchable,
)
from tests.support.harness import ServiceProcess

pytestmark = pytest.mark.timeout(120)

GBP = ["GBP"]
BRASS = {
    "title": "Gold-tone brass signet",
    "description": "Cast in brass and polished by hand.",
    "metals": [{"metal": "other", "weight_g": 12}],
    "hallmark": {"status": "not_applicable"},
}


@pytest.fixture(scope="module")
def catalogue(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


class Catalogue:
    def __init__(self, session: aiohttp.ClientSession, url: str, mint: Callable[..., str]) -> None:
        self.session, self.url, self.mint = session, url, mint

    async def call(self, method: str, path: str, maker: TestMaker | None = None, json: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.mint('maker', maker.user_id)}"} if maker else {}
        async with self.session.request(method, self.url + path, json=json, headers=headers) as r:
            return r.status, await r.json(content_type=None) if await r.read() else None

    async def public(self, listing: Listing) -> tuple[bool, bool]:
        """(in GET, in search) for anyone."""
        status, _ = await self.call("GET", f"/api/v1/listings/{listing.id}")
        await searchable(self.url)  # search follows within a second
        _, found = await self.call(
            "GET", f"/api/v1/listings?maker_id={listing.maker_id}&sort=newest&limit=100"
        )
        return status == 200, str(listing.id) in {item["id"] for item in found["items"]}

    async def hidden_by(self, listing: Listing, maker: TestMaker) -> list[str]:
        status, mine = await self.call("GET", f"/api/v1/listings/{listing.id}", maker)
        assert status == 200, mine
        assert all(reason["message"] for reason in mine["hidden_by"])
        return [reason["code"] for reason in mine["hidden_by"]]


@pytest.fixture
async def api(catalogue: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Catalogue]:
    async with aiohttp.ClientSession() as session:
        yield Catalogue(session, catalogue.url, mint)


async def published_before_the_rule(db: asyncpg.Connection, listing: Listing, **fields: Any) -> None:
    """The listing says what a rule added since it was published refuses (as the live finding)."""
    await db.execute(
        "UPDATE catalogue.listings SET fields = fields || $2::jsonb WHERE id = $1",
        listing.id,
        json.dumps(fields),
    )


async def outbox_types(db: asyncpg.Connection, listing: Listing) -> list[str]:
    rows = await db.fetch(
        "SELECT envelope ->> 'type' AS type FROM catalogue.outbox WHERE aggregate_id = $1 ORDER BY id",
        str(listing.id),
    )
    return [row["type"] for row in rows]


async def recheck(pool: asyncpg.Pool, currencies: list[str] = GBP, batch: int = 500) -> int:
    return await usecases.recheck_public_listings(pool, currencies, datetime.now(UTC), batch=batch)


async def test_a_listing_worded_before_the_rule_is_hidden_until_the_maker_rewords_it(
    api: Catalogue, catalogue_pool: asyncpg.Pool, db: asyncpg.Connection
) -> None:
    maker = await approved_maker(catalogue_pool)
    brass = await add_listing(catalogue_pool, maker, ring(**BRASS))
    await published_before_the_rule(db, brass, title="Solid 18ct gold signet")
    assert await api.public(brass) == (True, True)  # the live finding

    assert await recheck(catalogue_pool) >= 1
    assert await api.public(brass) == (False, False)
    assert await api.hidden_by(brass, maker) == ["misleading_metal_description"]
    assert (await outbox_types(db, brass))[-1] == "catalogue.listing.hidden"
    version = (await api.call("GET", f"/api/v1/listings/{brass.id}", maker))[1]["version"]

    await recheck(catalogue_pool)  # nothing new: left as it is
    assert (await api.call("GET", f"/api/v1/listings/{brass.id}", maker))[1]["version"] == version

    # Any other edit is refused for the wording; rewording it shows it again at once.
    status, refused = await api.call(
        "PATCH", f"/api/v1/listings/{brass.id}", maker, {"description": "Brass."}
    )
    assert (status, [e["code"] for e in refused["errors"]]) == (422, ["misleading_metal_description"])
    status, fixed = await api.call(
        "PATCH", f"/api/v1/listings/{brass.id}", maker, {"title": "Gold-plated brass signet"}
    )
    assert (status, fixed["hidden_by"], fixed["visible"]) == (200, [], True)
    assert await api.public(brass) == (True, True)
    assert (await outbox_types(db, brass))[-1] == "catalogue.listing.shown"


async def test_a_price_in_a_dropped_currency_is_hidden_until_the_currency_is_taken_again(
    api: Catalogue, catalogue_pool: asyncpg.Pool
) -> None:
    maker = await approved_maker(catalogue_pool)
    listing = await add_listing(catalogue_pool, maker, ring())

    await recheck(catalogue_pool, ["EUR"])  # MARKET_CURRENCIES dropped GBP
    assert await api.public(listing) == (False, False)
    assert await api.hidden_by(listing, maker) == ["currency_not_accepted"]

    await recheck(catalogue_pool, ["EUR", "GBP"])  # and took it back
    assert await api.public(listing) == (True, True)
    assert await api.hidden_by(listing, maker) == []


async def test_a_change_of_the_makers_record_keeps_the_recheck_codes_and_the_other_way_round(
    api: Catalogue, catalogue_pool: asyncpg.Pool, db: asyncpg.Connection
) -> None:
    maker = await approved_maker(catalogue_pool)
    listing = await add_listing(catalogue_pool, maker, ring())
    await published_before_the_rule(
        db,
        listing,
        description="A real diamond on a sterling band.",
        stones=[{"type": "diamond", "origin": "lab_grown", "carat": 0.5, "count": 1, "treatments": []}],
    )
    await recheck(catalogue_pool)
    maker.sponsor_mark = "NEW"
    await apply_maker(catalogue_pool, maker.event())
    assert await api.hidden_by(listing, maker) == [
        "misleading_stone_description",
        "sponsor_mark_not_registered",
    ]

    maker.sponsor_mark = "ADS"
    await apply_maker(catalogue_pool, maker.event())  # the record is put right: the wording is not
    assert await api.hidden_by(listing, maker) == ["misleading_stone_description"]
    assert await api.public(listing) == (False, False)

    maker.sponsor_mark = "NEW"
    await apply_maker(catalogue_pool, maker.event())
    await published_before_the_rule(db, listing, description="A lab-grown diamond on a sterling band.")
    await recheck(catalogue_pool)  # the wording is put right: the record is not
    assert await api.hidden_by(listing, maker) == ["sponsor_mark_not_registered"]
    assert await api.public(listing) == (False, False)


@pytest.mark.parametrize("batch", [1, 2, 3])
async def test_every_public_listing_is_rechecked_whatever_the_page_size(
    api: Catalogue, catalogue_pool: asyncpg.Pool, db: asyncpg.Connection, batch: int
) -> None:
    maker = await approved_maker(catalogue_pool)
    listings = [await add_listing(catalogue_pool, maker, ring(**BRASS)) for _ in range(5)]
    draft = await add_listing(catalogue_pool, maker, ring(**BRASS), publish=False)
    for listing in [*listings[::2], draft]:
        await published_before_the_rule(db, listing, title="Sterling silver signet")

    assert await recheck(catalogue_pool, batch=batch) >= 3
    assert [await api.public(listing) for listing in listings] == [
        (False, False),
        (True, True),
        (False, False),
        (True, True),
        (False, False),
    ]
    status, mine = await api.call("GET", f"/api/v1/listings/{draft.id}", maker)
    assert (status, mine["status"], mine["hidden_by"]) == (200, "draft", [])


async def test_marketplace_recheck_listings_uses_the_catalogues_currencies(
    api: Catalogue, services_db: dict, catalogue_pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops import operations
    from ops.cli import build_parser

    assert build_parser().parse_args(["recheck-listings"]).command == "recheck-listings"
    maker = await approved_maker(catalogue_pool)
    listing = await add_listing(catalogue_pool, maker, ring())
    euro_only = services_db["catalogue"].model_copy(update={"currencies": ["EUR"]})
    monkeypatch.setattr(operations, "_all_settings", lambda: {"catalogue": euro_only})
    assert await operations.recheck_listings() >= 1
    assert await api.hidden_by(listing, maker) == ["currency_not_accepted"]
    # Every public listing of the run was hidden: GBP is taken again for the tests after this.
    await recheck(catalogue_pool, GBP)
    assert await api.hidden_by(listing, maker) == []


async def test_the_workers_job_runs_the_recheck(
    api: Catalogue, services_db: dict, catalogue_pool: asyncpg.Pool, db: asyncpg.Connection
) -> None:
    from aiohttp import web

    from services.catalogue.handlers import recheck_public_listings
    from services.catalogue.settings import CATALOGUE_SETTINGS
    from shared.http import POOL

    maker = await approved_maker(catalogue_pool)
    listing = await add_listing(catalogue_pool, maker, ring(**BRASS))
    await published_before_the_rule(db, listing, title="Solid 18ct gold signet")
    app = web.Application()
    app[POOL] = catalogue_pool
    app[CATALOGUE_SETTINGS] = services_db["catalogue"]
    await recheck_public_listings(app)
    assert await api.hidden_by(listing, maker) == ["misleading_metal_description"]


async def test_a_paused_listing_priced_in_a_dropped_currency_is_not_published_again(
    api: Catalogue, catalogue_pool: asyncpg.Pool, db: asyncpg.Connection
) -> None:
    """The catalogue takes GBP only; the listing was priced in EUR when EUR was taken too."""
    maker = await approved_maker(catalogue_pool)
    listing = await add_listing(catalogue_pool, maker, ring())
    assert (await api.call("POST", f"/api/v1/listings/{listing.id}/pause", maker))[0] == 200
    await published_before_the_rule(db, listing, price={"amount": 15000, "currency": "EUR"})

    status, refused = await api.call("POST", f"/api/v1/listings/{listing.id}/publish", maker)
    assert (status, [e["code"] for e in refused["errors"]]) == (422, ["currency_not_accepted"])
    status, fixed = await api.call(
        "PATCH", f"/api/v1/listings/{listing.id}", maker, {"price": {"amount": 13000, "currency": "GBP"}}
    )
    assert (status, fixed["status"]) == (200, "paused")
    status, published = await api.call("POST", f"/api/v1/listings/{listing.id}/publish", maker)
    assert (status, published["visible"]) == (200, True)
