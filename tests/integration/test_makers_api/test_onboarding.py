"""The onboarding path from draft to approved, suspended and reinstated, changes requested and
resubmission, and the lists: the operators' review queue and the public directory."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import pytest

from tests.integration.test_makers_api.support import (
    CERTIFICATE,
    LEGAL_NAME,
    PUBLIC_FIELDS,
    TODAY,
    Api,
    assert_no_private_parts,
    codes,
    complete_profile,
    draft_profile,
    new_handle,
)

pytestmark = pytest.mark.timeout(180)


# --- the onboarding path -------------------------------------------------------------------------


async def test_the_whole_onboarding_path(api: Api, db: asyncpg.Connection) -> None:
    owner_id, owner = api.user("maker")
    operator_id, operator = api.user("operator")
    handle = new_handle()

    # A maker user starts a draft with the least it needs.
    created = await api.ok("POST", "/api/v1/makers", owner, status=201, json=draft_profile(handle))
    maker_id, path = created["id"], f"/api/v1/makers/{created['id']}"
    assert (created["status"], created["handle"], created["user_id"], created["version"]) == (
        "draft",
        handle,
        str(owner_id),
        1,
    )
    assert [(h["from"], h["to"], h["by"]) for h in created["history"]] == [(None, "draft", str(owner_id))]
    assert {i["item"]: (i["status"], i["blocking"]) for i in created["checklist"]} == {
        "terms_accepted": ("unmet", True),
        "portfolio_url": ("unmet", True),
        "sponsor_mark": ("not_applicable", False),
        "system_of_warranties": ("not_applicable", False),
        "sourcing_evidence": ("not_applicable", False),
    }
    assert await api.ok("GET", "/api/v1/makers/me", owner) == created

    # Submitting is refused while blocking items are open, each named.
    refused = await api.call("POST", f"{path}/submit", owner)
    assert refused.status == 422
    assert [(e["loc"], e["code"]) for e in refused.body["errors"]] == [
        (["checklist", "terms_accepted"], "checklist_terms_accepted"),
        (["checklist", "portfolio_url"], "checklist_portfolio_url"),
    ]

    # Declaring precious metals and natural diamonds opens two more items.
    edited = await api.ok(
        "PATCH", path, owner, json={"works_precious_metals": True, "natural_diamonds": True}
    )
    assert edited["version"] == 2
    refused = await api.call("POST", f"{path}/submit", owner)
    assert codes(refused.body) == [
        "checklist_terms_accepted",
        "checklist_portfolio_url",
        "checklist_sponsor_mark",
        "checklist_system_of_warranties",
    ]

    # Completing the profile meets them; submission succeeds.
    complete = complete_profile(handle)
    edited = await api.ok("PATCH", path, owner, json=complete)
    assert all(i["status"] == "met" for i in edited["checklist"] if i["blocking"])
    assert {i["item"]: i["status"] for i in edited["checklist"]}["sourcing_evidence"] == "unmet"
    claims = {c["scheme"]: c for c in edited["sourcing_claims"]}
    assert (
        claims["fairmined"]["status"],
        claims["fairmined"]["evidenced"],
        claims["fairmined"]["expired"],
    ) == ("pending_verification", False, False)  # evidence alone is not a badge: an operator looks first
    assert (claims["recycled"]["status"], claims["recycled"]["evidenced"]) == ("self_declared", False)
    assert claims["rjc_coc"]["expired"] is True
    assert claims["fairmined"]["certificate_id"] == CERTIFICATE  # the owner sees evidence

    submitted = await api.ok("POST", f"{path}/submit", owner)
    assert submitted["status"] == "submitted"

    # Not public yet: others get 404, the directory does not list it.
    assert (await api.call("GET", path)).status == 404
    assert (await api.call("GET", f"/api/v1/makers/by-handle/{handle}")).status == 404
    assert maker_id not in await directory_ids(api)

    # It is in the operators' review queue.
    assert maker_id in await all_ids(api, "submitted", operator)

    # The operator approves it.
    approved = await api.ok(
        "POST", f"{path}/review", operator, json={"decision": "approve", "note": "Lovely work"}
    )
    assert approved["status"] == "approved"
    assert approved["joined_at"] == approved["history"][-1]["at"]
    last = approved["history"][-1]
    assert (last["from"], last["to"], last["by"], last["note"]) == (
        "submitted",
        "approved",
        str(operator_id),
        "Lovely work",
    )

    # Public now: public fields only, expired claim hidden, evidence never shown.
    public = await api.ok("GET", path)
    assert set(public) == PUBLIC_FIELDS
    assert public["joined_at"] == approved["joined_at"]
    assert public["sourcing_claims"] == [
        {
            "scheme": "fairmined",
            "scope": "metal",
            "expires_on": TODAY.isoformat(),
            "evidenced": False,
            "status": "pending_verification",
        },
        {
            "scheme": "recycled",
            "scope": "metal",
            "expires_on": None,
            "evidenced": False,
            "status": "self_declared",
        },
    ]
    assert_no_private_parts(public)
    assert await api.ok("GET", f"/api/v1/makers/by-handle/{handle}") == public
    assert maker_id in await directory_ids(api)
    assert await api.ok("GET", path, owner) == await api.ok("GET", "/api/v1/makers/me", owner)

    # Suspended: gone from public view and directory; the owner still sees it all.
    suspended = await api.ok(
        "POST", f"{path}/suspend", operator, json={"reason": "Counterfeit hallmarks reported"}
    )
    assert suspended["status"] == "suspended"
    assert suspended["history"][-1]["note"] == "Counterfeit hallmarks reported"
    assert (await api.call("GET", path)).status == 404
    assert maker_id not in await directory_ids(api)
    assert (await api.ok("GET", path, owner))["status"] == "suspended"

    # Reinstated (no body needed), public again with the original joining date.
    reinstated = await api.ok("POST", f"{path}/reinstate", operator)
    assert (reinstated["status"], reinstated["joined_at"]) == ("approved", approved["joined_at"])
    assert (await api.ok("GET", path))["id"] == maker_id

    assert [(h["from"], h["to"]) for h in reinstated["history"]] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "suspended"),
        ("suspended", "approved"),
    ]
    assert reinstated["version"] == 7  # created, 2 edits, submit, approve, suspend, reinstate

    row = await db.fetchrow(
        "SELECT status, handle, legal_name, version, submitted_at, joined_at "
        "FROM makers.makers WHERE id = $1",
        uuid.UUID(maker_id),
    )
    assert (row["status"], row["handle"], row["legal_name"], row["version"]) == (
        "approved",
        handle,
        LEGAL_NAME,
        7,
    )
    assert row["joined_at"] == datetime.fromisoformat(approved["joined_at"])


async def test_changes_requested_then_resubmitted(api: Api) -> None:
    owner, record = await api.maker_in("changes_requested")
    path = f"/api/v1/makers/{record['id']}"
    assert record["history"][-1]["note"] == "More close-ups"
    edited = await api.ok("PATCH", path, owner, json={"portfolio_urls": ["https://example.com/close-ups"]})
    assert edited["portfolio_urls"] == ["https://example.com/close-ups"]
    resubmitted = await api.ok("POST", f"{path}/submit", owner)
    assert resubmitted["status"] == "submitted"
    assert [h["to"] for h in resubmitted["history"]] == [
        "draft",
        "submitted",
        "changes_requested",
        "submitted",
    ]


# --- lists ---------------------------------------------------------------------------------------


async def pages(api: Api, query: str, token: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        path = f"/api/v1/makers?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        page = await api.ok("GET", path, token)
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def directory_ids(api: Api) -> list[str]:
    return [item["id"] for item in await pages(api, "")]


async def all_ids(api: Api, status: str, operator: str) -> list[str]:
    return [item["id"] for item in await pages(api, f"&status={status}", operator)]


async def test_review_queue_is_oldest_submission_first_and_pages_cleanly(api: Api) -> None:
    operator = api.operator()
    mine = []
    for _ in range(5):
        owner, record = await api.draft(complete_profile())
        await api.ok("POST", f"/api/v1/makers/{record['id']}/submit", owner)
        mine.append(record["id"])
    # A maker sent back for changes leaves the queue.
    first = mine.pop(0)
    await api.ok(
        "POST",
        f"/api/v1/makers/{first}/review",
        operator,
        json={"decision": "request_changes", "note": "Add close-ups"},
    )

    queue = await pages(api, "&status=submitted", operator, limit=2)
    ids = [item["id"] for item in queue]
    assert len(ids) == len(set(ids)), "a page repeated a maker"
    assert [i for i in ids if i in mine] == mine
    assert first not in ids
    submitted_at = [item["history"][-1]["at"] for item in queue]
    assert submitted_at == sorted(submitted_at)
    assert all(item["status"] == "submitted" and "checklist" in item for item in queue)


async def test_resubmission_goes_to_the_back_of_the_queue(api: Api) -> None:
    operator = api.operator()
    owner, record = await api.maker_in("changes_requested")
    other_owner, other = await api.draft(complete_profile())
    await api.ok("POST", f"/api/v1/makers/{other['id']}/submit", other_owner)
    await api.ok("POST", f"/api/v1/makers/{record['id']}/submit", owner)
    ids = await all_ids(api, "submitted", operator)
    assert ids.index(other["id"]) < ids.index(record["id"])


async def test_directory_lists_approved_makers_only_with_public_fields(api: Api) -> None:
    approved = [(await api.maker_in("approved"))[1]["id"] for _ in range(3)]
    hidden = [
        (await api.maker_in(status))[1]["id"]
        for status in ("draft", "submitted", "suspended", "rejected", "changes_requested")
    ]

    items = await pages(api, "", limit=1)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i in approved] == approved  # in order of joining
    assert not set(hidden) & set(ids)
    for item in items:
        assert set(item) == PUBLIC_FIELDS
        assert_no_private_parts(item)

    # A customer or a maker sees the same; an operator sees full records.
    assert [i["id"] for i in await pages(api, "", api.user("customer")[1])] == ids
    operator_items = await pages(api, "", api.operator())
    assert [i["id"] for i in operator_items] == ids
    assert all("legal_name" in item for item in operator_items)
    suspended = await all_ids(api, "suspended", api.operator())
    assert hidden[2] in suspended


async def test_list_parameters_are_checked(api: Api) -> None:
    operator = api.operator()
    for query, status in [
        ("?limit=0", 422),
        ("?limit=101", 422),
        ("?limit=x", 422),
        ("?cursor=%%%", 400),
        ("?cursor=WyJ4Il0", 400),
        ("?cursor=WyJub3QgYSBkYXRlIiwieCJd", 400),
        ("?status=pending", 422),
        ("?limit=100", 200),
    ]:
        response = await api.call("GET", f"/api/v1/makers{query}", operator)
        assert response.status == status, (query, response.body)
