"""End to end with the real makers, catalogue and media processes and RabbitMQ: what a maker
declares on their record in the makers service (sponsor mark, precious metals, the System of
Warranties) is what the catalogue enforces on their listings (each with a photo the maker
uploaded to media)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.support.catalogue import ring
from tests.support.harness import ServiceProcess, eventually
from tests.support.photos import photos_of, ready_photo, start_media

pytestmark = pytest.mark.timeout(180)

NATURAL_DIAMOND = {"type": "diamond", "origin": "natural", "carat": 0.5, "count": 2}


def profile(**record: Any) -> dict[str, Any]:
    """A maker profile meeting every blocking checklist item."""
    return {
        "handle": f"maker-{uuid.uuid4().hex[:12]}",
        "display_name": "Audley Goldsmiths",
        "portfolio_urls": ["https://example.com/portfolio"],
        "hallmarking": {"sponsor_mark": "AUD", "assay_office": "london"},
        "works_precious_metals": True,
        "terms_accepted": True,
        **record,
    }


def studs(**overrides: Any) -> dict[str, Any]:
    return ring(
        **{
            "title": "Gold stud earrings",
            "description": "A pair of studs in 18ct gold.",
            "category": "earrings",
            "metals": [{"metal": "gold", "fineness": 750, "weight_g": 3.2}],
            "hallmark": {"status": "hallmarked", "sponsor_mark": "AUD", "assay_office": "london"},
            "options": None,
            **overrides,
        }
    )


class Stack:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        mint: Callable[..., str],
        db: asyncpg.Connection,
        urls: tuple[str, str, str],
    ):
        self.session, self.mint, self.db = session, mint, db
        self.makers, self.catalogue, self.media = urls

    async def call(self, method: str, url: str, token: str | None, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.request(method, url, json=json, headers=headers) as r:
            return r.status, await r.json(content_type=None) if await r.read() else None

    async def ok(self, method: str, url: str, token: str | None, json: Any = None, status: int = 200) -> Any:
        got, body = await self.call(method, url, token, json)
        assert got == status, (method, url, got, body)
        return body

    async def approved_maker(self, **record: Any) -> str:
        """The token of a maker approved through the makers API, once the catalogue knows it."""
        token = self.mint("maker", uuid.uuid4())
        maker = await self.ok("POST", f"{self.makers}/api/v1/makers", token, profile(**record), status=201)
        path = f"{self.makers}/api/v1/makers/{maker['id']}"
        await self.ok("POST", f"{path}/submit", token)
        operator = self.mint("operator", uuid.uuid4())
        await self.ok("POST", f"{path}/review", operator, {"decision": "approve", "note": None})
        return token

    async def publish(self, token: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Publish a listing of the body with a photo the maker uploaded to media."""
        photo = await ready_photo(self.session, self.media, token, db=self.db)
        body = {**body, "photos": photos_of(photo)}

        async def created() -> Any:
            status, draft = await self.call("POST", f"{self.catalogue}/api/v1/listings", token, body)
            return draft if status == 201 else None

        draft = await eventually(created, timeout_s=10, message="the catalogue learned the approved maker")
        return await self.call("POST", f"{self.catalogue}/api/v1/listings/{draft['id']}/publish", token)


@pytest.fixture(scope="module")
def processes(
    services_db: dict, service_processes: Callable[..., ServiceProcess], workdir: Path
) -> tuple[str, str, str]:
    media = start_media(service_processes, workdir)
    return service_processes("makers").url, service_processes("catalogue").url, media.url


@pytest.fixture
async def stack(
    processes: tuple[str, str, str], mint: Callable[..., str], db: asyncpg.Connection
) -> AsyncIterator[Stack]:
    async with aiohttp.ClientSession() as session:
        yield Stack(session, mint, db, processes)


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem["errors"]]


async def test_a_maker_who_never_attested_cannot_list_natural_diamonds(stack: Stack) -> None:
    """Live finding: a maker who never attested to the System of Warranties published "Natural
    diamond studs"."""
    never = await stack.approved_maker(natural_diamonds=False, system_of_warranties_attested=False)
    diamond_studs = studs(title="Natural diamond studs", stones=[NATURAL_DIAMOND])
    status, problem = await stack.publish(never, diamond_studs)
    assert (status, codes(problem)) == (422, ["warranty_not_attested"])

    attested = await stack.approved_maker(natural_diamonds=True, system_of_warranties_attested=True)
    status, listing = await stack.publish(attested, diamond_studs)
    assert (status, listing["visible"]) == (200, True)


async def test_the_registered_sponsor_mark_and_the_precious_metals_declaration_travel(stack: Stack) -> None:
    """Live findings: sponsor mark AUD registered, a listing stamped XYZ published; a maker
    whose record says works_precious_metals false, with no sponsor mark, published a 25 g 18ct
    gold cuff "hallmarked, AUD, London"."""
    audley = await stack.approved_maker()
    stamped = studs(hallmark={"status": "hallmarked", "sponsor_mark": "XYZ", "assay_office": "london"})
    status, problem = await stack.publish(audley, stamped)
    assert (status, codes(problem)) == (422, ["sponsor_mark_not_registered"])
    assert (await stack.publish(audley, studs()))[0] == 200

    no_metals = await stack.approved_maker(works_precious_metals=False, hallmarking=None)
    cuff = studs(
        title="18ct gold cuff",
        category="bracelet",
        metals=[{"metal": "gold", "fineness": 750, "weight_g": 25}],
    )
    status, problem = await stack.publish(no_metals, cuff)
    assert (status, codes(problem)) == (422, ["sponsor_mark_not_registered", "precious_metals_not_declared"])
