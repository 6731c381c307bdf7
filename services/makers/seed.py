"""The makers' demo data: twelve approved makers, made through the makers domain and store.

Each maker applied, submitted and was approved (by the seed's operator, who also verified the
evidence of every claim that has a certificate), and the events a real
application, submission and approval publish wait in the makers outbox. `ops/seed.py` runs this
as part of `marketplace seed`, hands the same events to the catalogue (which learns the makers
as it would from the bus), and asks the gateway for the makers' login accounts: each demo maker
has a fixed `user_id` and `email` for that.

Everything is deterministic: ids are uuid5 names, so the same on every machine. Seeding again
skips the makers that exist, so it is safe to repeat.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.makers import store
from services.makers.domain import Maker, MakerProfile
from services.makers.usecases import published_events
from shared.config import ServiceSettings
from shared.contracts.makers import MakerSnapshotEvent
from shared.db import UnitOfWork, create_pool
from shared.demo import demo_id


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
    natural_diamonds: bool = False
    accepts_commissions: bool = True

    @property
    def maker_id(self) -> uuid.UUID:
        return demo_id("maker", self.handle)

    @property
    def user_id(self) -> uuid.UUID:
        """The id of the maker's login account (the `sub` of its tokens)."""
        return demo_id("user", self.handle)

    @property
    def email(self) -> str:
        return f"{self.handle}@makers.example.com"


DEMO_MAKERS: tuple[DemoMaker, ...] = (
    DemoMaker(
        handle="hallam-and-hart",
        display_name="Hallam & Hart",
        legal_name="Hallam & Hart Ltd",
        region="South Yorkshire",
        bio="Two silversmiths in a Sheffield workshop that has made cutlery since 1890. We "
        "forge and raise recycled silver by hand, and every piece is hallmarked at the "
        "Sheffield Assay Office, a mile down the road.",
        techniques=("hand forging", "raising", "planishing", "soldering"),
        sponsor_mark="HH",
        assay_office="sheffield",
        claims=(("scs_recycled", "metal", "SCS-RC-04417"), ("recycled", "metal", None)),
    ),
    DemoMaker(
        handle="orla-nic-gabhann",
        display_name="Orla Nic Gabhann",
        legal_name="Orla Nic Gabhann",
        region="Edinburgh",
        bio="Knotwork and granulation in gold and silver, made in a small studio off the "
        "Royal Mile. I learned granulation in Florence and still fuse every grain by hand.",
        techniques=("granulation", "fusing", "hand piercing", "engraving"),
        sponsor_mark="ONG",
        assay_office="edinburgh",
        claims=(("fairmined", "metal", "FM-ECO-2291"),),
    ),
    DemoMaker(
        handle="marisol-vega-studio",
        display_name="Marisol Vega Studio",
        legal_name="Marisol Vega Studio Ltd",
        region="London",
        bio="Modern engagement and wedding rings in recycled gold and platinum, set with "
        "laboratory-grown diamonds. Designed and made in Hatton Garden.",
        techniques=("stone setting", "lost-wax casting", "CAD design", "polishing"),
        sponsor_mark="MVS",
        assay_office="london",
        claims=(("rjc_coc", "metal", "RJC-COC-0932"), ("recycled", "metal", None)),
    ),
    DemoMaker(
        handle="tide-and-tin",
        display_name="Tide & Tin",
        legal_name="Jenna Trelawny",
        region="Cornwall",
        bio="Sea-washed textures in recycled silver, from a shed above Porthleven harbour. "
        "Reticulated surfaces, moonstones and aquamarines the colour of a winter sea.",
        techniques=("reticulation", "stone setting", "oxidising", "sand casting"),
        sponsor_mark="TT",
        assay_office="birmingham",
        claims=(("recycled", "metal", None),),
    ),
    DemoMaker(
        handle="amara-okafor",
        display_name="Amara Okafor",
        legal_name="Amara Okafor",
        region="Birmingham",
        bio="Goldsmith in the Jewellery Quarter. Fairmined gold and natural sapphires and "
        "rubies from a cutter I have known for ten years.",
        techniques=("stone setting", "hand fabrication", "engraving", "enamelling"),
        sponsor_mark="AO",
        assay_office="birmingham",
        claims=(("fairmined", "metal", "FM-ECO-1187"), ("other", "stone", None)),
    ),
    DemoMaker(
        handle="wren-jewellery-co",
        display_name="Wren Jewellery Co.",
        legal_name="Wren Jewellery Company Ltd",
        region="Bristol",
        bio="Small stacking rings and everyday studs in silver and 9ct gold, made in small "
        "runs in our Bristol workshop and ready to ship.",
        techniques=("soldering", "hand finishing", "stamping"),
        sponsor_mark="WJC",
        assay_office="birmingham",
        claims=(("recycled", "metal", "SCS-RC-11820"),),
    ),
    DemoMaker(
        handle="ishaan-mehta-goldsmith",
        display_name="Ishaan Mehta Goldsmith",
        legal_name="Ishaan Mehta",
        region="Leicester",
        bio="22ct gold made the way my grandfather made it in Jaipur: filigree, kundan and "
        "hand-chased detail, for weddings and for every day.",
        techniques=("filigree", "chasing", "repoussé", "kundan setting"),
        sponsor_mark="IMG",
        assay_office="london",
        claims=(("fairtrade", "metal", "FT-GOLD-3321"),),
    ),
    DemoMaker(
        handle="bramble-and-moss",
        display_name="Bramble & Moss",
        legal_name="Harriet Kell",
        region="Cumbria",
        bio="Botanical jewellery cast from real leaves, twigs and seed heads collected on "
        "walks around Grasmere, finished with vitreous enamel.",
        techniques=("lost-wax casting", "enamelling", "oxidising"),
        sponsor_mark="BM",
        assay_office="sheffield",
        claims=(("recycled", "metal", None),),
    ),
    DemoMaker(
        handle="kasia-nowak",
        display_name="Kasia Nowak",
        legal_name="Katarzyna Nowak",
        region="Greater Manchester",
        bio="Geometric jewellery in platinum and palladium: clean planes, precise angles and "
        "laboratory-grown sapphires in colours nature rarely makes.",
        techniques=("CAD design", "hand fabrication", "stone setting", "brushing"),
        sponsor_mark="KN",
        assay_office="london",
        claims=(("recycled", "metal", "SCS-RC-20411"),),
    ),
    DemoMaker(
        handle="the-pearl-loft",
        display_name="The Pearl Loft",
        legal_name="Rosalind Achebe",
        region="Norfolk",
        bio="Freshwater and Akoya pearls, knotted on silk by hand, with clasps in silver and "
        "gold. A loft above a bookshop in Norwich.",
        techniques=("pearl knotting", "wire wrapping", "soldering"),
        sponsor_mark="TPL",
        assay_office="london",
        claims=(),
    ),
    DemoMaker(
        handle="fenwick-revival",
        display_name="Fenwick Revival",
        legal_name="Fenwick Revival Ltd",
        region="North Yorkshire",
        bio="Art deco and Edwardian designs made new in platinum and white gold, with natural "
        "diamonds bought under the System of Warranties.",
        techniques=("millegrain", "pierced gallery", "stone setting", "engraving"),
        sponsor_mark="FR",
        assay_office="sheffield",
        claims=(("rjc_coc", "stone", "RJC-COC-1178"),),
        natural_diamonds=True,
    ),
    DemoMaker(
        handle="saltmarsh-studio",
        display_name="Saltmarsh Studio",
        legal_name="Tom Okonjo",
        region="Suffolk",
        bio="Cufflinks, tie bars and brooches with enamelled estuary birds, made on the edge "
        "of the Alde marshes.",
        techniques=("champlevé enamelling", "hand piercing", "engraving"),
        sponsor_mark="SS",
        assay_office="london",
        claims=(("recycled", "metal", None),),
        accepts_commissions=False,
    ),
)


@dataclass
class SeededMakers:
    """What `seed_makers` did, and every demo maker's events (new or not) for the catalogue."""

    created: int
    already_there: int
    events: list[MakerSnapshotEvent]


async def seed_makers(settings: ServiceSettings, now: datetime) -> SeededMakers:
    """Create the demo makers that do not exist yet, as the makers service's seed role."""
    seeded = SeededMakers(created=0, already_there=0, events=[])
    pool = await create_pool(settings, role="seed")
    try:
        for maker in DEMO_MAKERS:
            record, events = _approved(maker, now)
            async with UnitOfWork(pool, "makers") as uow:
                if await store.get(uow.conn, maker.maker_id) is not None:
                    seeded.already_there += 1
                else:
                    await store.save(uow, record)
                    for event in events:
                        uow.emit(event, aggregate_id=maker.maker_id, aggregate_version=event.maker_version)
                    seeded.created += 1
            seeded.events.extend(events)
    finally:
        await pool.close()
    return seeded


def _profile(maker: DemoMaker, today: date) -> MakerProfile:
    return MakerProfile.model_validate(
        {
            "handle": maker.handle,
            "display_name": maker.display_name,
            "legal_name": maker.legal_name,
            "business_type": "company" if maker.legal_name.endswith("Ltd") else "individual",
            "bio": maker.bio,
            "location": {"country": "GB", "region": maker.region},
            "techniques": list(maker.techniques),
            "portfolio_urls": [f"https://portfolio.example.com/{maker.handle}"],
            "sourcing_claims": [
                {
                    "scheme": scheme,
                    "scope": scope,
                    "certificate_id": certificate,
                    "expires_on": (today + timedelta(days=540)).isoformat() if certificate else None,
                }
                for scheme, scope, certificate in maker.claims
            ],
            "hallmarking": {"sponsor_mark": maker.sponsor_mark, "assay_office": maker.assay_office},
            "works_precious_metals": True,
            "natural_diamonds": maker.natural_diamonds,
            "system_of_warranties_attested": maker.natural_diamonds,
            "accepts_commissions": maker.accepts_commissions,
            "terms_accepted": True,
        }
    )


def _approved(maker: DemoMaker, now: datetime) -> tuple[Maker, list[MakerSnapshotEvent]]:
    """The maker applied, submitted and was approved (by the seed's operator), with the events
    the makers service publishes for each step."""
    operator = demo_id("operator", "seed")
    record = Maker.create(
        maker.user_id, _profile(maker, now.date()), now - timedelta(days=90), maker_id=maker.maker_id
    )
    record.submit(maker.user_id, now - timedelta(days=89))
    record.review("approve", "Demo maker", operator, now - timedelta(days=88))
    # A claim shows a badge only once an operator has looked at its evidence: the seed's operator
    # verified each demo certificate. Self-declared claims stay self-declared.
    for scheme in dict.fromkeys(c.scheme for c in record.profile.sourcing_claims if c.has_evidence):
        record.review_claim(
            scheme, "verified", "Demo certificate checked", operator, now - timedelta(days=87)
        )
    return record, published_events(record, now.date())
