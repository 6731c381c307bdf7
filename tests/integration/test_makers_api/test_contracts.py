"""What makers documents and publishes: the OpenAPI document, the events that reach the broker
(in order, with the snapshot's fields and no private part) and every event registered with its
own type."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from shared.contracts.makers import DEFAULT_SHIPPING
from tests.integration.test_makers_api.support import (
    LEGAL_NAME,
    TODAY,
    Api,
    assert_no_private_parts,
    complete_profile,
    draft_profile,
)
from tests.support.broker import drain, tap
from tests.support.harness import TestEnvironment as Environment
from tests.support.harness import eventually
from tests.support.waits import remaining, unsent

pytestmark = pytest.mark.timeout(180)


async def test_openapi_describes_every_makers_endpoint(api: Api) -> None:
    document = await api.ok("GET", "/openapi.json")
    assert set(document["paths"]) >= {
        "/api/v1/makers",
        "/api/v1/makers/me",
        "/api/v1/makers/{id}",
        "/api/v1/makers/{id}/submit",
        "/api/v1/makers/{id}/review",
        "/api/v1/makers/{id}/suspend",
        "/api/v1/makers/{id}/reinstate",
        "/api/v1/makers/{id}/reopen",
        "/api/v1/makers/{id}/claims",
        "/api/v1/makers/{id}/claims/{scheme}/verify",
        "/api/v1/makers/by-handle/{handle}",
    }


# --- events --------------------------------------------------------------------------------------

SNAPSHOT_FIELDS = {
    "maker_id",
    "user_id",
    "maker_version",
    "status",
    "handle",
    "display_name",
    "sourcing_claims",
    "hallmarking",
    "accepts_commissions",
    "works_precious_metals",
    "natural_diamonds",
    "system_of_warranties_attested",
    "invoicing",
    "shipping",
}


async def events_of(
    queue: Any, db: asyncpg.Connection, aggregate_ids: set[str], expected: int
) -> list[dict[str, Any]]:
    """The envelopes of these makers' events, in arrival order (others are skipped), including
    any beyond the `expected` many: read once every outbox row of these makers is published, when
    each copy the relay published is already in the tap queue and no further one can come."""
    found: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(found) < expected and loop.time() < deadline:
        for envelope in await drain(queue, 1, timeout_s=max(0.1, deadline - loop.time())):
            if envelope["aggregate_id"] in aggregate_ids:
                found.append(envelope)

    async def all_published() -> bool:
        return await unsent(db, "makers.outbox", aggregate_ids=sorted(aggregate_ids)) == 0

    await eventually(all_published, message="the makers' outbox rows published")
    return found + [e for e in await remaining(queue) if e["aggregate_id"] in aggregate_ids]


async def test_events_reach_the_broker(api: Api, db: asyncpg.Connection, test_env: Environment) -> None:
    operator = api.operator()
    request_id = f"req-{uuid.uuid4().hex}"
    async with tap(f"{test_env.namespace}.events", "makers.maker.#") as queue:
        owner_id, owner = api.user("maker")
        record = await api.ok("POST", "/api/v1/makers", owner, status=201, json=draft_profile())
        path = f"/api/v1/makers/{record['id']}"
        steps = [
            ("PATCH", "", owner, complete_profile(record["handle"])),
            ("POST", "/submit", owner, None),
            ("POST", "/review", operator, {"decision": "request_changes", "note": "Photos"}),
            ("PATCH", "", owner, {"bio": "Better photos now."}),
            ("PATCH", "", owner, {"bio": "Better photos now."}),  # no change: no event
            ("POST", "/submit", owner, None),
            ("POST", "/review", operator, {"decision": "approve"}),
            ("POST", "/suspend", operator, {"reason": "Investigation"}),
            ("POST", "/reinstate", operator, None),
        ]
        for method, suffix, token, body in steps:
            response = await api.call(
                method, path + suffix, token, json=body, headers={"X-Request-ID": request_id}
            )
            assert response.status == 200, response.body
        # A refused request and a no-op edit publish nothing.
        assert (await api.call("POST", f"{path}/suspend", owner, json={"reason": "x"})).status == 403

        rejected_owner, rejected = await api.draft(complete_profile())
        await api.ok("POST", f"/api/v1/makers/{rejected['id']}/submit", rejected_owner)
        await api.ok(
            "POST",
            f"/api/v1/makers/{rejected['id']}/review",
            operator,
            json={"decision": "reject", "note": "Not handmade"},
        )

        received = await events_of(queue, db, {record["id"], rejected["id"]}, expected=10)

    mine = [e for e in received if e["aggregate_id"] == record["id"]]
    assert [(e["type"], e["data"]["status"]) for e in mine] == [
        ("makers.maker.profile_updated", "draft"),
        ("makers.maker.submitted", "submitted"),
        ("makers.maker.changes_requested", "changes_requested"),
        ("makers.maker.profile_updated", "changes_requested"),
        ("makers.maker.submitted", "submitted"),
        ("makers.maker.approved", "approved"),
        ("makers.maker.suspended", "suspended"),
        ("makers.maker.reinstated", "approved"),
    ]
    # Versions: 1 was the draft's creation, which is not published.
    assert [e["aggregate_version"] for e in mine] == list(range(2, 10))
    for envelope in mine:
        assert envelope["version"] == 1
        assert envelope["producer"] == "makers"
        assert envelope["correlation_id"] == request_id
        assert envelope["data"]["maker_version"] == envelope["aggregate_version"]
        assert set(envelope["data"]) == SNAPSHOT_FIELDS
        # The legal name travels only in `invoicing`, for orders' invoices (shared/contracts/makers.py).
        assert envelope["data"]["invoicing"] == {"legal_name": LEGAL_NAME, "vat_number": None}
        assert_no_private_parts(
            {k: v for k, v in envelope["data"].items() if k not in ("user_id", "invoicing")}
        )

    approved = next(e for e in mine if e["type"] == "makers.maker.approved")
    assert approved["data"] == {
        "maker_id": record["id"],
        "user_id": str(owner_id),
        "maker_version": 7,
        "status": "approved",
        "handle": record["handle"],
        "display_name": "Silver & Stone",
        "sourcing_claims": [  # the expired claim is left out
            # Evidence no operator has verified yet is no badge.
            {"scheme": "fairmined", "scope": "metal", "evidenced": False, "expires_on": TODAY.isoformat()},
            {"scheme": "recycled", "scope": "metal", "evidenced": False, "expires_on": None},
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "accepts_commissions": True,
        "works_precious_metals": True,
        "natural_diamonds": True,
        "system_of_warranties_attested": True,
        "invoicing": {"legal_name": LEGAL_NAME, "vat_number": None},
        "shipping": DEFAULT_SHIPPING.model_dump(mode="json"),  # never set: the default profile
    }

    theirs = [e for e in received if e["aggregate_id"] == rejected["id"]]
    assert [e["type"] for e in theirs] == ["makers.maker.submitted", "makers.maker.rejected"]
    assert theirs[-1]["data"]["status"] == "rejected"


async def test_every_event_is_registered_with_its_own_type() -> None:
    from shared.contracts import event_class
    from shared.contracts.makers import MAKER_EVENTS

    names = {
        "submitted",
        "approved",
        "rejected",
        "changes_requested",
        "suspended",
        "reinstated",
        "profile_updated",
        "reopened",
        "claims_updated",
        "claim_reviewed",
        "compliance_updated",
        "shipping_updated",
    }
    assert {cls.event_type for cls in MAKER_EVENTS} == {f"makers.maker.{n}" for n in names}
    for cls in MAKER_EVENTS:
        assert event_class(cls.event_type, 1) is cls
        assert cls.routing_key() == f"{cls.event_type}.v1"
