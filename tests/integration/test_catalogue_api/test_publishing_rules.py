"""Publishing: each rule refused with its code, every violation reported together, wording
that cannot mislead (issue 13's live findings), the hallmark exemption weight of each metal,
and the disclosures of stones and claims."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.integration.test_catalogue_api.support import Api, codes
from tests.support.catalogue import TestMaker, approved_maker, claim, ring

pytestmark = pytest.mark.timeout(120)

TODAY = datetime.now(UTC).date()


# --- publishing rules, each with its code ---------------------------------------------------------

GOLD_18CT = {"metal": "gold", "fineness": 750, "weight_g": 4.2}
# A piece with no precious metal is not worded as one (misleading_metal_description).
BRASS_WORDING = {"title": "Brass signet ring", "description": "Hand-carved and cast in brass."}
LAB_DIAMOND = {"type": "diamond", "origin": "lab_grown", "carat": 0.5}

RULES: list[tuple[str, dict[str, Any]]] = [
    ("title_required", {"title": None}),
    ("description_required", {"description": None}),
    ("category_required", {"category": None, "options": None}),
    ("price_required", {"price": None}),
    ("production_required", {"production": None}),
    ("stock_required", {"production": {"kind": "ready_to_ship", "stock": 0}}),
    ("lead_time_required", {"production": {"kind": "made_to_order"}}),
    (
        "production_field_not_allowed",
        {"production": {"kind": "made_to_order", "stock": 2, "lead_time_days": {"min": 5, "max": 9}}},
    ),
    ("fineness_not_legal", {"metals": [{**GOLD_18CT, "fineness": 800}]}),
    ("hallmark_required", {"metals": [GOLD_18CT], "hallmark": {"status": "exempt_under_weight"}}),
    (
        "hallmark_status_mismatch",
        {"metals": [{"metal": "other", "weight_g": 12}], **BRASS_WORDING},
    ),
    (
        "misleading_metal_description",
        {
            "metals": [{"metal": "other", "weight_g": 12}],
            "hallmark": {"status": "not_applicable"},
            "title": "Solid 18ct gold signet",
            "description": "Cast in brass.",
        },
    ),
    (
        "misleading_stone_description",
        {"stones": [LAB_DIAMOND], "description": "A real diamond on a sterling band."},
    ),
    ("claim_not_held", {"sourcing_claims": ["fairtrade"]}),
    ("ring_size_required", {"options": None}),
    ("option_not_applicable", {"category": "pendant"}),
    (
        "currency_mismatch",
        {
            "options": {
                "ring_size_mm": {"min": 50, "max": 56},
                "engraving": {"max_chars": 12, "price_delta": {"amount": 900, "currency": "EUR"}},
            }
        },
    ),
]


def test_every_publishing_rule_is_covered() -> None:
    from services.catalogue.domain import publish_violations

    documented = re.search(r"Codes: ([^.]+)\.", publish_violations.__doc__ or "")
    assert documented is not None
    assert {code for code, _ in RULES} == {c.strip() for c in documented.group(1).split(",")}


@pytest.mark.parametrize(("code", "patch"), RULES, ids=[code for code, _ in RULES])
async def test_publishing_refuses_each_rule_with_its_code(
    api: Api, maker: TestMaker, code: str, patch: dict[str, Any]
) -> None:
    owner = api.token(maker)
    draft = await api.draft(maker)
    if patch:
        await api.ok("PATCH", f"/api/v1/listings/{draft['id']}", owner, json=patch)
    refused = await api.call("POST", f"/api/v1/listings/{draft['id']}/publish", owner)
    assert refused.status == 422, refused.body
    assert codes(refused.body) == [code]
    assert refused.body["code"] == code
    assert (await api.ok("GET", f"/api/v1/listings/{draft['id']}", owner))["status"] == "draft"


async def test_every_violation_is_reported_together(api: Api, maker: TestMaker) -> None:
    owner = api.token(maker)
    draft = await api.draft(
        maker,
        {
            "title": "Everything wrong",
            "category": "ring",
            "metals": [{**GOLD_18CT, "fineness": 800}],
            "sourcing_claims": ["fairmined"],
        },
    )
    refused = await api.call("POST", f"/api/v1/listings/{draft['id']}/publish", owner)
    assert refused.status == 422
    assert refused.body["code"] == "rules_violated"
    assert sorted(codes(refused.body)) == sorted(
        [
            "description_required",
            "price_required",
            "production_required",
            "fineness_not_legal",
            "hallmark_required",
            "claim_not_held",
            "ring_size_required",
        ]
    )
    assert all(error["loc"] and error["msg"] for error in refused.body["errors"])


# --- wording that cannot mislead (issue 13's live findings) ---------------------------------------

BRASS = [{"metal": "other", "weight_g": 12, "colour": "brass"}]
CZ = {"type": "cubic zirconia", "origin": "imitation", "count": 12}
NOT_APPLICABLE = {"status": "not_applicable"}

MISLEADING: list[tuple[str, dict[str, Any], str]] = [
    (
        "brass titled solid 18ct gold",
        {
            "metals": BRASS,
            "hallmark": NOT_APPLICABLE,
            "title": "Solid 18ct gold signet",
            "description": "Cast in brass.",
        },
        "misleading_metal_description",
    ),
    (
        "brass tagged 925",
        {**BRASS_WORDING, "metals": BRASS, "hallmark": NOT_APPLICABLE, "style_tags": ["925"]},
        "misleading_metal_description",
    ),
    (
        "cz titled diamond halo earrings",
        {"stones": [CZ], "title": "Diamond halo earrings"},
        "misleading_stone_description",
    ),
    (
        "lab diamond: genuine hand-picked",
        {"stones": [LAB_DIAMOND], "description": "A genuine hand-picked ethically grown sparkling diamond."},
        "misleading_stone_description",
    ),
    (
        "lab diamond: which is natural",
        {"stones": [LAB_DIAMOND], "description": "The diamond, which is natural…"},
        "misleading_stone_description",
    ),
    (
        "lab diamond: authentic",
        {"stones": [LAB_DIAMOND], "description": "Authentic diamond…"},
        "misleading_stone_description",
    ),
    (
        "lab diamond: earth-mined",
        {"stones": [LAB_DIAMOND], "description": "Earth-mined diamond…"},
        "misleading_stone_description",
    ),
    (
        "lab diamond tagged real diamond",
        {"stones": [LAB_DIAMOND], "style_tags": ["minimal", "real diamond"]},
        "misleading_stone_description",
    ),
]


@pytest.mark.parametrize(("patch", "code"), [m[1:] for m in MISLEADING], ids=[m[0] for m in MISLEADING])
async def test_misleading_wording_is_refused_at_publish(
    api: Api, maker: TestMaker, patch: dict[str, Any], code: str
) -> None:
    owner = api.token(maker)
    draft = await api.draft(maker, ring(**patch))
    refused = await api.call("POST", f"/api/v1/listings/{draft['id']}/publish", owner)
    assert (refused.status, refused.body["code"], codes(refused.body)) == (422, code, [code])
    assert (await api.ok("GET", f"/api/v1/listings/{draft['id']}", owner))["status"] == "draft"


async def test_honest_wording_publishes_and_an_edit_cannot_make_it_misleading(
    api: Api, maker: TestMaker
) -> None:
    owner = api.token(maker)
    brass = await api.published(
        maker,
        ring(metals=BRASS, hallmark=NOT_APPLICABLE, title="Gold-tone brass signet", description="Brass."),
    )
    lab = await api.published(
        maker,
        ring(
            stones=[LAB_DIAMOND],
            title="Lab-grown diamond signet",
            description="The diamond is laboratory-grown; the band is real sterling silver.",
            style_tags=["lab-grown diamond"],
        ),
    )
    for listing, patch, code in [
        (brass, {"title": "Solid 18ct gold signet"}, "misleading_metal_description"),
        (lab, {"title": "Real diamond signet"}, "misleading_stone_description"),
        (lab, {"style_tags": ["real diamond"]}, "misleading_stone_description"),
    ]:
        path = f"/api/v1/listings/{listing['id']}"
        refused = await api.call("PATCH", path, owner, json=patch)
        assert (refused.status, codes(refused.body)) == (422, [code]), patch
        assert (await api.ok("GET", path))["version"] == listing["version"]


async def test_brass_sold_as_gold_never_ranks_for_gold(api: Api, maker: TestMaker) -> None:
    """Issue 13: brass titled "Solid 18ct gold signet" ranked first for "18ct gold signet"."""
    owner = api.token(maker)
    draft = await api.draft(
        maker,
        ring(metals=BRASS, hallmark=NOT_APPLICABLE, title="Solid 18ct gold signet", description="Brass."),
    )
    refused = await api.call("POST", f"/api/v1/listings/{draft['id']}/publish", owner)
    assert refused.status == 422
    found = await api.ok("GET", f"/api/v1/listings?q=18ct+gold+signet&maker_id={maker.maker_id}")
    assert draft["id"] not in [item["id"] for item in found["items"]]


EXEMPTION = {"gold": (375, 1.0), "silver": (925, 7.78), "platinum": (950, 0.5), "palladium": (950, 1.0)}


@pytest.mark.parametrize("metal", sorted(EXEMPTION))
async def test_the_hallmark_exemption_weight_of_each_metal(api: Api, maker: TestMaker, metal: str) -> None:
    fineness, limit = EXEMPTION[metal]
    owner = api.token(maker)
    under = round(limit - 0.001, 3)
    for weight, hallmark, expected in [
        (under, {"status": "exempt_under_weight"}, None),
        (limit, {"status": "exempt_under_weight"}, "hallmark_required"),
        (round(limit + 0.001, 3), {"status": "exempt_under_weight"}, "hallmark_required"),
        (limit, {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"}, None),
    ]:
        body = ring(metals=[{"metal": metal, "fineness": fineness, "weight_g": weight}], hallmark=hallmark)
        draft = await api.draft(maker, body)
        response = await api.call("POST", f"/api/v1/listings/{draft['id']}/publish", owner)
        if expected is None:
            assert response.status == 200, (weight, response.body)
            disclosure = "hallmark_exempt" if hallmark["status"] == "exempt_under_weight" else "hallmark"
            assert [d["code"] for d in response.body["disclosures"]] == ["dealers_notice", disclosure]
        else:
            assert (response.status, codes(response.body)) == (422, [expected]), weight


async def test_stones_are_disclosed(api: Api, maker: TestMaker) -> None:
    listing = await api.published(
        maker,
        ring(
            title="Laboratory-grown diamond solitaire",
            description="A laboratory-grown diamond, with a heated sapphire and a cubic zirconia.",
            stones=[
                LAB_DIAMOND,
                {"type": "sapphire", "origin": "natural", "treatments": ["heating"]},
                {"type": "cubic zirconia", "origin": "imitation", "count": 2},
            ],
        ),
    )
    public = await api.ok("GET", f"/api/v1/listings/{listing['id']}")
    assert [(d["code"], d["text"]) for d in public["disclosures"][2:]] == [
        ("lab_grown_stone", "Laboratory-grown diamond (1 stone, 0.50 ct total)."),
        ("stone_treatment", "The sapphire has been treated: heating."),
        ("imitation_stone", "Imitation stone: cubic zirconia (2 stones), not a natural gemstone."),
    ]


async def test_claims_must_be_held_and_self_declared_ones_are_disclosed(
    api: Api, catalogue_pool: asyncpg.Pool
) -> None:
    yesterday = TODAY - timedelta(days=1)
    maker = await approved_maker(
        catalogue_pool,
        [claim("fairmined"), claim("recycled", evidenced=False), claim("fairtrade", expires_on=yesterday)],
    )
    owner = api.token(maker)
    expired = await api.draft(maker, ring(sourcing_claims=["fairtrade"]))
    refused = await api.call("POST", f"/api/v1/listings/{expired['id']}/publish", owner)
    assert codes(refused.body) == ["claim_not_held"]
    assert yesterday.isoformat() in refused.body["errors"][0]["msg"]

    listing = await api.published(maker, ring(sourcing_claims=["fairmined", "recycled"]))
    public = await api.ok("GET", f"/api/v1/listings/{listing['id']}")
    assert public["claims"] == [
        {"scheme": "fairmined", "basis": "evidenced"},
        {"scheme": "recycled", "basis": "self_declared"},
    ]
    assert public["maker"]["evidenced_claims"] == ["fairmined"]
    assert [d["code"] for d in public["disclosures"]][-1] == "self_declared_claim"
