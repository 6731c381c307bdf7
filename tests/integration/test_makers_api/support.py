"""What the modules of this package (and test_makers_ratings.py) share: the makers API client
and its fixture, profiles to create, the private parts a public view never shows, and small
helpers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.support.api import Api as BaseApi
from tests.support.api import codes as codes
from tests.support.harness import ServiceProcess

TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)

# The private parts of a record: never in a public view, nor in an event.
LEGAL_NAME = "Ada Lovelace-Smith"
SUPPLIER = "Secret Refinery Ltd"
CERTIFICATE = "FM-CERT-77431"
EVIDENCE_HOST = "evidence.example.org"

PUBLIC_FIELDS = {
    "id",
    "handle",
    "display_name",
    "bio",
    "location",
    "techniques",
    "sourcing_claims",
    "hallmarking",
    "joined_at",
    "accepts_commissions",
    "shipping",
    "rating",
}


def new_handle() -> str:
    return f"maker-{uuid.uuid4().hex[:12]}"


def draft_profile(handle: str | None = None) -> dict[str, Any]:
    """The least a draft needs."""
    return {"handle": handle or new_handle(), "display_name": "Silver & Stone"}


def complete_profile(handle: str | None = None) -> dict[str, Any]:
    """A profile meeting every blocking checklist item, with private parts and an expired claim."""
    return {
        **draft_profile(handle),
        "legal_name": LEGAL_NAME,
        "business_type": "individual",
        "bio": "Rings forged in Sheffield.",
        "location": {"country": "GB", "region": "South Yorkshire"},
        "techniques": ["lost-wax casting", "stone setting"],
        "production_partners": [{"name": "Hallam Casting", "role": "casting"}],
        "portfolio_urls": ["https://example.com/portfolio"],
        "sourcing_claims": [
            {
                "scheme": "fairmined",
                "scope": "metal",
                "supplier": SUPPLIER,
                "certificate_id": CERTIFICATE,
                "evidence_url": f"https://{EVIDENCE_HOST}/fm.pdf",
                "expires_on": TODAY.isoformat(),
            },
            {"scheme": "recycled", "scope": "metal"},
            {
                "scheme": "rjc_coc",
                "scope": "stone",
                "certificate_id": "RJC-OLD",
                "expires_on": YESTERDAY.isoformat(),
            },
        ],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "works_precious_metals": True,
        "natural_diamonds": True,
        "system_of_warranties_attested": True,
        "accepts_commissions": True,
        "terms_accepted": True,
    }


# --- the client ----------------------------------------------------------------------------------


class Api(BaseApi):
    """The shared client, with the makers service's actors and makers in a given state."""

    # --- actors and makers in a given state ---

    def operator(self) -> str:
        return self.user("operator")[1]

    async def draft(self, profile: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """(owner token, record) of a new draft."""
        _, token = self.user("maker")
        record = await self.ok("POST", "/api/v1/makers", token, status=201, json=profile or draft_profile())
        return token, record

    async def maker_in(self, status: str) -> tuple[str, dict[str, Any]]:
        """(owner token, record) of a maker brought to `status` through the API."""
        token, record = await self.draft(complete_profile())
        path = f"/api/v1/makers/{record['id']}"
        if status == "draft":
            return token, record
        record = await self.ok("POST", f"{path}/submit", token)
        decisions = {
            "approved": ("approve", None),
            "suspended": ("approve", None),
            "rejected": ("reject", "Not handmade"),
            "changes_requested": ("request_changes", "More close-ups"),
        }
        if status in decisions:
            decision, note = decisions[status]
            record = await self.ok(
                "POST", f"{path}/review", self.operator(), json={"decision": decision, "note": note}
            )
        if status == "suspended":
            record = await self.ok(
                "POST", f"{path}/suspend", self.operator(), json={"reason": "Complaints under investigation"}
            )
        assert record["status"] == status
        return token, record


@pytest.fixture
async def api(makers: ServiceProcess, mint: Callable[..., str]) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, makers.url, mint)


def assert_no_private_parts(document: Any) -> None:
    text = str(document)
    for private in (
        LEGAL_NAME,
        SUPPLIER,
        CERTIFICATE,
        EVIDENCE_HOST,
        "RJC-OLD",
        "legal_name",
        "production_partners",
        "portfolio_urls",
        "history",
        "checklist",
        "user_id",
    ):
        assert private not in text, private
