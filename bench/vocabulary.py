"""The jewellery vocabulary the benchmark's template listings are drawn from (bench/listings.py)
and its queries are written in (bench/search_queries.py).

Each template is drawn with a generator seeded by its number, attribute by attribute, so the
combinations vary (a category does not fix the metal or the stone) and every run makes the same
catalogue. Weights are rough guesses at a handmade-jewellery marketplace: silver and gold most
common, most pieces without a stone or with one natural stone, "everyday" the usual occasion.
"""

from __future__ import annotations

import random
from typing import Any

CATEGORIES = [
    ("ring", 24),
    ("necklace", 14),
    ("pendant", 12),
    ("earrings", 18),
    ("bracelet", 10),
    ("bangle", 5),
    ("brooch", 4),
    ("cufflinks", 4),
    ("anklet", 3),
    ("charm", 6),
]
METALS = [  # (metal, fineness, weight in grams, weight of the draw)
    ("silver", 925, 9.0, 30),
    ("silver", 925, 4.0, 10),  # under the exemption weight: not hallmarked
    ("silver", 958, 8.5, 3),
    ("gold", 750, 4.2, 12),
    ("gold", 375, 2.5, 12),
    ("gold", 585, 3.0, 6),
    ("gold", 916, 5.0, 3),
    ("platinum", 950, 3.1, 4),
    ("palladium", 950, 3.0, 2),
]
STONES = [  # (type, origin, weight of the draw); None: no stone
    (None, None, 40),
    ("sapphire", "natural", 6),
    ("sapphire", "lab_grown", 2),
    ("diamond", "natural", 6),
    ("diamond", "lab_grown", 4),
    ("ruby", "natural", 3),
    ("emerald", "natural", 3),
    ("opal", "natural", 4),
    ("garnet", "natural", 4),
    ("pearl", "natural", 4),
    ("amethyst", "natural", 4),
    ("aquamarine", "natural", 3),
    ("moonstone", "natural", 3),
    ("topaz", "natural", 2),
    ("moissanite", "lab_grown", 3),
    ("cubic zirconia", "imitation", 2),
    ("tourmaline", "natural", 2),
    ("peridot", "natural", 2),
]
TECHNIQUES = [
    "hammered",
    "lost-wax casting",
    "hand-forged",
    "filigree",
    "granulation",
    "enamelled",
    "hand engraved",
    "reticulated",
    "oxidised",
    "wire-wrapped",
    "hand-carved",
    "brushed",
]
STYLES = [
    "minimal",
    "vintage",
    "art deco",
    "celtic",
    "boho",
    "geometric",
    "floral",
    "organic",
    "statement",
    "delicate",
    "victorian",
    "nature",
]
OCCASIONS = [
    ("everyday", 40),
    ("wedding", 10),
    ("engagement", 6),
    ("anniversary", 6),
    ("birthday", 5),
    ("gift", 8),
]
SHAPES = {
    "ring": ["signet", "stacking", "solitaire", "band", "halo", "cocktail", "knot"],
    "necklace": ["chain", "choker", "collar", "lariat", "bar"],
    "pendant": ["locket", "disc", "drop", "leaf", "moon"],
    "earrings": ["stud", "hoop", "drop", "huggie", "climber"],
    "bracelet": ["chain", "cuff", "tennis", "charm", "bead"],
    "bangle": ["stacking", "twisted", "hinged", "open"],
    "brooch": ["flower", "bee", "bar", "leaf"],
    "cufflinks": ["knot", "disc", "square", "oval"],
    "anklet": ["chain", "bead", "wave"],
    "charm": ["heart", "star", "initial", "acorn"],
}
ADJECTIVES = [
    "hammered",
    "twisted",
    "dainty",
    "chunky",
    "slim",
    "bold",
    "textured",
    "polished",
    "wave",
    "woven",
]
DESCRIPTIONS = [
    "Made by hand in my workshop from start to finish.",
    "Each piece is cut, shaped and polished by hand, so no two are quite alike.",
    "Inspired by the coastline near the studio and the shapes of pebbles.",
    "Finished with a soft satin texture that catches the light.",
    "A piece to wear every day, comfortable and light.",
    "Sent in a recycled gift box with a care card.",
    "The stone is set in a hand-made collet.",
    "Resized free of charge within the first year.",
]
# The word of the relevance check: in one title (the oldest listing's) and in the descriptions of
# about one template in eight.
RARE_WORD = "heirloom"
_RARE_SENTENCE = "Made to be handed down as an heirloom."
# Metal names as a shopper writes them, with the fineness names the catalogue indexes.
_METAL_WORDS = {
    ("gold", 750): "18ct gold",
    ("gold", 375): "9ct gold",
    ("gold", 585): "14ct gold",
    ("gold", 916): "22ct gold",
    ("silver", 925): "sterling silver",
    ("silver", 958): "Britannia silver",
}
_PRICE_BASE = {"silver": 4500, "gold": 26000, "platinum": 48000, "palladium": 32000}


def _pick(rng: random.Random, weighted: list[Any]) -> Any:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def template_body(n: int, photo_ids: list[str]) -> dict[str, Any]:
    """Template `n`, with one of the maker's photos or two (alternately)."""
    from tests.support.catalogue import ring

    rng = random.Random(n * 104729 + 3)
    category = _pick(rng, CATEGORIES)[0]
    metal, fineness, weight, _ = _pick(rng, METALS)
    stone, origin, _ = _pick(rng, STONES)
    techniques = rng.sample(TECHNIQUES, rng.choice((1, 1, 2)))
    styles = rng.sample(STYLES, rng.choice((1, 2)))
    occasions = [_pick(rng, OCCASIONS)[0]]
    metal_word = _METAL_WORDS.get((metal, fineness), metal)
    shape = rng.choice(SHAPES[category])
    noun = category if category in ("earrings", "cufflinks") else f"{shape} {category}"
    article = "a lab-grown" if origin == "lab_grown" else ("an" if stone and stone[0] in "aeiou" else "a")
    stone_words = f" with {article} {stone}" if stone else ""
    title = rng.choice(
        [
            f"{rng.choice(ADJECTIVES).capitalize()} {metal_word} {noun}{stone_words}",
            f"{styles[0].capitalize()} {noun} in {metal_word}{stone_words}",
            f"{(stone or shape).capitalize()} {category} - {techniques[0]} {metal_word}",
        ]
    )
    sentences = rng.sample(DESCRIPTIONS, 2)
    if n % 8 == 3:
        sentences.append(_RARE_SENTENCE)
    description = f"A {styles[0]} {category} in {metal_word}{stone_words}, {techniques[0]}. " + " ".join(
        sentences
    )
    light = weight < 7.78 if metal == "silver" else weight < 1.0
    return ring(
        title=title[:140],
        description=description,
        category=category,
        occasions=occasions,
        style_tags=styles,
        techniques=techniques,
        price={"amount": int(round(_PRICE_BASE[metal] * rng.uniform(0.6, 2.5), -2)), "currency": "GBP"},
        production=rng.choice(
            [
                {"kind": "ready_to_ship", "stock": rng.randrange(1, 6)},
                {"kind": "one_of_a_kind"},
                {"kind": "made_to_order", "lead_time_days": {"min": 5, "max": 21}},
            ]
        ),
        metals=[{"metal": metal, "fineness": fineness, "weight_g": weight, "recycled": rng.random() < 0.4}],
        hallmark={"status": "exempt_under_weight"}
        if light
        else {"status": "hallmarked", "sponsor_mark": "ADS", "assay_office": "london"},
        stones=[{"type": stone, "origin": origin}] if stone else [],
        sourcing_claims=rng.choice([["fairmined"], ["recycled"], ["fairtrade"], [], [], []]),
        options={"ring_size_mm": {"min": 50, "max": 58}} if category == "ring" else None,
        photos=[
            {"image_id": image_id, "alt": alt}
            for image_id, alt in zip(
                photo_ids[: 1 + n % 2],
                ("The piece on a plain linen background", "The piece seen from above"),
                strict=False,
            )
        ],
    )


def rare_body(photo_ids: list[str]) -> dict[str, Any]:
    """The one listing with RARE_WORD in its title (and a plain description)."""
    return {
        **template_body(0, photo_ids),
        "title": f"Garnet {RARE_WORD} signet ring",
        "description": "A signet ring set with a garnet.",
        "category": "ring",
        "stones": [{"type": "garnet", "origin": "natural"}],
        "options": {"ring_size_mm": {"min": 50, "max": 58}},
    }
