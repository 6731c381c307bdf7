"""Who sees and does what: the maker's own list in any state, the authorisation matrix, a bad
token, and a maker's suspension hiding every listing within seconds (reinstatement restoring
them; a suspended maker may still archive)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from shared.contracts.makers import MakerReinstated, MakerSuspended
from tests.integration.test_catalogue_api.support import Api
from tests.support.broker import drain, tap
from tests.support.catalogue import TestMaker, add_listing, apply_maker, approved_maker, publish, ring
from tests.support.harness import TestEnvironment as Environment
from tests.support.harness import eventually

pytestmark = pytest.mark.timeout(120)


# --- the maker's own list -------------------------------------------------------------------------


async def test_mine_lists_the_makers_own_listings_in_any_state(
    api: Api, maker: TestMaker, catalogue_pool: asyncpg.Pool
) -> None:
    owner = api.token(maker)
    drafts = [await api.draft(maker) for _ in range(4)]
    published = await api.published(maker)
    other = await api.draft(await approved_maker(catalogue_pool))
    items, cursor = [], None
    while True:
        page = await api.ok(
            "GET", "/api/v1/listings/mine?limit=2" + (f"&cursor={cursor}" if cursor else ""), owner
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i["id"] for i in items] == [published["id"]] + [d["id"] for d in reversed(drafts)]
    assert other["id"] not in [i["id"] for i in items]
    assert all(item["stock"] is not None for item in items)
    only = await api.ok("GET", "/api/v1/listings/mine?status=published", owner)
    assert [i["id"] for i in only["items"]] == [published["id"]]
    bad = await api.call("GET", "/api/v1/listings/mine?cursor=WyJ4IiwieSJd", owner)
    assert bad.status == 400


# --- authorisation --------------------------------------------------------------------------------

ACTORS = ("owner", "other_maker", "customer", "operator", "anonymous")
FULL, PUBLIC = (200, "full"), (200, "public")

# endpoint                 target state   owner   other   customer operator anonymous
MATRIX: list[tuple[str, str, tuple[Any, ...]]] = [
    ("POST /listings", "draft", (201, 201, 403, 403, 401)),
    ("GET /listings/{id}", "draft", (FULL, 404, 404, FULL, 404)),
    ("GET /listings/{id}", "paused", (FULL, 404, 404, FULL, 404)),
    ("GET /listings/{id}", "published", (FULL, PUBLIC, PUBLIC, FULL, PUBLIC)),
    ("GET /listings/mine", "draft", (200, 200, 403, 403, 401)),
    ("GET /listings", "published", (200, 200, 200, 200, 200)),
    ("PATCH /listings/{id}", "draft", (200, 404, 403, 403, 401)),
    ("POST /{id}/publish", "draft", (200, 404, 403, 403, 401)),
    ("POST /{id}/pause", "published", (200, 404, 403, 403, 401)),
    ("POST /{id}/archive", "draft", (200, 404, 403, 403, 401)),
]

REQUESTS: dict[str, Callable[[dict[str, Any]], tuple[str, str, Any]]] = {
    "POST /listings": lambda listing: ("POST", "/api/v1/listings", ring()),
    "GET /listings/{id}": lambda listing: ("GET", f"/api/v1/listings/{listing['id']}", None),
    "GET /listings/mine": lambda listing: ("GET", "/api/v1/listings/mine", None),
    "GET /listings": lambda listing: ("GET", f"/api/v1/listings?maker_id={listing['maker_id']}", None),
    "PATCH /listings/{id}": lambda listing: (
        "PATCH",
        f"/api/v1/listings/{listing['id']}",
        {"title": "Renamed ring"},
    ),
    "POST /{id}/publish": lambda listing: ("POST", f"/api/v1/listings/{listing['id']}/publish", None),
    "POST /{id}/pause": lambda listing: ("POST", f"/api/v1/listings/{listing['id']}/pause", None),
    "POST /{id}/archive": lambda listing: ("POST", f"/api/v1/listings/{listing['id']}/archive", None),
}


def test_the_matrix_covers_every_endpoint() -> None:
    assert {endpoint for endpoint, _, _ in MATRIX} == set(REQUESTS)


@pytest.mark.parametrize(
    ("endpoint", "state", "actor", "expected"),
    [
        pytest.param(endpoint, state, actor, expected[i], id=f"{endpoint} [{state}] as {actor}")
        for endpoint, state, expected in MATRIX
        for i, actor in enumerate(ACTORS)
    ],
)
async def test_authorisation_matrix(
    api: Api, catalogue_pool: asyncpg.Pool, endpoint: str, state: str, actor: str, expected: Any
) -> None:
    owner = await approved_maker(catalogue_pool)
    other = await approved_maker(catalogue_pool)
    target = await api.draft(owner)
    if state in ("published", "paused"):
        target = await api.ok("POST", f"/api/v1/listings/{target['id']}/publish", api.token(owner))
    if state == "paused":
        target = await api.ok("POST", f"/api/v1/listings/{target['id']}/pause", api.token(owner))
    tokens = {
        "owner": api.token(owner),
        "other_maker": api.token(other),
        "customer": api.mint("customer"),
        "operator": api.mint("operator"),
        "anonymous": None,
    }
    method, path, body = REQUESTS[endpoint](target)

    response = await api.call(method, path, tokens[actor], json=body)

    status, view = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status == status, response.body
    if status == 404:
        assert response.body["code"] == "not_found"
    if view == "full":
        assert response.body["id"] == target["id"] and response.body["stock"] is not None
    elif view == "public":
        assert response.body["id"] == target["id"] and response.body["stock"] is None
    if endpoint == "GET /listings/mine" and status == 200:
        ids = [item["id"] for item in response.body["items"]]
        assert (target["id"] in ids) == (actor == "owner")
    after = await api.ok("GET", f"/api/v1/listings/{target['id']}", api.token(owner))
    if status >= 400:
        assert after == target, "a refused request changed the listing"


async def test_a_bad_token_is_401_even_where_anonymous_may_read(api: Api, maker: TestMaker) -> None:
    listing = await api.published(maker)
    for path in (f"/api/v1/listings/{listing['id']}", "/api/v1/listings"):
        response = await api.call("GET", path, headers={"Authorization": "Bearer nonsense"})
        assert response.status == 401
    assert (await api.call("GET", "/api/v1/listings/not-a-uuid")).status == 404
    assert (await api.call("GET", f"/api/v1/listings/{uuid.uuid4()}")).status == 404


# --- suspension -----------------------------------------------------------------------------------


async def test_suspension_hides_every_listing_within_seconds_and_reinstatement_restores_them(
    api: Api, catalogue_pool: asyncpg.Pool, test_env: Environment
) -> None:
    maker = await approved_maker(catalogue_pool)
    owner = api.token(maker)
    listings = [await api.published(maker) for _ in range(3)]
    draft = await api.draft(maker)
    search = f"/api/v1/listings?maker_id={maker.maker_id}"

    async def found(count: int) -> bool:
        # Search shows a change within a second (its index follows the listings).
        return (await api.ok("GET", search))["total"]["count"] == count

    await eventually(lambda: found(3), timeout_s=5, message="the published listings searchable")
    ids = {listing["id"] for listing in listings}

    async with tap(f"{test_env.namespace}.events", "catalogue.listing.#") as queue:
        suspended_at = asyncio.get_running_loop().time()
        await publish(
            test_env.namespace,
            maker.event(MakerSuspended, "suspended"),
            "makers",
            maker.maker_id,
            maker.version,
        )

        async def hidden() -> bool:
            statuses = [(await api.call("GET", f"/api/v1/listings/{i}")).status for i in ids]
            return statuses == [404] * 3

        await eventually(hidden, timeout_s=5, message="suspension hid the listings")
        assert asyncio.get_running_loop().time() - suspended_at < 5
        await eventually(lambda: found(0), timeout_s=5, message="suspension hid them from search")
        mine = await api.ok("GET", f"/api/v1/listings/{listings[0]['id']}", owner)
        assert (mine["status"], mine["visible"]) == ("published", False)
        refused = await api.call("POST", f"/api/v1/listings/{draft['id']}/publish", owner)
        assert (refused.status, refused.body["code"]) == (403, "maker_not_approved")
        assert (await api.call("POST", "/api/v1/listings", owner, json=ring())).status == 403

        await publish(
            test_env.namespace,
            maker.event(MakerReinstated, "approved"),
            "makers",
            maker.maker_id,
            maker.version,
        )

        await eventually(lambda: found(3), timeout_s=5, message="reinstatement showed the listings")
        # (Their publication, from before the tap, may be relayed late: it is not counted.)
        events: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(events) < 6 and loop.time() < deadline:
            events += [
                e
                for e in await drain(queue, 1, timeout_s=1)
                if e["data"]["maker_id"] == str(maker.maker_id) and e["type"] != "catalogue.listing.published"
            ]

    assert sorted(e["type"] for e in events) == (
        ["catalogue.listing.hidden"] * 3 + ["catalogue.listing.shown"] * 3
    )
    assert {e["data"]["visible"] for e in events if e["type"].endswith("hidden")} == {False}
    assert {e["data"]["visible"] for e in events if e["type"].endswith("shown")} == {True}
    assert {e["aggregate_id"] for e in events} == ids  # the draft was never public


async def test_a_suspended_maker_may_still_archive(api: Api, catalogue_pool: asyncpg.Pool) -> None:
    maker = await approved_maker(catalogue_pool)
    listing = await add_listing(catalogue_pool, maker, ring())
    await apply_maker(catalogue_pool, maker.event(MakerSuspended, "suspended"))
    archived = await api.ok("POST", f"/api/v1/listings/{listing.id}/archive", api.token(maker))
    assert (archived["status"], archived["visible"]) == ("archived", False)
