"""The storefront's ring size table is the catalogue's: the same rows, and the same UK and US
views of every millimetre value (run in the browser against the Python conversions)."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.async_api import Page

from services.catalogue.domain import RING_SIZES, uk_size, us_size
from tests.support.harness import ROOT

RINGSIZES_JS = ROOT / "services" / "gateway" / "static" / "js" / "core" / "ringsizes.js"


def test_the_table_is_the_catalogues() -> None:
    rows = re.findall(r"\['([^']+)',\s*([\d.]+),\s*([\d.]+)\]", RINGSIZES_JS.read_text())
    assert [(uk, Decimal(mm), Decimal(us)) for uk, mm, us in rows] == [
        (size.uk, size.mm, size.us) for size in RING_SIZES
    ]


async def test_uk_and_us_views_match_the_catalogue(page: Page) -> None:
    await page.goto("/")
    samples = [
        Decimal("37.5") + Decimal("0.05") * i
        for i in range(int((Decimal("76.25") - Decimal("37.5")) / Decimal("0.05")) + 1)
    ]
    samples += [size.mm for size in RING_SIZES]
    views = await page.evaluate(
        """async (values) => {
             const rings = await import('/js/core/ringsizes.js');
             return values.map((mm) => [rings.ukSize(mm), rings.usSize(mm), rings.forOrder(mm)]);
           }""",
        [float(mm) for mm in samples],
    )
    for mm, (uk, us, for_order) in zip(samples, views, strict=True):
        assert uk == uk_size(mm), mm
        assert us == us_size(mm), mm
        # What an order sends (two decimals) still reads as the same UK size.
        assert uk_size(Decimal(str(for_order))) == uk_size(mm), mm
