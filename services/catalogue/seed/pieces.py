"""The demo pieces: each maker's listings' fields, drawn from a seeded random generator over the
maker's range, so every run makes the same pieces with the same listing ids, and the photos they
show (`demo_photos`: the media seed draws and uploads them)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from services.catalogue.domain import PRECIOUS_METAL_RULES, MetalType
from services.catalogue.seed.photos import DemoPhoto, _photos
from services.catalogue.seed.ranges import (
    _CATEGORY_NOUNS,
    _OCCASIONS,
    _PRICE_PER_GRAM,
    _RANGES,
    _RING_ONLY_OCCASIONS,
    _STONE_PRICES,
    _STONE_WORDS,
    _STYLES,
    _WEIGHTS,
    DemoMakerFacts,
    DemoRange,
    _metal_name,
)
from shared.demo import demo_id

SEED = 20250602
LISTINGS_PER_MAKER = 25


def _piece(maker: DemoMakerFacts, range_: DemoRange, rng: random.Random) -> dict[str, Any]:
    """One listing's fields: a believable piece that meets every publishing rule."""
    category = rng.choice(range_.categories)
    metal, fineness, colour = rng.choice(range_.metals)
    low, high = _WEIGHTS[category]
    weight = round(rng.uniform(low, high), 2)
    exemption = PRECIOUS_METAL_RULES[MetalType(metal)].exemption_weight_g
    hallmarked = weight >= exemption or rng.random() < 0.5
    stones: list[dict[str, Any]] = []
    stone_phrase = ""
    if range_.stones and rng.random() < range_.stone_share:
        kind, origin, treatments = rng.choice(range_.stones)
        count = 1 if category in ("ring", "pendant", "brooch") else rng.choice([2, 2, 4])
        carat = round(rng.uniform(0.1, 1.2) * count, 2) if kind != "pearl" else None
        stones.append(
            {"type": kind, "origin": origin, "treatments": list(treatments), "carat": carat, "count": count}
        )
        stone_phrase = f"{_STONE_WORDS[origin]}{kind}"
    motif = rng.choice(range_.motifs)
    metal_name = _metal_name(metal, fineness, colour)
    title = " ".join(
        w for w in (motif.capitalize(), stone_phrase, metal_name, _CATEGORY_NOUNS[category]) if w
    )
    if len(title) > 140:
        title = title[:140]
    kind = rng.choice(range_.production)
    production: dict[str, Any] = {"kind": kind}
    if kind == "ready_to_ship":
        production["stock"] = rng.randint(1, 8)
    elif kind == "made_to_order":
        shortest = rng.choice([7, 10, 14, 21])
        production["lead_time_days"] = {"min": shortest, "max": shortest + rng.choice([7, 14])}
    price = weight * _PRICE_PER_GRAM[metal] + rng.randint(40, 160) * 100
    for stone in stones:
        price += (
            _STONE_PRICES.get(stone["type"], 6000)
            * (stone["carat"] or 1)
            * (0.35 if stone["origin"] == "lab_grown" else 1)
        )
    amount = round(price / 500.0) * 500 - 100  # £x4.00 and £x9.00 endings
    details = [
        rng.choice(range_.phrases) + ".",
        f"Made in {metal_name}, {weight:g} g"
        + (", hallmarked." if hallmarked else ", under the hallmarking weight."),
    ]
    if stones:
        count = stones[0]["count"]
        plural = "" if stone_phrase.endswith("glass") else "s"
        details.append(
            f"Set with a single {stone_phrase}."
            if count == 1
            else f"Set with {count} {stone_phrase}{plural}."
        )
    if kind == "made_to_order":
        details.append("Made to order in the workshop; allow the lead time shown.")
    description = " ".join(details)
    options: dict[str, Any] = {}
    if category == "ring":
        smallest = rng.choice([44.0, 46.25, 47.5, 48.75])
        options["ring_size_mm"] = {"min": smallest, "max": smallest + rng.choice([10.0, 12.5, 15.0])}
    if category in ("necklace", "pendant"):
        options["chain_lengths_cm"] = rng.sample([40, 45, 50, 55, 60], k=rng.randint(1, 3))
    if category in ("ring", "pendant", "cufflinks", "bangle") and rng.random() < 0.4:
        options["engraving"] = {
            "max_chars": rng.choice([10, 12, 16, 20]),
            "price_delta": {"amount": rng.choice([1500, 2000, 2500])} if rng.random() < 0.6 else None,
        }
    # The same draw as when pieces had placeholder pictures, so every other value stays the same.
    pictures = rng.randint(1, 3)
    # Drawn as before (the same random stream, so every other value of the demo data stays the
    # same), then an occasion a piece of this kind cannot be for is left out.
    occasions = sorted(set(rng.sample(_OCCASIONS, k=rng.randint(1, 3))))
    if category != "ring":
        occasions = [o for o in occasions if o not in _RING_ONLY_OCCASIONS] or ["gift"]
    return {
        "title": title,
        "description": description,
        "category": category,
        "occasions": occasions,
        "style_tags": sorted({*rng.sample(_STYLES, k=rng.randint(1, 3)), motif.lower()}),
        "techniques": sorted(set(rng.sample(maker.techniques, k=min(2, len(maker.techniques))))),
        "price": {"amount": max(amount, 1900), "currency": "GBP"},
        "production": production,
        "metals": [
            {
                "metal": metal,
                "fineness": fineness,
                "colour": colour,
                "weight_g": weight,
                "recycled": any(s in ("recycled", "scs_recycled") for s, _, _ in maker.claims),
            }
        ],
        "hallmark": {
            "status": "hallmarked",
            "sponsor_mark": maker.sponsor_mark,
            "assay_office": maker.assay_office,
        }
        if hallmarked
        else {"status": "exempt_under_weight"},
        "stones": stones,
        "sourcing_claims": [
            scheme for scheme, _, _ in maker.claims if rng.random() < 0.7 and scheme != "other"
        ],
        "options": options or None,
        "photos": [
            {"image_id": str(photo.image_id), "alt": alt}
            for photo, alt in _photos(maker, category, metal, colour, metal_name, stones, pictures)
        ],
    }


def demo_photos(makers: Sequence[DemoMakerFacts]) -> list[DemoPhoto]:
    """Every photo the demo listings show, once each, for the media seed to draw and upload.
    `makers` come in the order of their random seeds, as for `seed_catalogue`."""
    photos: dict[uuid.UUID, DemoPhoto] = {}
    for index, maker in enumerate(makers):
        for _, fields, _ in _pieces(maker, index):
            metal = fields["metals"][0]
            for photo, _ in _photos(
                maker,
                fields["category"],
                metal["metal"],
                metal["colour"],
                _metal_name(metal["metal"], metal["fineness"], metal["colour"]),
                fields["stones"],
                len(fields["photos"]),
            ):
                photos.setdefault(photo.image_id, photo)
    return list(photos.values())


def _pieces(maker: DemoMakerFacts, index: int) -> Iterator[tuple[uuid.UUID, dict[str, Any], float]]:
    """(listing id, fields, hours ago published) of a maker's pieces."""
    range_ = _RANGES[maker.handle]
    rng = random.Random(SEED * 100 + index)
    for n in range(LISTINGS_PER_MAKER):
        listing_id = demo_id("listing", f"{maker.handle}:{n}")
        yield listing_id, _piece(maker, range_, rng), rng.uniform(1, 24 * 60)
