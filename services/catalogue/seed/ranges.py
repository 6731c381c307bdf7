"""What each demo maker makes (`DEMO_RANGES`), the words and prices its pieces are drawn from, and
what the pieces need to know of a maker (`DemoMakerFacts`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


class DemoMakerFacts(Protocol):
    """What the pieces need to know of a demo maker (the makers' seed describes them)."""

    @property
    def handle(self) -> str: ...
    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def techniques(self) -> tuple[str, ...]: ...
    @property
    def claims(self) -> tuple[tuple[str, str, str | None], ...]: ...
    @property
    def sponsor_mark(self) -> str: ...
    @property
    def assay_office(self) -> str: ...


@dataclass(frozen=True)
class DemoRange:
    """What a demo maker makes."""

    handle: str
    categories: tuple[str, ...]
    # (metal, fineness, colour)
    metals: tuple[tuple[str, int, str | None], ...]
    # (type, origin, treatments)
    stones: tuple[tuple[str, str, tuple[str, ...]], ...]
    motifs: tuple[str, ...]
    phrases: tuple[str, ...]
    production: tuple[str, ...] = ("ready_to_ship", "made_to_order", "one_of_a_kind")
    stone_share: float = 0.6  # of pieces set with a stone


DEMO_RANGES: tuple[DemoRange, ...] = (
    DemoRange(
        handle="hallam-and-hart",
        categories=("bangle", "ring", "cufflinks", "bracelet"),
        metals=(("silver", 925, None), ("silver", 958, None)),
        stones=(),
        motifs=("hammered", "forged", "planished", "heavy", "twisted"),
        phrases=(
            "Forged from a single bar of recycled silver",
            "The hammer marks are left on, so the surface catches the light",
            "Heavy enough to feel, comfortable enough to forget",
        ),
    ),
    DemoRange(
        handle="orla-nic-gabhann",
        categories=("pendant", "earrings", "ring", "brooch"),
        metals=(("gold", 750, "yellow"), ("gold", 375, "yellow"), ("silver", 925, None)),
        stones=(("garnet", "natural", ()), ("citrine", "natural", ("heating",))),
        motifs=("knotwork", "granulated", "Celtic", "spiral", "interlaced"),
        phrases=(
            "Each grain is fused by hand, without solder",
            "The knot has no beginning and no end",
            "Inspired by the Hunterston brooch",
        ),
    ),
    DemoRange(
        handle="marisol-vega-studio",
        categories=("ring", "earrings", "pendant"),
        metals=(("gold", 750, "yellow"), ("gold", 750, "white"), ("platinum", 950, None)),
        stones=(("diamond", "lab_grown", ()), ("sapphire", "lab_grown", ())),
        motifs=("solitaire", "halo", "three-stone", "east-west", "bezel-set"),
        phrases=(
            "Designed and made in Hatton Garden",
            "Set in a low-profile mount that sits close to the finger",
            "Every stone is graded and laser-inscribed",
        ),
        production=("made_to_order", "one_of_a_kind"),
        stone_share=1.0,
    ),
    DemoRange(
        handle="tide-and-tin",
        categories=("necklace", "earrings", "ring", "pendant", "bracelet"),
        metals=(("silver", 925, None),),
        stones=(
            ("moonstone", "natural", ()),
            ("aquamarine", "natural", ("heating",)),
            ("sea glass", "natural", ()),
        ),
        motifs=("wave", "rockpool", "tidal", "driftwood", "harbour"),
        phrases=(
            "Reticulated until the surface looks like wet sand",
            "Oxidised in the recesses to bring out the texture",
            "Cast in sand from Porthleven beach",
        ),
    ),
    DemoRange(
        handle="amara-okafor",
        categories=("ring", "pendant", "earrings"),
        metals=(("gold", 750, "yellow"), ("gold", 916, "yellow"), ("gold", 585, "rose")),
        stones=(
            ("sapphire", "natural", ("heating",)),
            ("ruby", "natural", ("heating",)),
            ("spinel", "natural", ()),
        ),
        motifs=("cocktail", "cluster", "petal", "crown", "bezel"),
        phrases=(
            "Every treatment a stone has had is disclosed",
            "Fairmined gold, traceable to an artisanal mine",
            "Hand-fabricated, never cast",
        ),
    ),
    DemoRange(
        handle="wren-jewellery-co",
        categories=("ring", "earrings", "necklace", "anklet", "charm"),
        metals=(("silver", 925, None), ("gold", 375, "yellow")),
        stones=(("cubic zirconia", "imitation", ()), ("opal", "lab_grown", ())),
        motifs=("stacking", "minimal", "dot", "bar", "tiny"),
        phrases=(
            "Designed to be worn every day and stacked",
            "Made in small runs and ready to ship",
            "Light enough to forget you are wearing it",
        ),
        production=("ready_to_ship",),
    ),
    DemoRange(
        handle="ishaan-mehta-goldsmith",
        categories=("bangle", "earrings", "necklace", "pendant"),
        metals=(("gold", 916, "yellow"), ("gold", 750, "yellow")),
        stones=(
            ("ruby", "natural", ("heating",)),
            ("emerald", "natural", ("fracture_filling",)),
            ("pearl", "natural", ()),
        ),
        motifs=("filigree", "jhumka", "chased", "temple", "paisley"),
        phrases=(
            "Filigree drawn and twisted by hand",
            "Fairtrade gold from a certified mine",
            "A piece for a wedding, and for after it",
        ),
    ),
    DemoRange(
        handle="bramble-and-moss",
        categories=("pendant", "earrings", "brooch", "ring", "charm"),
        metals=(("silver", 925, None), ("gold", 375, "yellow")),
        stones=(("peridot", "natural", ()), ("garnet", "natural", ())),
        motifs=("acorn", "oak leaf", "fern", "seed head", "hawthorn"),
        phrases=(
            "Cast from a leaf picked on the fells",
            "Finished with green vitreous enamel",
            "Every casting is a little different",
        ),
    ),
    DemoRange(
        handle="kasia-nowak",
        categories=("ring", "earrings", "cufflinks", "pendant"),
        metals=(("platinum", 950, None), ("palladium", 950, None)),
        stones=(("sapphire", "lab_grown", ()), ("spinel", "lab_grown", ())),
        motifs=("hexagon", "faceted", "angular", "prism", "geometric"),
        phrases=(
            "Brushed planes meet at crisp edges",
            "Hallmarked at the London Assay Office",
            "Colours chosen to sit with the cool grey of the metal",
        ),
    ),
    DemoRange(
        handle="the-pearl-loft",
        categories=("necklace", "earrings", "bracelet", "pendant"),
        metals=(("silver", 925, None), ("gold", 375, "yellow")),
        stones=(("pearl", "natural", ()), ("pearl", "natural", ("coating",))),
        motifs=("baroque", "keshi", "knotted", "drop", "strand"),
        phrases=(
            "Knotted on silk between every pearl",
            "Baroque pearls, each a different shape",
            "A clasp you can open with one hand",
        ),
    ),
    DemoRange(
        handle="fenwick-revival",
        categories=("ring", "earrings", "brooch", "pendant"),
        metals=(("platinum", 950, None), ("gold", 750, "white")),
        stones=(
            ("diamond", "natural", ()),
            ("sapphire", "natural", ("heating",)),
            ("emerald", "natural", ("fracture_filling",)),
        ),
        motifs=("art deco", "Edwardian", "millegrain", "stepped", "marquise"),
        phrases=(
            "Millegrain edges finished under the microscope",
            "Drawn from our archive of Edwardian and art deco designs",
            "A pierced gallery lets the light under the setting",
        ),
        production=("one_of_a_kind", "made_to_order"),
        stone_share=0.9,
    ),
    DemoRange(
        handle="saltmarsh-studio",
        categories=("cufflinks", "brooch", "charm", "pendant"),
        metals=(("silver", 925, None), ("silver", 958, None)),
        stones=(("onyx", "natural", ("coating",)),),
        motifs=("avocet", "heron", "curlew", "reed", "marsh"),
        phrases=(
            "Champlevé enamel fired in six layers",
            "Hand-pierced from a single sheet",
            "A bird from the Alde estuary",
        ),
    ),
)
_RANGES = {range_.handle: range_ for range_ in DEMO_RANGES}


# Typical metal weight of a piece, in grams, by category: (low, high).
_WEIGHTS = {
    "ring": (2.0, 9.0),
    "necklace": (4.0, 18.0),
    "pendant": (1.5, 8.0),
    "earrings": (0.8, 6.0),
    "bracelet": (6.0, 22.0),
    "bangle": (12.0, 40.0),
    "brooch": (4.0, 14.0),
    "cufflinks": (8.0, 18.0),
    "anklet": (2.0, 6.0),
    "charm": (0.6, 3.0),
}
_PRICE_PER_GRAM = {"silver": 650, "gold": 9500, "platinum": 8000, "palladium": 7000}
_STONE_PRICES = {"diamond": 90000, "sapphire": 45000, "ruby": 50000, "emerald": 48000}
_STONE_WORDS = {"natural": "", "lab_grown": "laboratory-grown ", "imitation": ""}
_OCCASIONS = ("everyday", "wedding", "engagement", "anniversary", "birthday", "gift")
# An engagement is marked with a ring: no other piece is tagged for it.
_RING_ONLY_OCCASIONS = frozenset({"engagement"})
_STYLES = (
    "minimal",
    "statement",
    "vintage",
    "organic",
    "geometric",
    "classic",
    "bohemian",
    "textured",
    "delicate",
    "bold",
)
_CATEGORY_NOUNS = {
    "ring": "ring",
    "necklace": "necklace",
    "pendant": "pendant",
    "earrings": "earrings",
    "bracelet": "bracelet",
    "bangle": "bangle",
    "brooch": "brooch",
    "cufflinks": "cufflinks",
    "anklet": "anklet",
    "charm": "charm",
}


def _metal_name(metal: str, fineness: int, colour: str | None) -> str:
    names = {
        ("silver", 925): "sterling silver",
        ("silver", 958): "Britannia silver",
        ("gold", 375): "9ct",
        ("gold", 585): "14ct",
        ("gold", 750): "18ct",
        ("gold", 916): "22ct",
    }
    name = names.get((metal, fineness), metal)
    if metal == "gold":
        name = f"{name} {colour or 'yellow'} gold"
    return name
