"""What a listing page must tell a customer (docs/domain.md): the Dealer's Notice and hallmark,
lab-grown, imitation and treated stones, and which sourcing claims are shown and how they are
backed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from services.catalogue.domain.fields import (
    Disclosure,
    ListingDraft,
    MakerClaim,
    ShownClaim,
    Stone,
    current_claims,
)
from services.catalogue.domain.hallmarking import (
    PRECIOUS_METAL_RULES,
    Metal,
    fineness_name,
    precious_metal_weights,
)
from services.catalogue.domain.vocabulary import (
    HallmarkStatus,
    SourcingScheme,
    StoneOrigin,
    StoneTreatment,
)

DEALERS_NOTICE_TEXT = (
    "Dealer's Notice (British Hallmarking Council): under the Hallmarking Act 1973 an article "
    "described as platinum, gold, palladium or silver must be hallmarked by a UK Assay Office "
    "unless its precious metal weighs less than the exemption weight (gold 1 g, silver 7.78 g, "
    "platinum 0.5 g, palladium 1 g). An approved UK hallmark has three compulsory marks: the "
    "sponsor's mark (who made or submitted the article), the millesimal fineness mark (the "
    "precious metal content in parts per thousand) and the Assay Office mark (London: leopard's "
    "head; Birmingham: anchor; Sheffield: rose; Edinburgh: castle). Traditional fineness "
    "symbols and a date letter are optional. Hallmarks struck under the International "
    "Hallmarking Convention (the Common Control Mark) are also recognised."
)

_TREATMENT_NAMES = {
    StoneTreatment.HEATING: "heating",
    StoneTreatment.FRACTURE_FILLING: "fracture filling",
    StoneTreatment.COATING: "coating",
    StoneTreatment.IRRADIATION: "irradiation",
    StoneTreatment.HPHT: "high-pressure high-temperature (HPHT) treatment",
    StoneTreatment.LASER_DRILLING: "laser drilling",
}

_SCHEME_NAMES = {
    SourcingScheme.RECYCLED: "Recycled",
    SourcingScheme.FAIRTRADE: "Fairtrade",
    SourcingScheme.FAIRMINED: "Fairmined",
    SourcingScheme.RJC_COC: "Responsible Jewellery Council chain of custody",
    SourcingScheme.SCS_RECYCLED: "SCS recycled content",
    SourcingScheme.OTHER: "Other sourcing claim",
}


def _fineness_text(metal: Metal) -> str:
    name = fineness_name(metal)
    return f"{metal.metal} {metal.fineness}" + (f" ({name})" if name else "")


def _stone_quantity(stone: Stone) -> str:
    parts = [f"{stone.count} stone{'s' if stone.count > 1 else ''}"]
    if stone.carat is not None:
        parts.append(f"{stone.carat:.2f} ct total")
    return ", ".join(parts)


def _hallmark_disclosures(listing: ListingDraft) -> Iterable[Disclosure]:
    precious = [metal for metal in listing.metals if metal.is_precious]
    hallmark = listing.hallmark
    if not precious:
        return
    yield Disclosure(code="dealers_notice", text=DEALERS_NOTICE_TEXT)
    if hallmark is None:
        return
    if hallmark.status is HallmarkStatus.HALLMARKED:
        parts = []
        if hallmark.assay_office is not None:
            parts.append(f"Hallmarked at the {hallmark.assay_office.title()} Assay Office")
        if hallmark.sponsor_mark is not None:
            parts.append(f"sponsor's mark {hallmark.sponsor_mark}")
        finenesses = ", ".join(dict.fromkeys(_fineness_text(m) for m in precious if m.fineness is not None))
        if finenesses:
            parts.append(f"fineness {finenesses}")
        yield Disclosure(code="hallmark", text="; ".join(parts) + ".")
    elif hallmark.status is HallmarkStatus.EXEMPT_UNDER_WEIGHT:
        limits = ", ".join(
            f"{metal} under {PRECIOUS_METAL_RULES[metal].exemption_weight_g} g"
            for metal in precious_metal_weights(listing.metals)
        )
        yield Disclosure(
            code="hallmark_exempt",
            text=f"Not hallmarked: its precious metal is under the exemption weight ({limits}).",
        )


def _stone_disclosures(listing: ListingDraft) -> Iterable[Disclosure]:
    for stone in listing.stones:
        if stone.origin is StoneOrigin.LAB_GROWN:
            yield Disclosure(
                code="lab_grown_stone",
                text=f"Laboratory-grown {stone.type} ({_stone_quantity(stone)}).",
            )
        elif stone.origin is StoneOrigin.IMITATION:
            yield Disclosure(
                code="imitation_stone",
                text=f"Imitation stone: {stone.type} ({_stone_quantity(stone)}), not a natural gemstone.",
            )
        if stone.treatments:
            treatments = ", ".join(_TREATMENT_NAMES[t] for t in stone.treatments)
            yield Disclosure(code="stone_treatment", text=f"The {stone.type} has been treated: {treatments}.")


def shown_sourcing_claims(
    listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date
) -> list[ShownClaim]:
    """The listing's claims the public sees: only those the maker holds today."""
    held = current_claims(maker_claims, today)
    return [
        ShownClaim(scheme=scheme, basis="evidenced" if held[scheme] else "self_declared")
        for scheme in listing.sourcing_claims
        if scheme in held
    ]


def evidenced_schemes(maker_claims: Sequence[MakerClaim], today: date) -> list[SourcingScheme]:
    """The schemes a maker holds today with evidence: the only ones shown as badges."""
    return sorted(scheme for scheme, evidenced in current_claims(maker_claims, today).items() if evidenced)


def disclosures(listing: ListingDraft, maker_claims: Sequence[MakerClaim], today: date) -> list[Disclosure]:
    """What the listing page must tell a customer.

    Codes: dealers_notice, hallmark, hallmark_exempt, lab_grown_stone, imitation_stone,
    stone_treatment (one per treated stone), self_declared_claim (one per claim shown).
    """
    claim_disclosures = [
        Disclosure(
            code="self_declared_claim",
            text=f"{_SCHEME_NAMES[claim.scheme]}: self-declared by the maker, not independently evidenced.",
        )
        for claim in shown_sourcing_claims(listing, maker_claims, today)
        if claim.basis == "self_declared"
    ]
    return [*_hallmark_disclosures(listing), *_stone_disclosures(listing), *claim_disclosures]
