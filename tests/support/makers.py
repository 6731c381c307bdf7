"""Makers' request bodies the tests share."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

# A claim with evidence: pending until an operator verifies it.
FAIRMINED: dict[str, Any] = {
    "scheme": "fairmined",
    "scope": "metal",
    "certificate_id": "FM-ECO-2291",
    "evidence_url": "https://evidence.example.org/fm.pdf",
    "expires_on": (datetime.now(UTC).date() + timedelta(days=365)).isoformat(),
}


def profile(**overrides: Any) -> dict[str, Any]:
    """A profile meeting every blocking checklist item, with one claim carrying evidence."""
    return {
        "handle": f"maker-{uuid.uuid4().hex[:12]}",
        "display_name": "Silver & Stone",
        "portfolio_urls": ["https://example.com/portfolio"],
        "sourcing_claims": [FAIRMINED, {"scheme": "recycled", "scope": "metal"}],
        "hallmarking": {"sponsor_mark": "ADS", "assay_office": "sheffield"},
        "works_precious_metals": True,
        "terms_accepted": True,
        **overrides,
    }
