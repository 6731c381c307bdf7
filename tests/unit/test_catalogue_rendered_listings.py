"""The catalogue keeps one rendering per listing and view, and one validated draft per listing:
every stock move makes a new version of a listing, and a rendering or draft kept per version (no
read ever finds an older one again) filled the caches in a 30-minute soak, growing the API's and
the worker's memory all the while."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from uuid import UUID

from services.catalogue.domain import Listing, ListingDraft, ListingStatus, StockCounters
from services.catalogue.schemas.listings import _RENDERED, listing_json
from services.catalogue.store import MakerRecord
from services.catalogue.store.listings import _DRAFTS, _draft
from tests.support.photos import PHOTO, ready_images

MAKER = UUID(int=2)
LISTING = UUID(int=7)
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 6)

FIELDS = ListingDraft.model_validate(
    {
        "title": "Sterling silver leaf pendant",
        "description": "Pierced and chased by hand.",
        "category": "pendant",
        "price": {"amount": 8500, "currency": "GBP"},
        "production": {"kind": "ready_to_ship", "stock": 100},
        "metals": [{"metal": "silver", "fineness": 925, "weight_g": "4.1"}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "sheffield"},
        "photos": [PHOTO],
    }
)
MAKER_RECORD = MakerRecord(
    id=MAKER,
    user_id=UUID(int=3),
    version=1,
    status="approved",
    handle="ada",
    display_name="Ada's Workshop",
    sourcing_claims=[],
    hallmarking={"sponsor_mark": "ADS"},
    works_precious_metals=True,
    natural_diamonds=False,
    accepts_commissions=False,
    updated_at=NOW,
)


def after_sales(sold: int) -> Listing:
    """The listing after `sold` units were reserved and sold, one version each."""
    return Listing(
        id=LISTING,
        maker_id=MAKER,
        status=ListingStatus.PUBLISHED,
        fields=FIELDS,
        created_at=NOW,
        updated_at=NOW,
        published_at=NOW,
        version=1 + 2 * sold,
        stock=StockCounters(available=100 - sold, sold=sold),
    )


def test_a_listing_sold_from_many_times_keeps_one_rendering_per_view_the_newest() -> None:
    images = ready_images(MAKER)
    for sold in range(50):
        for full in (False, True):
            listing_json(after_sales(sold), MAKER_RECORD, images, TODAY, full=full)
    kept = [key for key in _RENDERED if key[0] == LISTING]
    assert sorted(kept) == [(LISTING, False, None), (LISTING, True, None)]
    newest = json.loads(listing_json(after_sales(49), MAKER_RECORD, images, TODAY, full=True))
    assert (newest["version"], newest["stock"]["available"]) == (99, 51)
    # The same version read again is the same rendering (a hit), not a new one.
    assert listing_json(after_sales(49), MAKER_RECORD, images, TODAY, full=True) is listing_json(
        after_sales(49), MAKER_RECORD, images, TODAY, full=True
    )


def test_a_listing_read_at_many_versions_keeps_one_validated_draft_and_reuses_it() -> None:
    data = FIELDS.model_dump(mode="json")
    drafts = [_draft({"id": LISTING, "version": 1 + 2 * sold, "fields": dict(data)}) for sold in range(50)]
    assert [key for key in _DRAFTS if key == LISTING] == [LISTING]
    assert len({id(draft) for draft in drafts}) == 1  # validated once, shared while the data is equal
    edited = _draft({"id": LISTING, "version": 200, "fields": {**data, "title": "Silver leaf pendant"}})
    assert edited.title == "Silver leaf pendant"
