"""The catalogue's demo data: twenty-five published listings for each demo maker, made through
the catalogue's own domain, store and event handler.

`ops/seed.py` runs this as part of `marketplace seed`, after the makers' and media's seeds: it
hands over the makers' events and the `media.image.uploaded` events of the pieces' photos, which
the catalogue applies to its read models through its own handlers, as it would from the bus,
and the facts about each maker the pieces need (`DemoMakerFacts`). Which photos the pieces have,
and their alt text, is said here (`demo_photos`: the media seed draws and uploads them). Each
listing is created and published through the catalogue domain (as the catalogue's seed role),
so every piece obeys the publishing rules, its photos still processing aside (`_as_ready`), and
its events go to the catalogue outbox for orders to learn them.

Everything is deterministic: listing ids are uuid5 names and the pieces come from a seeded
random generator. Seeding again skips what exists, so it is safe to repeat.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import asyncpg

from services.catalogue import handlers, store, usecases
from services.catalogue.domain import (
    PRECIOUS_METAL_RULES,
    ImageStatus,
    KnownImages,
    Listing,
    ListingDraft,
    MetalType,
)
from shared.config import ServiceSettings
from shared.consumer import handle_directly
from shared.contracts.makers import MakerSnapshotEvent
from shared.contracts.media import ImageUploaded
from shared.db import UnitOfWork, create_pool
from shared.demo import demo_id

SEED = 20250602
LISTINGS_PER_MAKER = 25


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


# --- the listings ---------------------------------------------------------------------------------

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


# --- the photos -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPhoto:
    """A photo of a demo piece, as the media seed draws and uploads it (its DemoPhotoFacts): a
    maker's pieces that look alike in a photo (the same kind of piece, metal colour and stones)
    share one, as a maker photographs a design once."""

    image_id: uuid.UUID
    user_id: uuid.UUID
    category: str
    metal: str
    metal_colour: str | None
    stones: tuple[tuple[str, int], ...]  # (type, count)
    view: Literal["front", "angle", "close"]
    seed: str


_COUNTS = {1: "a", 2: "two", 3: "three", 4: "four"}
_PAIRS = frozenset({"earrings", "cufflinks"})


# How each photo shows the piece, in its alt text. The second photo of a piece with stones is a
# close-up of them, of a piece without, a view from an angle.
_VIEWS = {"front": "seen from the front", "angle": "seen from an angle", "close": "close up"}
MOST_PHOTOS = 2  # a piece has one or two photos (about 300 for the whole demo: the worker's load)


def _photos(
    maker: DemoMakerFacts,
    category: str,
    metal: str,
    colour: str | None,
    metal_name: str,
    stones: Sequence[dict[str, Any]],
    pictures: int,
) -> list[tuple[DemoPhoto, str]]:
    """The piece's photos (at most `pictures`, at most MOST_PHOTOS), each with its alt text."""
    drawn = tuple((stone["type"], stone["count"]) for stone in stones)
    views: tuple[Literal["front", "angle", "close"], ...] = ("front", "close" if stones else "angle")
    photos = []
    for view in views[: min(pictures, MOST_PHOTOS)]:
        key = f"{maker.handle}:{category}:{metal}:{colour}:{drawn}:{view}"
        photo = DemoPhoto(demo_id("image", key), maker.user_id, category, metal, colour, drawn, view, key)
        photos.append((photo, _alt_text(category, metal_name, stones, _VIEWS[view])))
    return photos


def _alt_text(category: str, metal_name: str, stones: Sequence[dict[str, Any]], view: str) -> str:
    """What the photo shows, for people who cannot see it: "18ct yellow gold ring with a
    laboratory-grown sapphire, seen from the front"."""
    piece = f"{metal_name} {_CATEGORY_NOUNS[category]}"
    if category in _PAIRS:
        piece = f"a pair of {piece}"
    for stone in stones:
        name = f"{_STONE_WORDS[stone['origin']]}{stone['type']}"
        count = stone["count"]
        number = _COUNTS.get(count, str(count))
        if name.endswith("glass"):  # a mass noun: counted in pieces
            name = f"piece{'' if count == 1 else 's'} of {name}"
        elif count > 1:
            name += "es" if name.endswith(("x", "z", "sh")) else "s"  # onyxes, topazes
        if count == 1 and name[0] in "aeiou":
            number = "an"
        piece += f" with {number} {name}"
    return f"{piece[0].upper()}{piece[1:]}, {view}"


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


# --- seeding --------------------------------------------------------------------------------------


def _pieces(maker: DemoMakerFacts, index: int) -> Iterator[tuple[uuid.UUID, dict[str, Any], float]]:
    """(listing id, fields, hours ago published) of a maker's pieces."""
    range_ = _RANGES[maker.handle]
    rng = random.Random(SEED * 100 + index)
    for n in range(LISTINGS_PER_MAKER):
        listing_id = demo_id("listing", f"{maker.handle}:{n}")
        yield listing_id, _piece(maker, range_, rng), rng.uniform(1, 24 * 60)


@dataclass
class SeededListings:
    created: int = 0
    already_there: int = 0


async def seed_catalogue(
    settings: ServiceSettings,
    makers: Sequence[DemoMakerFacts],
    maker_events: Sequence[MakerSnapshotEvent],
    image_events: Sequence[ImageUploaded],
    now: datetime,
) -> SeededListings:
    """Learn the makers and the uploaded photos (`demo_photos`, uploaded by the media seed) from
    their events, then list and publish each maker's pieces that do not exist yet, as the
    catalogue's seed role. `makers` come in the order of their random seeds, so keep it."""
    seeded = SeededListings()
    pool = await create_pool(settings, role="seed")
    try:
        # The catalogue learns the makers and images as it would from the bus (a repeat is
        # ignored by version).
        for event in maker_events:
            await handle_directly(
                pool,
                "catalogue",
                handlers.on_maker_changed,
                event,
                producer="makers",
                aggregate_id=event.maker_id,
                aggregate_version=event.maker_version,
            )
        for image in image_events:
            await handle_directly(
                pool,
                "catalogue",
                handlers.on_image_changed,
                image,
                producer="media",
                aggregate_id=image.image_id,
                aggregate_version=image.image_version,
            )
        for index, maker in enumerate(makers):
            for listing_id, fields, hours_ago in _pieces(maker, index):
                await _seed_listing(pool, maker, listing_id, fields, now - timedelta(hours=hours_ago), seeded)
    finally:
        await pool.close()
    return seeded


async def _seed_listing(
    pool: asyncpg.Pool,
    maker: DemoMakerFacts,
    listing_id: uuid.UUID,
    fields: dict[str, Any],
    published_at: datetime,
    seeded: SeededListings,
) -> None:
    async with UnitOfWork(pool, "catalogue") as uow:
        if await store.get_listing(uow.conn, listing_id) is not None:
            seeded.already_there += 1
            return
        record = await store.maker_for_user(uow.conn, maker.user_id)
        assert record is not None, f"the catalogue has not learnt the maker {maker.handle}"
        listing = Listing.create(
            listing_id=listing_id,
            maker_id=record.id,
            fields=ListingDraft.model_validate(fields),
            now=published_at - timedelta(hours=2),
        )
        await usecases.insert_listing(uow, listing, record)
        images = await store.known_images(
            uow.conn, record.id, [photo.image_id for photo in listing.fields.photos]
        )
        listing.publish(now=published_at, maker_claims=record.claims, images=_as_ready(images))
        await usecases.save_listing(uow, listing, record, reason="adjusted", now=published_at)
        seeded.created += 1


def _as_ready(images: KnownImages) -> KnownImages:
    """The seed's photos as they will be: each was uploaded by the media seed a moment ago (the
    maker's own, `processing` in the read model) and the media worker makes it ready once the
    services run. The demo listings are published on that promise, so the marketplace is full
    from its first minute; the public sees each photo as soon as its `media.image.processed`
    event arrives (the owner sees it processing until then). Every other rule is checked as a
    maker's publish checks it, and a photo the catalogue does not know as the maker's is still
    refused."""
    return KnownImages(
        images.maker_id,
        {image_id: replace(image, status=ImageStatus.READY) for image_id, image in images.by_id.items()},
    )


async def catalogue_is_empty(settings: ServiceSettings) -> bool:
    conn = await asyncpg.connect(settings.dsn())
    try:
        return not await store.any_listing(conn)
    finally:
        await conn.close()
