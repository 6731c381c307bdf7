"""`marketplace seed`: a believable demo marketplace, built through the services' own code.

Twelve approved makers are created through the makers domain and store (as the makers runtime
role), with the events a real application, submission and approval would publish; the same
snapshots are applied to the catalogue's read model through the catalogue's own handler. Then
a few hundred listings are created and published through the catalogue domain and store (as the
catalogue runtime role), so every piece obeys the publishing rules, and their events go to the
catalogue outbox for orders to learn them.

Everything is deterministic: ids are uuid5 names, and the pieces come from a seeded random
generator. Seeding again skips what exists, so it is safe to repeat.

Login accounts belong to the gateway (schema identity), not here: each demo maker has a fixed
user id, and `demo_maker_accounts()` lists them with an email and a development password, for
the gateway to create matching maker accounts (see its docstring).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

import asyncpg

from services.catalogue import changes, handlers
from services.catalogue import store as catalogue_store
from services.catalogue.domain import (
    PRECIOUS_METAL_RULES,
    Listing,
    ListingDraft,
    MetalType,
)
from services.makers import store as makers_store
from services.makers.domain import Maker, MakerProfile
from shared.config import ServiceSettings
from shared.contracts import Envelope, event_class
from shared.contracts.makers import MakerSnapshotEvent
from shared.db import UnitOfWork, create_pool
from shared.logging import get_logger

log = get_logger()

# The namespace of every demo id: the same names give the same ids on every machine.
DEMO_NAMESPACE = uuid.UUID("6f1c2a4e-9b1d-5c3e-8f7a-2d4b6e8a0c1f")
DEMO_MAKER_PASSWORD = "demo-maker-password"
SEED = 20250602
LISTINGS_PER_MAKER = 25


def demo_id(kind: str, name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"{kind}:{name}")


# --- the makers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoMaker:
    handle: str
    display_name: str
    legal_name: str
    region: str
    bio: str
    techniques: tuple[str, ...]
    sponsor_mark: str
    assay_office: str
    # (scheme, scope, certificate id or None for a self-declared claim)
    claims: tuple[tuple[str, str, str | None], ...]
    categories: tuple[str, ...]
    # (metal, fineness, colour)
    metals: tuple[tuple[str, int, str | None], ...]
    # (type, origin, treatments)
    stones: tuple[tuple[str, str, tuple[str, ...]], ...]
    motifs: tuple[str, ...]
    phrases: tuple[str, ...]
    natural_diamonds: bool = False
    accepts_commissions: bool = True
    production: tuple[str, ...] = ("ready_to_ship", "made_to_order", "one_of_a_kind")
    stone_share: float = 0.6  # of pieces set with a stone

    @property
    def maker_id(self) -> uuid.UUID:
        return demo_id("maker", self.handle)

    @property
    def user_id(self) -> uuid.UUID:
        return demo_id("user", self.handle)

    @property
    def email(self) -> str:
        return f"{self.handle}@makers.example.com"


DEMO_MAKERS: tuple[DemoMaker, ...] = (
    DemoMaker(
        handle="hallam-and-hart", display_name="Hallam & Hart", legal_name="Hallam & Hart Ltd",
        region="South Yorkshire",
        bio="Two silversmiths in a Sheffield workshop that has made cutlery since 1890. We "
            "forge and raise recycled silver by hand, and every piece is hallmarked at the "
            "Sheffield Assay Office, a mile down the road.",
        techniques=("hand forging", "raising", "planishing", "soldering"),
        sponsor_mark="HH", assay_office="sheffield",
        claims=(("scs_recycled", "metal", "SCS-RC-04417"), ("recycled", "metal", None)),
        categories=("bangle", "ring", "cufflinks", "bracelet"),
        metals=(("silver", 925, None), ("silver", 958, None)),
        stones=(), motifs=("hammered", "forged", "planished", "heavy", "twisted"),
        phrases=("Forged from a single bar of recycled silver",
                 "The hammer marks are left on, so the surface catches the light",
                 "Heavy enough to feel, comfortable enough to forget"),
    ),
    DemoMaker(
        handle="orla-nic-gabhann", display_name="Orla Nic Gabhann", legal_name="Orla Nic Gabhann",
        region="Edinburgh",
        bio="Knotwork and granulation in gold and silver, made in a small studio off the "
            "Royal Mile. I learned granulation in Florence and still fuse every grain by hand.",
        techniques=("granulation", "fusing", "hand piercing", "engraving"),
        sponsor_mark="ONG", assay_office="edinburgh",
        claims=(("fairmined", "metal", "FM-ECO-2291"),),
        categories=("pendant", "earrings", "ring", "brooch"),
        metals=(("gold", 750, "yellow"), ("gold", 375, "yellow"), ("silver", 925, None)),
        stones=(("garnet", "natural", ()), ("citrine", "natural", ("heating",))),
        motifs=("knotwork", "granulated", "Celtic", "spiral", "interlaced"),
        phrases=("Each grain is fused by hand, without solder",
                 "The knot has no beginning and no end",
                 "Inspired by the Hunterston brooch"),
    ),
    DemoMaker(
        handle="marisol-vega-studio", display_name="Marisol Vega Studio",
        legal_name="Marisol Vega Studio Ltd", region="London",
        bio="Modern engagement and wedding rings in recycled gold and platinum, set with "
            "laboratory-grown diamonds. Designed and made in Hatton Garden.",
        techniques=("stone setting", "lost-wax casting", "CAD design", "polishing"),
        sponsor_mark="MVS", assay_office="london",
        claims=(("rjc_coc", "metal", "RJC-COC-0932"), ("recycled", "metal", None)),
        categories=("ring", "earrings", "pendant"),
        metals=(("gold", 750, "yellow"), ("gold", 750, "white"), ("platinum", 950, None)),
        stones=(("diamond", "lab_grown", ()), ("sapphire", "lab_grown", ())),
        motifs=("solitaire", "halo", "three-stone", "east-west", "bezel-set"),
        phrases=("Designed and made in Hatton Garden",
                 "Set in a low-profile mount that sits close to the finger",
                 "Every stone is graded and laser-inscribed"),
        production=("made_to_order", "one_of_a_kind"), stone_share=1.0,
    ),
    DemoMaker(
        handle="tide-and-tin", display_name="Tide & Tin", legal_name="Jenna Trelawny",
        region="Cornwall",
        bio="Sea-washed textures in recycled silver, from a shed above Porthleven harbour. "
            "Reticulated surfaces, moonstones and aquamarines the colour of a winter sea.",
        techniques=("reticulation", "stone setting", "oxidising", "sand casting"),
        sponsor_mark="TT", assay_office="birmingham",
        claims=(("recycled", "metal", None),),
        categories=("necklace", "earrings", "ring", "pendant", "bracelet"),
        metals=(("silver", 925, None),),
        stones=(("moonstone", "natural", ()), ("aquamarine", "natural", ("heating",)),
                ("sea glass", "natural", ())),
        motifs=("wave", "rockpool", "tidal", "driftwood", "harbour"),
        phrases=("Reticulated until the surface looks like wet sand",
                 "Oxidised in the recesses to bring out the texture",
                 "Cast in sand from Porthleven beach"),
    ),
    DemoMaker(
        handle="amara-okafor", display_name="Amara Okafor", legal_name="Amara Okafor",
        region="Birmingham",
        bio="Goldsmith in the Jewellery Quarter. Fairmined gold and natural sapphires and "
            "rubies from a cutter I have known for ten years.",
        techniques=("stone setting", "hand fabrication", "engraving", "enamelling"),
        sponsor_mark="AO", assay_office="birmingham",
        claims=(("fairmined", "metal", "FM-ECO-1187"), ("other", "stone", None)),
        categories=("ring", "pendant", "earrings"),
        metals=(("gold", 750, "yellow"), ("gold", 916, "yellow"), ("gold", 585, "rose")),
        stones=(("sapphire", "natural", ("heating",)), ("ruby", "natural", ("heating",)),
                ("spinel", "natural", ())),
        motifs=("cocktail", "cluster", "petal", "crown", "bezel"),
        phrases=("Every treatment a stone has had is disclosed",
                 "Fairmined gold, traceable to an artisanal mine",
                 "Hand-fabricated, never cast"),
    ),
    DemoMaker(
        handle="wren-jewellery-co", display_name="Wren Jewellery Co.",
        legal_name="Wren Jewellery Company Ltd", region="Bristol",
        bio="Small stacking rings and everyday studs in silver and 9ct gold, made in small "
            "runs in our Bristol workshop and ready to ship.",
        techniques=("soldering", "hand finishing", "stamping"),
        sponsor_mark="WJC", assay_office="birmingham",
        claims=(("recycled", "metal", "SCS-RC-11820"),),
        categories=("ring", "earrings", "necklace", "anklet", "charm"),
        metals=(("silver", 925, None), ("gold", 375, "yellow")),
        stones=(("cubic zirconia", "imitation", ()), ("opal", "lab_grown", ())),
        motifs=("stacking", "minimal", "dot", "bar", "tiny"),
        phrases=("Designed to be worn every day and stacked",
                 "Made in small runs and ready to ship",
                 "Light enough to forget you are wearing it"),
        production=("ready_to_ship",),
    ),
    DemoMaker(
        handle="ishaan-mehta-goldsmith", display_name="Ishaan Mehta Goldsmith",
        legal_name="Ishaan Mehta", region="Leicester",
        bio="22ct gold made the way my grandfather made it in Jaipur: filigree, kundan and "
            "hand-chased detail, for weddings and for every day.",
        techniques=("filigree", "chasing", "repoussé", "kundan setting"),
        sponsor_mark="IMG", assay_office="london",
        claims=(("fairtrade", "metal", "FT-GOLD-3321"),),
        categories=("bangle", "earrings", "necklace", "pendant"),
        metals=(("gold", 916, "yellow"), ("gold", 750, "yellow")),
        stones=(("ruby", "natural", ("heating",)), ("emerald", "natural", ("fracture_filling",)),
                ("pearl", "natural", ())),
        motifs=("filigree", "jhumka", "chased", "temple", "paisley"),
        phrases=("Filigree drawn and twisted by hand", "Fairtrade gold from a certified mine",
                 "A piece for a wedding, and for after it"),
    ),
    DemoMaker(
        handle="bramble-and-moss", display_name="Bramble & Moss", legal_name="Harriet Kell",
        region="Cumbria",
        bio="Botanical jewellery cast from real leaves, twigs and seed heads collected on "
            "walks around Grasmere, finished with vitreous enamel.",
        techniques=("lost-wax casting", "enamelling", "oxidising"),
        sponsor_mark="BM", assay_office="sheffield",
        claims=(("recycled", "metal", None),),
        categories=("pendant", "earrings", "brooch", "ring", "charm"),
        metals=(("silver", 925, None), ("gold", 375, "yellow")),
        stones=(("peridot", "natural", ()), ("garnet", "natural", ())),
        motifs=("acorn", "oak leaf", "fern", "seed head", "hawthorn"),
        phrases=("Cast from a leaf picked on the fells", "Finished with green vitreous enamel",
                 "Every casting is a little different"),
    ),
    DemoMaker(
        handle="kasia-nowak", display_name="Kasia Nowak", legal_name="Katarzyna Nowak",
        region="Greater Manchester",
        bio="Geometric jewellery in platinum and palladium: clean planes, precise angles and "
            "laboratory-grown sapphires in colours nature rarely makes.",
        techniques=("CAD design", "hand fabrication", "stone setting", "brushing"),
        sponsor_mark="KN", assay_office="london",
        claims=(("recycled", "metal", "SCS-RC-20411"),),
        categories=("ring", "earrings", "cufflinks", "pendant"),
        metals=(("platinum", 950, None), ("palladium", 950, None)),
        stones=(("sapphire", "lab_grown", ()), ("spinel", "lab_grown", ())),
        motifs=("hexagon", "faceted", "angular", "prism", "geometric"),
        phrases=("Brushed planes meet at crisp edges", "Hallmarked at the London Assay Office",
                 "Colours chosen to sit with the cool grey of the metal"),
    ),
    DemoMaker(
        handle="the-pearl-loft", display_name="The Pearl Loft", legal_name="Rosalind Achebe",
        region="Norfolk",
        bio="Freshwater and Akoya pearls, knotted on silk by hand, with clasps in silver and "
            "gold. A loft above a bookshop in Norwich.",
        techniques=("pearl knotting", "wire wrapping", "soldering"),
        sponsor_mark="TPL", assay_office="london",
        claims=(),
        categories=("necklace", "earrings", "bracelet", "pendant"),
        metals=(("silver", 925, None), ("gold", 375, "yellow")),
        stones=(("pearl", "natural", ()), ("pearl", "natural", ("coating",))),
        motifs=("baroque", "keshi", "knotted", "drop", "strand"),
        phrases=("Knotted on silk between every pearl", "Baroque pearls, each a different shape",
                 "A clasp you can open with one hand"),
    ),
    DemoMaker(
        handle="fenwick-revival", display_name="Fenwick Revival", legal_name="Fenwick Revival Ltd",
        region="North Yorkshire",
        bio="Art deco and Edwardian designs made new in platinum and white gold, with natural "
            "diamonds bought under the System of Warranties.",
        techniques=("millegrain", "pierced gallery", "stone setting", "engraving"),
        sponsor_mark="FR", assay_office="sheffield",
        claims=(("rjc_coc", "stone", "RJC-COC-1178"),),
        categories=("ring", "earrings", "brooch", "pendant"),
        metals=(("platinum", 950, None), ("gold", 750, "white")),
        stones=(("diamond", "natural", ()), ("sapphire", "natural", ("heating",)),
                ("emerald", "natural", ("fracture_filling",))),
        motifs=("art deco", "Edwardian", "millegrain", "stepped", "marquise"),
        phrases=("Millegrain edges finished under the microscope",
                 "Drawn from our archive of Edwardian and art deco designs",
                 "A pierced gallery lets the light under the setting"),
        natural_diamonds=True,
        production=("one_of_a_kind", "made_to_order"), stone_share=0.9,
    ),
    DemoMaker(
        handle="saltmarsh-studio", display_name="Saltmarsh Studio", legal_name="Tom Okonjo",
        region="Suffolk",
        bio="Cufflinks, tie bars and brooches with enamelled estuary birds, made on the edge "
            "of the Alde marshes.",
        techniques=("champlevé enamelling", "hand piercing", "engraving"),
        sponsor_mark="SS", assay_office="london",
        claims=(("recycled", "metal", None),),
        categories=("cufflinks", "brooch", "charm", "pendant"),
        metals=(("silver", 925, None), ("silver", 958, None)),
        stones=(("onyx", "natural", ("coating",)),),
        motifs=("avocet", "heron", "curlew", "reed", "marsh"),
        phrases=("Champlevé enamel fired in six layers", "Hand-pierced from a single sheet",
                 "A bird from the Alde estuary"),
        accepts_commissions=False,
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    user_id: uuid.UUID
    email: str
    display_name: str
    role: str = "maker"
    password: str = DEMO_MAKER_PASSWORD


def demo_maker_accounts() -> list[DemoAccount]:
    """The login accounts the demo makers need, for the gateway (which owns accounts): create
    each as a `maker` account with exactly this `user_id` (the `sub` of its tokens, which is how
    the makers and catalogue services know the maker), this email and this development
    password, when no account with that email exists. The demo data is useless without them
    only for signing in as a maker; browsing and buying need none."""
    return [DemoAccount(m.user_id, m.email, m.display_name) for m in DEMO_MAKERS]


def _profile(maker: DemoMaker, today: date) -> MakerProfile:
    return MakerProfile.model_validate({
        "handle": maker.handle,
        "display_name": maker.display_name,
        "legal_name": maker.legal_name,
        "business_type": "company" if maker.legal_name.endswith("Ltd") else "individual",
        "bio": maker.bio,
        "location": {"country": "GB", "region": maker.region},
        "techniques": list(maker.techniques),
        "portfolio_urls": [f"https://portfolio.example.com/{maker.handle}"],
        "sourcing_claims": [
            {"scheme": scheme, "scope": scope, "certificate_id": certificate,
             "expires_on": (today + timedelta(days=540)).isoformat() if certificate else None}
            for scheme, scope, certificate in maker.claims
        ],
        "hallmarking": {"sponsor_mark": maker.sponsor_mark, "assay_office": maker.assay_office},
        "works_precious_metals": True,
        "natural_diamonds": maker.natural_diamonds,
        "system_of_warranties_attested": maker.natural_diamonds,
        "accepts_commissions": maker.accepts_commissions,
        "terms_accepted": True,
    })


def _approved(maker: DemoMaker, now: datetime) -> tuple[Maker, list[MakerSnapshotEvent]]:
    """The maker applied, submitted and was approved (by the seed's operator), with the events
    the makers service publishes for each step."""
    operator = demo_id("operator", "seed")
    record = Maker.create(maker.user_id, _profile(maker, now.date()), now - timedelta(days=90),
                          maker_id=maker.maker_id)
    record.submit(maker.user_id, now - timedelta(days=89))
    record.review("approve", "Demo maker", operator, now - timedelta(days=88))
    snapshot = record.catalogue_snapshot(now.date()).model_dump(mode="json", exclude={"version"})
    events = []
    for event in record.pull_events():
        event_type = event_class(f"makers.maker.{event.name}", 1)
        if event_type is not None:  # a draft's creation is nobody else's business
            events.append(event_type.model_validate(
                {**snapshot, "maker_version": event.version, "status": event.status.value}))
    return record, events  # type: ignore[return-value]


# --- the listings ---------------------------------------------------------------------------------

# Typical metal weight of a piece, in grams, by category: (low, high).
_WEIGHTS = {
    "ring": (2.0, 9.0), "necklace": (4.0, 18.0), "pendant": (1.5, 8.0), "earrings": (0.8, 6.0),
    "bracelet": (6.0, 22.0), "bangle": (12.0, 40.0), "brooch": (4.0, 14.0),
    "cufflinks": (8.0, 18.0), "anklet": (2.0, 6.0), "charm": (0.6, 3.0),
}
_PRICE_PER_GRAM = {"silver": 650, "gold": 9500, "platinum": 8000, "palladium": 7000}
_STONE_PRICES = {"diamond": 90000, "sapphire": 45000, "ruby": 50000, "emerald": 48000}
_STONE_WORDS = {"natural": "", "lab_grown": "laboratory-grown ", "imitation": ""}
_OCCASIONS = ("everyday", "wedding", "engagement", "anniversary", "birthday", "gift")
_STYLES = ("minimal", "statement", "vintage", "organic", "geometric", "classic", "bohemian",
           "textured", "delicate", "bold")
_CATEGORY_NOUNS = {
    "ring": "ring", "necklace": "necklace", "pendant": "pendant", "earrings": "earrings",
    "bracelet": "bracelet", "bangle": "bangle", "brooch": "brooch", "cufflinks": "cufflinks",
    "anklet": "anklet", "charm": "charm",
}
_COLOURS = {"silver": ("d9d9d9", "333333"), "gold": ("e6c36a", "3b2a05"),
            "platinum": ("c8ccd1", "2b2f33"), "palladium": ("b9bcc0", "2b2f33")}


def _metal_name(metal: str, fineness: int, colour: str | None) -> str:
    names = {("silver", 925): "sterling silver", ("silver", 958): "Britannia silver",
             ("gold", 375): "9ct", ("gold", 585): "14ct", ("gold", 750): "18ct",
             ("gold", 916): "22ct"}
    name = names.get((metal, fineness), metal)
    if metal == "gold":
        name = f"{name} {colour or 'yellow'} gold"
    return name


def _piece(maker: DemoMaker, n: int, rng: random.Random) -> dict[str, Any]:
    """One listing's fields: a believable piece that meets every publishing rule."""
    category = rng.choice(maker.categories)
    metal, fineness, colour = rng.choice(maker.metals)
    low, high = _WEIGHTS[category]
    weight = round(rng.uniform(low, high), 2)
    exemption = PRECIOUS_METAL_RULES[MetalType(metal)].exemption_weight_g
    hallmarked = weight >= exemption or rng.random() < 0.5
    stones = []
    stone_phrase = ""
    if maker.stones and rng.random() < maker.stone_share:
        kind, origin, treatments = rng.choice(maker.stones)
        count = 1 if category in ("ring", "pendant", "brooch") else rng.choice([2, 2, 4])
        carat = round(rng.uniform(0.1, 1.2) * count, 2) if kind != "pearl" else None
        stones.append({"type": kind, "origin": origin, "treatments": list(treatments),
                       "carat": carat, "count": count})
        stone_phrase = f"{_STONE_WORDS[origin]}{kind}"
    motif = rng.choice(maker.motifs)
    metal_name = _metal_name(metal, fineness, colour)
    title = " ".join(w for w in (
        motif.capitalize(), stone_phrase, metal_name, _CATEGORY_NOUNS[category]) if w)
    if len(title) > 140:
        title = title[:140]
    kind = rng.choice(maker.production)
    production: dict[str, Any] = {"kind": kind}
    if kind == "ready_to_ship":
        production["stock"] = rng.randint(1, 8)
    elif kind == "made_to_order":
        shortest = rng.choice([7, 10, 14, 21])
        production["lead_time_days"] = {"min": shortest, "max": shortest + rng.choice([7, 14])}
    price = weight * _PRICE_PER_GRAM[metal] + rng.randint(40, 160) * 100
    for stone in stones:
        price += _STONE_PRICES.get(stone["type"], 6000) * (stone["carat"] or 1) * (
            0.35 if stone["origin"] == "lab_grown" else 1)
    amount = int(round(price / 500.0)) * 500 - 100  # £x4.00 and £x9.00 endings
    details = [rng.choice(maker.phrases) + ".",
               f"Made in {metal_name}, {weight:g} g"
               + (", hallmarked." if hallmarked else ", under the hallmarking weight.")]
    if stones:
        count = stones[0]["count"]
        plural = "" if stone_phrase.endswith("glass") else "s"
        details.append(f"Set with a single {stone_phrase}." if count == 1
                       else f"Set with {count} {stone_phrase}{plural}.")
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
        options["engraving"] = {"max_chars": rng.choice([10, 12, 16, 20]),
                                "price_delta": {"amount": rng.choice([1500, 2000, 2500])}
                                if rng.random() < 0.6 else None}
    background, foreground = _COLOURS[metal]
    images = [f"https://placehold.co/800x800/{background}/{foreground}/png?text="
              f"{quote_plus(title)}&v={view}" for view in range(1, rng.randint(2, 4))]
    return {
        "title": title,
        "description": description,
        "category": category,
        "occasions": sorted(set(rng.sample(_OCCASIONS, k=rng.randint(1, 3)))),
        "style_tags": sorted(set(rng.sample(_STYLES, k=rng.randint(1, 3)) + [motif.lower()])),
        "techniques": sorted(set(rng.sample(maker.techniques, k=min(2, len(maker.techniques))))),
        "price": {"amount": max(amount, 1900), "currency": "GBP"},
        "production": production,
        "metals": [{"metal": metal, "fineness": fineness, "colour": colour, "weight_g": weight,
                    "recycled": any(s in ("recycled", "scs_recycled") for s, _, _ in maker.claims)}],
        "hallmark": {"status": "hallmarked", "sponsor_mark": maker.sponsor_mark,
                     "assay_office": maker.assay_office}
        if hallmarked else {"status": "exempt_under_weight"},
        "stones": stones,
        "sourcing_claims": [scheme for scheme, _, _ in maker.claims
                            if rng.random() < 0.7 and not (scheme == "other")],
        "options": options or None,
        "images": images,
    }


def _pieces(maker: DemoMaker, index: int) -> Iterator[tuple[uuid.UUID, dict[str, Any], float]]:
    """(listing id, fields, hours ago published) of a maker's pieces."""
    rng = random.Random(SEED * 100 + index)
    for n in range(LISTINGS_PER_MAKER):
        yield (demo_id("listing", f"{maker.handle}:{n}"), _piece(maker, n, rng),
               rng.uniform(1, 24 * 60))


# --- seeding --------------------------------------------------------------------------------------


@dataclass
class _Counts:
    makers: int = 0
    listings: int = 0
    already_there: int = 0


async def seed_demo_data(settings_by_service: dict[str, ServiceSettings]) -> None:
    """Load the demo makers and listings, each service's part as that service's own role."""
    now = datetime.now(UTC)
    makers_pool = await create_pool(settings_by_service["makers"], role="seed")
    catalogue_pool = await create_pool(settings_by_service["catalogue"], role="seed")
    counts = _Counts()
    try:
        for index, maker in enumerate(DEMO_MAKERS):
            await _seed_maker(makers_pool, catalogue_pool, maker, now, counts)
            for listing_id, fields, hours_ago in _pieces(maker, index):
                await _seed_listing(catalogue_pool, maker, listing_id, fields,
                                    now - timedelta(hours=hours_ago), counts)
    finally:
        await makers_pool.close()
        await catalogue_pool.close()
    log.info("demo_data_seeded", makers=counts.makers, listings=counts.listings)
    print(f"seeded {counts.makers} makers and {counts.listings} listings"
          + (f" ({counts.already_there} already there)" if counts.already_there else ""))


async def _seed_maker(makers_pool: asyncpg.Pool, catalogue_pool: asyncpg.Pool, maker: DemoMaker,
                      now: datetime, counts: _Counts) -> None:
    record, events = _approved(maker, now)
    async with UnitOfWork(makers_pool, "makers") as uow:
        if await makers_store.get(uow.conn, maker.maker_id) is not None:
            counts.already_there += 1
        else:
            await makers_store.insert(uow.conn, record)
            for event in events:
                uow.emit(event, aggregate_id=maker.maker_id, aggregate_version=event.maker_version)
            counts.makers += 1
    # The catalogue learns the maker as it would from the bus (a repeat is ignored by version).
    for event in events:
        envelope = Envelope.wrap(event, producer="makers", aggregate_id=str(maker.maker_id),
                                 aggregate_version=event.maker_version)
        async with UnitOfWork(catalogue_pool, "catalogue") as uow:
            await handlers.on_maker_changed(uow, event, envelope)


async def _seed_listing(pool: asyncpg.Pool, maker: DemoMaker, listing_id: uuid.UUID,
                        fields: dict[str, Any], published_at: datetime, counts: _Counts) -> None:
    async with UnitOfWork(pool, "catalogue") as uow:
        if await catalogue_store.get_listing(uow.conn, listing_id) is not None:
            counts.already_there += 1
            return
        record = await catalogue_store.maker_for_user(uow.conn, maker.user_id)
        assert record is not None
        listing = Listing.create(listing_id=listing_id, maker_id=record.id,
                                 fields=ListingDraft.model_validate(fields),
                                 now=published_at - timedelta(hours=2))
        await changes.insert_listing(uow, listing, record)
        loaded = changes.Loaded.of(listing)
        listing.publish(now=published_at, maker_claims=record.claims)
        await changes.save_listing(uow, listing, record, loaded, reason="adjusted",
                                   now=published_at)
        counts.listings += 1


async def catalogue_is_empty(settings: ServiceSettings) -> bool:
    conn = await asyncpg.connect(settings.dsn())
    try:
        return not await catalogue_store.any_listing(conn)
    finally:
        await conn.close()
