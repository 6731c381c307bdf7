"""The rules a listing keeps with its maker's own record, through the catalogue's HTTP API as a
real process against PostgreSQL and RabbitMQ: publishing refuses each with its code (the live
findings of issue 13), and a makers event that changes the record hides a published listing
within seconds, with the reason on the maker's own view, and shows it again once fixed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from shared.contracts.makers import MakerProfileUpdated
from tests.support.broker import drain, tap
from tests.support.catalogue import (
    TestMaker,
    add_listing,
    apply_image,
    apply_maker,
    catalogue_pool,  # noqa: F401 — a fixture
    image_processed,
    publish,
    ring,
    searchable,
    with_photo,
)
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment

pytestmark = pytest.mark.timeout(120)

NATURAL_DIAMOND = {"type": "diamond", "origin": "natural", "carat": 0.5, "count": 2}


def hallmark(mark: str, office: str = "london") -> dict[str, Any]:
    return {"status": "hallmarked", "sponsor_mark": mark, "assay_office": office}


def gold_studs(**overrides: Any) -> dict[str, Any]:
    """18ct gold studs hallmarked with the sponsor mark AUD."""
    studs: dict[str, Any] = {
        "title": "Gold stud earrings",
        "description": "A pair of studs in 18ct gold.",
        "category": "earrings",
        "metals": [{"metal": "gold", "fineness": 750, "weight_g": 3.2}],
        "hallmark": hallmark("AUD"),
        "options": None,
    }
    return ring(**{**studs, **overrides})


@pytest.fixture(scope="module")
def catalogue(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    return service_processes("catalogue")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Catalogue:
    def __init__(self, session: aiohttp.ClientSession, url: str, mint: Callable[..., str]) -> None:
        self.session, self.url, self.mint = session, url, mint

    async def call(self, method: str, path: str, maker: TestMaker | None = None, json: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.mint('maker', maker.user_id)}"} if maker else {}
        async with self.session.request(method, self.url + path, json=json, headers=headers) as r:
            return r.status, await r.json(content_type=None) if await r.read() else None

    async def draft(self, maker: TestMaker, body: dict[str, Any]) -> str:
        status, created = await self.call("POST", "/api/v1/listings", maker, with_photo(maker, body))
        assert status == 201, created
        return str(created["id"])

    async def publish(self, maker: TestMaker, listing_id: str) -> tuple[int, Any]:
        return await self.call("POST", f"/api/v1/listings/{listing_id}/publish", maker)


@pytest.fixture
def api(catalogue: ServiceProcess, session: aiohttp.ClientSession, mint: Callable[..., str]) -> Catalogue:
    return Catalogue(session, catalogue.url, mint)


async def maker_with(pool: asyncpg.Pool, **record: Any) -> TestMaker:
    maker = TestMaker(**record)
    await apply_maker(pool, maker.event())
    await apply_image(pool, image_processed(maker.maker_id, maker.photo_id))
    return maker


async def events_of(queue: Any, listing_id: str, expected: int) -> list[dict[str, Any]]:
    """The next `expected` events of this listing on the tap (other tests' may come first)."""
    found: list[dict[str, Any]] = []

    async def enough() -> bool:
        found.extend(e for e in await drain(queue, 1, timeout_s=1) if e["aggregate_id"] == listing_id)
        return len(found) >= expected

    await eventually(enough, timeout_s=10, message=f"{expected} events of the listing")
    return found


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem["errors"]]


# --- publishing ----------------------------------------------------------------------------------


async def test_a_hallmark_struck_with_another_sponsor_mark_is_refused(
    api: Catalogue, catalogue_pool: asyncpg.Pool
) -> None:
    """Live finding: sponsor mark AUD registered, a listing stamped XYZ published."""
    maker = await maker_with(catalogue_pool, sponsor_mark="AUD")
    stamped = await api.draft(maker, gold_studs(hallmark=hallmark("XYZ")))
    status, problem = await api.publish(maker, stamped)
    assert (status, problem["code"], codes(problem)) == (
        422,
        "sponsor_mark_not_registered",
        ["sponsor_mark_not_registered"],
    )
    assert problem["errors"][0]["loc"] == ["hallmark", "sponsor_mark"]
    status, listing = await api.publish(maker, await api.draft(maker, gold_studs()))
    assert (status, listing["status"], listing["visible"]) == (200, "published", True)


async def test_a_maker_who_does_not_work_precious_metals_may_not_list_a_gold_cuff(
    api: Catalogue, catalogue_pool: asyncpg.Pool
) -> None:
    """Live finding: works_precious_metals false and no sponsor mark, a 25 g 18ct gold cuff
    "hallmarked, AUD, London" published."""
    maker = await maker_with(catalogue_pool, sponsor_mark=None, works_precious_metals=False)
    cuff = gold_studs(
        title="18ct gold cuff",
        category="bracelet",
        metals=[{"metal": "gold", "fineness": 750, "weight_g": 25}],
    )
    status, problem = await api.publish(maker, await api.draft(maker, cuff))
    assert status == 422
    assert codes(problem) == ["sponsor_mark_not_registered", "precious_metals_not_declared"]


async def test_a_maker_who_never_attested_may_not_list_natural_diamonds(
    api: Catalogue, catalogue_pool: asyncpg.Pool
) -> None:
    """Live finding: a maker who never attested to the System of Warranties published "Natural
    diamond studs"; a stone typed `diamant` is a diamond too."""
    maker = await maker_with(catalogue_pool, sponsor_mark="AUD", system_of_warranties_attested=False)
    for stone_type in ("diamond", "diamant"):
        studs = gold_studs(title="Natural diamond studs", stones=[{**NATURAL_DIAMOND, "type": stone_type}])
        status, problem = await api.publish(maker, await api.draft(maker, studs))
        assert (status, codes(problem)) == (422, ["warranty_not_attested"])
    lab = gold_studs(
        title="Laboratory-grown diamond studs", stones=[{**NATURAL_DIAMOND, "origin": "lab_grown"}]
    )
    assert (await api.publish(maker, await api.draft(maker, lab)))[0] == 200


# --- the record changes --------------------------------------------------------------------------


async def test_a_record_change_on_the_bus_hides_a_published_listing_and_fixing_it_shows_it(
    api: Catalogue, catalogue_pool: asyncpg.Pool, test_env: Environment
) -> None:
    maker = await maker_with(catalogue_pool, sponsor_mark="AUD")
    listing_id = await api.draft(maker, gold_studs(stones=[{**NATURAL_DIAMOND, "type": "Diamants"}]))
    search = f"/api/v1/listings?maker_id={maker.maker_id}"

    async with tap(f"{test_env.namespace}.events", "catalogue.listing.#") as queue:
        assert (await api.publish(maker, listing_id))[0] == 200
        [published] = await events_of(queue, listing_id, 1)
        assert published["data"]["has_natural_diamond"] is True  # "Diamants" is a diamond

        async def change_record(**record: Any) -> None:
            for name, value in record.items():
                setattr(maker, name, value)
            event = maker.event(MakerProfileUpdated, "approved")
            await publish(test_env.namespace, event, "makers", maker.maker_id, maker.version)

        async def public_status() -> int:
            return int((await api.call("GET", f"/api/v1/listings/{listing_id}"))[0])

        await change_record(works_precious_metals=False, system_of_warranties_attested=False)
        await eventually(lambda: _is(public_status, 404), timeout_s=5, message="the record change hid it")
        await searchable(api.url)  # search follows within a second
        assert (await api.call("GET", search))[1]["total"]["count"] == 0
        status, mine = await api.call("GET", f"/api/v1/listings/{listing_id}", maker)
        assert (status, mine["status"], mine["visible"]) == (200, "published", False)
        assert [reason["code"] for reason in mine["hidden_by"]] == [
            "precious_metals_not_declared",
            "warranty_not_attested",
        ]
        assert all(reason["message"] for reason in mine["hidden_by"])

        await change_record(works_precious_metals=True, system_of_warranties_attested=True)
        await eventually(lambda: _is(public_status, 200), timeout_s=5, message="fixing the record showed it")
        await searchable(api.url)
        assert (await api.call("GET", search))[1]["total"]["count"] == 1
        shown = (await api.call("GET", f"/api/v1/listings/{listing_id}", maker))[1]
        assert (shown["visible"], shown["hidden_by"]) == (True, [])

        events = await events_of(queue, listing_id, 2)
    assert [(e["type"], e["data"]["visible"]) for e in events] == [
        ("catalogue.listing.hidden", False),
        ("catalogue.listing.shown", True),
    ]


async def test_a_sponsor_mark_changed_on_the_record_hides_the_listing_until_the_listing_is_fixed(
    api: Catalogue, catalogue_pool: asyncpg.Pool, test_env: Environment
) -> None:
    maker = await maker_with(catalogue_pool, sponsor_mark="AUD")
    listing_id = await api.draft(maker, gold_studs())
    assert (await api.publish(maker, listing_id))[0] == 200

    maker.sponsor_mark = "NEW"
    await publish(
        test_env.namespace,
        maker.event(MakerProfileUpdated, "approved"),
        "makers",
        maker.maker_id,
        maker.version,
    )

    async def hidden_by() -> list[str]:
        return [
            r["code"]
            for r in (await api.call("GET", f"/api/v1/listings/{listing_id}", maker))[1]["hidden_by"]
        ]

    await eventually(lambda: _is(hidden_by, ["sponsor_mark_not_registered"]), timeout_s=5, message="hidden")
    # An edit that keeps it broken is allowed (it stays hidden); one that fixes it shows it.
    status, edited = await api.call("PATCH", f"/api/v1/listings/{listing_id}", maker, {"title": "Gold studs"})
    assert (status, edited["visible"]) == (200, False)
    status, fixed = await api.call(
        "PATCH", f"/api/v1/listings/{listing_id}", maker, {"hallmark": hallmark("NEW")}
    )
    assert (status, fixed["visible"], fixed["hidden_by"]) == (200, True, [])
    assert (await api.call("GET", f"/api/v1/listings/{listing_id}"))[0] == 200
    # A visible listing may not be edited into breaking the record.
    status, problem = await api.call(
        "PATCH", f"/api/v1/listings/{listing_id}", maker, {"hallmark": hallmark("XYZ")}
    )
    assert (status, codes(problem)) == (422, ["sponsor_mark_not_registered"])


async def test_a_listing_published_before_the_rules_is_hidden_when_its_maker_is_next_heard_of(
    api: Catalogue, catalogue_pool: asyncpg.Pool, test_env: Environment
) -> None:
    """The live findings were published before these rules were checked: the next makers event
    about their maker hides them, even one that leaves the record as it was."""
    maker = await maker_with(catalogue_pool, sponsor_mark="AUD")
    # Published as it was before the rules (the domain's publish without the maker's record).
    stamped = await add_listing(catalogue_pool, maker, gold_studs(hallmark=hallmark("XYZ")))
    path = f"/api/v1/listings/{stamped.id}"
    assert (await api.call("GET", path))[0] == 200

    event = maker.event(MakerProfileUpdated, "approved")
    await publish(test_env.namespace, event, "makers", maker.maker_id, maker.version)

    async def public_status() -> int:
        return int((await api.call("GET", path))[0])

    await eventually(lambda: _is(public_status, 404), timeout_s=5, message="the re-check hid it")
    mine = (await api.call("GET", path, maker))[1]
    assert [reason["code"] for reason in mine["hidden_by"]] == ["sponsor_mark_not_registered"]


async def _is(read: Callable[[], Any], expected: Any) -> bool:
    return bool(await read() == expected)
