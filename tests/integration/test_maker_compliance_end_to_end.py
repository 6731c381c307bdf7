"""End to end through the gateway, with the real makers and catalogue processes and RabbitMQ: an
approved maker changes their record (PATCH /makers/{id}/compliance) and the catalogue hides the
listings the new record no longer allows, from GET and from search, within seconds, saying why on
the maker's own view; changing the record back shows them again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tests.support.catalogue import image_processed, publish_image, ring
from tests.support.harness import ServiceProcess, eventually
from tests.support.harness import TestEnvironment as Environment
from tests.support.makers import profile
from tests.support.orders import Api

pytestmark = pytest.mark.timeout(180)

MAKERS = "/api/v1/makers"
LISTINGS = "/api/v1/listings"
ADS = {"sponsor_mark": "ADS", "assay_office": "sheffield"}
NATURAL_DIAMOND = {"type": "diamond", "origin": "natural", "carat": 0.5, "count": 2}


@pytest.fixture(scope="module")
def gateway(services_db: dict, service_processes: Callable[..., ServiceProcess]) -> ServiceProcess:
    services = {name: service_processes(name, wait=False) for name in ("makers", "catalogue")}
    for process in services.values():
        process.wait_ready()
    return service_processes(
        "gateway",
        GATEWAY_MAKERS_URL=services["makers"].url,
        GATEWAY_CATALOGUE_URL=services["catalogue"].url,
        GATEWAY_RATE_LIMIT_BURST="10000",
        GATEWAY_RATE_LIMIT_PER_S="10000",
    )


@dataclass
class Maker:
    api: Api
    id: str
    token: str
    photo_id: uuid.UUID

    @property
    def path(self) -> str:
        return f"{MAKERS}/{self.id}"

    async def change(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.ok("PATCH", f"{self.path}/compliance", self.token, json=body)

    async def published(self, body: dict[str, Any]) -> str:
        photos = [{"image_id": str(self.photo_id), "alt": "The piece on a plain linen background"}]

        async def created() -> Any:
            response = await self.api.call("POST", LISTINGS, self.token, json={**body, "photos": photos})
            return response.body if response.status == 201 else None

        draft = await eventually(created, timeout_s=10, message="the catalogue learned the approved maker")

        async def published() -> Any:
            response = await self.api.call("POST", f"{LISTINGS}/{draft['id']}/publish", self.token)
            return response.body if response.status == 200 else None

        listing = await eventually(published, timeout_s=10, message="the catalogue learned the ready photo")
        assert listing["visible"] is True
        return str(listing["id"])

    async def public(self, listing_id: str) -> tuple[bool, bool]:
        """(in public GET, in search) for an anonymous visitor."""
        got = await self.api.call("GET", f"{LISTINGS}/{listing_id}")
        found = await self.api.ok("GET", f"{LISTINGS}?maker_id={self.id}&sort=newest&limit=100")
        return got.status == 200, listing_id in {item["id"] for item in found["items"]}

    async def hidden_by(self, listing_id: str) -> list[str]:
        listing = await self.api.ok("GET", f"{LISTINGS}/{listing_id}", self.token)
        for reason in listing["hidden_by"]:
            assert reason["message"] and reason["message"] != reason["code"]
        return [reason["code"] for reason in listing["hidden_by"]]

    async def wait_public(self, listing_id: str, public: bool) -> None:
        async def settled() -> bool:
            return await self.public(listing_id) == (public, public)

        await eventually(settled, timeout_s=10, message=f"listing {listing_id} public={public}")


@pytest.fixture
async def api(gateway: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, gateway.url, mint)


async def approved_maker(api: Api, namespace: str, **record: Any) -> Maker:
    """A maker approved through the API, with a photo of theirs ready (as the media service says)."""
    token = api.mint("maker", uuid.uuid4())
    created = await api.ok("POST", MAKERS, token, status=201, json=profile(sourcing_claims=[], **record))
    maker = Maker(api, created["id"], token, uuid.uuid4())
    await publish_image(namespace, image_processed(uuid.UUID(maker.id), maker.photo_id))
    await api.ok("POST", f"{maker.path}/submit", token)
    decision = {"decision": "approve", "note": None}
    await api.ok("POST", f"{maker.path}/review", api.mint("operator"), json=decision)
    return maker


def codes(problem: dict[str, Any]) -> list[str]:
    return [error["code"] for error in problem.get("errors", [])]


async def test_changing_the_record_hides_and_shows_the_listings_it_rules(
    api: Api, test_env: Environment
) -> None:
    maker = await approved_maker(
        api, test_env.namespace, natural_diamonds=True, system_of_warranties_attested=True
    )
    hallmarked = await maker.published(ring())
    diamond_studs = await maker.published(
        ring(
            title="Natural diamond studs on titanium",
            description="Two natural diamonds set in titanium posts.",
            category="earrings",
            metals=[{"metal": "other", "weight_g": 2}],
            hallmark={"status": "not_applicable"},
            stones=[NATURAL_DIAMOND],
            options=None,
        )
    )
    await maker.wait_public(hallmarked, True)  # search follows within a second

    # A new sponsor mark: the piece struck with the old one leaves the storefront.
    record = await maker.change({"hallmarking": {"sponsor_mark": "NEW", "assay_office": "london"}})
    assert (record["status"], record["hallmarking"]["sponsor_mark"]) == ("approved", "NEW")
    assert record["history"][-1]["from"] == record["history"][-1]["to"] == "approved"
    assert "NEW" in record["history"][-1]["note"]
    await maker.wait_public(hallmarked, False)
    assert await maker.hidden_by(hallmarked) == ["sponsor_mark_not_registered"]
    assert await maker.public(diamond_studs) == (True, True)

    await maker.change({"hallmarking": ADS})
    await maker.wait_public(hallmarked, True)
    assert await maker.hidden_by(hallmarked) == []

    # The attestation cannot go while the record says natural diamonds: refused, nothing changed.
    refused = await api.call(
        "PATCH", f"{maker.path}/compliance", maker.token, json={"system_of_warranties_attested": False}
    )
    assert (refused.status, codes(refused.body)) == (422, ["checklist_system_of_warranties"])
    assert (await api.ok("GET", f"{MAKERS}/me", maker.token))["system_of_warranties_attested"] is True

    await maker.change({"natural_diamonds": False, "system_of_warranties_attested": False})
    await maker.wait_public(diamond_studs, False)
    assert await maker.hidden_by(diamond_studs) == ["warranty_not_attested"]
    assert await maker.public(hallmarked) == (True, True)
    await maker.change({"natural_diamonds": True, "system_of_warranties_attested": True})
    await maker.wait_public(diamond_studs, True)

    # No longer working precious metals (the sponsor mark may stay registered).
    await maker.change({"works_precious_metals": False})
    await maker.wait_public(hallmarked, False)
    assert await maker.hidden_by(hallmarked) == ["precious_metals_not_declared"]
    await maker.change({"works_precious_metals": True})
    await maker.wait_public(hallmarked, True)
    assert await maker.public(diamond_studs) == (True, True)


async def test_only_the_approved_owner_changes_the_record_and_only_its_compliance_fields(
    api: Api, test_env: Environment
) -> None:
    maker = await approved_maker(api, test_env.namespace)
    before = await api.ok("GET", f"{MAKERS}/me", maker.token)
    for body, status, expected in [
        ({"hallmarking": None}, 422, ["checklist_sponsor_mark"]),
        ({"natural_diamonds": True}, 422, ["checklist_system_of_warranties"]),
        ({"status": "approved"}, 422, ["extra_forbidden"]),
        ({"works_precious_metals": "no"}, 422, ["bool_type"]),
    ]:
        refused = await api.call("PATCH", f"{maker.path}/compliance", maker.token, json=body)
        assert (refused.status, codes(refused.body)) == (status, expected), body
    someone_else = await api.call(
        "PATCH",
        f"{maker.path}/compliance",
        api.mint("maker", uuid.uuid4()),
        json={"works_precious_metals": False},
    )
    assert someone_else.status == 404
    assert await api.ok("GET", f"{MAKERS}/me", maker.token) == before

    await api.ok("POST", f"{maker.path}/suspend", api.mint("operator"), json={"reason": "Complaints"})
    suspended = await api.call(
        "PATCH", f"{maker.path}/compliance", maker.token, json={"works_precious_metals": False}
    )
    assert (suspended.status, suspended.body["code"]) == (409, "invalid_state")

    draft_token = api.mint("maker", uuid.uuid4())
    draft = await api.ok("POST", MAKERS, draft_token, status=201, json=profile())
    refused = await api.call(
        "PATCH", f"{MAKERS}/{draft['id']}/compliance", draft_token, json={"works_precious_metals": False}
    )
    assert (refused.status, refused.body["code"]) == (409, "invalid_state")
