"""Hallmarking: the Hallmarking Act 1973 as it applies to a listing (docs/domain.md).

A piece described as gold, silver, platinum or palladium must be hallmarked once its weight of
that metal reaches the exemption weight, and each precious metal has its legal finenesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field

from services.catalogue.domain.vocabulary import (
    AssayOffice,
    Colour,
    Grams,
    HallmarkStatus,
    MetalType,
    SponsorMark,
    ValueObject,
)
from shared.errors import Violation


@dataclass(frozen=True)
class PreciousMetalRule:
    exemption_weight_g: Decimal
    legal_finenesses: frozenset[int]


PRECIOUS_METAL_RULES: dict[MetalType, PreciousMetalRule] = {
    MetalType.GOLD: PreciousMetalRule(Decimal("1.0"), frozenset({375, 585, 750, 916, 990, 999})),
    MetalType.SILVER: PreciousMetalRule(Decimal("7.78"), frozenset({800, 925, 958, 999})),
    MetalType.PLATINUM: PreciousMetalRule(Decimal("0.5"), frozenset({850, 900, 950, 999})),
    MetalType.PALLADIUM: PreciousMetalRule(Decimal("1.0"), frozenset({500, 950, 999})),
}

_FINENESS_NAMES: dict[tuple[MetalType, int], str] = {
    (MetalType.GOLD, 375): "9ct",
    (MetalType.GOLD, 585): "14ct",
    (MetalType.GOLD, 750): "18ct",
    (MetalType.GOLD, 916): "22ct",
    (MetalType.SILVER, 925): "sterling",
    (MetalType.SILVER, 958): "Britannia",
}


class Metal(ValueObject):
    metal: MetalType
    fineness: int | None = Field(default=None, ge=0, le=1000, strict=True, description="per mille")
    colour: Colour | None = None
    weight_g: Grams
    recycled: bool = Field(default=False, strict=True)

    @property
    def is_precious(self) -> bool:
        return self.metal in PRECIOUS_METAL_RULES


class Hallmark(ValueObject):
    status: HallmarkStatus
    sponsor_mark: SponsorMark | None = None
    assay_office: AssayOffice | None = None


def fineness_name(metal: Metal) -> str | None:
    """The trade name of a fineness ("18ct", "sterling"), where it has one."""
    return _FINENESS_NAMES.get((metal.metal, metal.fineness or 0))


def precious_metal_weights(metals: Sequence[Metal]) -> dict[MetalType, Decimal]:
    """Total weight of each precious metal in the piece. The Act looks at the piece's weight of
    a metal, so two gold parts of 0.6 g make 1.2 g of gold."""
    weights: dict[MetalType, Decimal] = {}
    for metal in metals:
        if metal.is_precious:
            weights[metal.metal] = weights.get(metal.metal, Decimal(0)) + metal.weight_g
    return weights


def _metals_needing_hallmark(metals: Sequence[Metal]) -> list[tuple[MetalType, Decimal]]:
    return [
        (metal, weight)
        for metal, weight in precious_metal_weights(metals).items()
        if weight >= PRECIOUS_METAL_RULES[metal].exemption_weight_g
    ]


def metal_violations(metals: Sequence[Metal], hallmark: Hallmark | None) -> Iterable[Violation]:
    """Finenesses that are not legal for their metal, and a hallmark status the metals' weights
    do not allow."""
    for index, metal in enumerate(metals):
        rule = PRECIOUS_METAL_RULES.get(metal.metal)
        if rule is not None and metal.fineness not in rule.legal_finenesses:
            legal = ", ".join(str(f) for f in sorted(rule.legal_finenesses))
            yield Violation(
                ("metals", index, "fineness"),
                f"{metal.metal} must be one of the legal finenesses {legal}",
                "fineness_not_legal",
            )
    yield from _hallmark_violations(metals, hallmark)


def _hallmark_violations(metals: Sequence[Metal], hallmark: Hallmark | None) -> Iterable[Violation]:
    has_precious = any(metal.is_precious for metal in metals)
    status_loc = ("hallmark", "status")

    if not has_precious:
        if hallmark is not None and hallmark.status is not HallmarkStatus.NOT_APPLICABLE:
            yield Violation(
                status_loc,
                f"No precious metal is described, so the status cannot be {hallmark.status}",
                "hallmark_status_mismatch",
            )
        return

    over_exemption = _metals_needing_hallmark(metals)
    if hallmark is not None and hallmark.status is HallmarkStatus.HALLMARKED:
        if hallmark.sponsor_mark is None:
            yield Violation(
                ("hallmark", "sponsor_mark"),
                "A hallmark needs the sponsor's mark (2-5 letters)",
                "hallmark_required",
            )
        if hallmark.assay_office is None:
            yield Violation(
                ("hallmark", "assay_office"),
                "A hallmark needs the assay office that struck it",
                "hallmark_required",
            )
        return

    for metal, weight in over_exemption:
        exemption = PRECIOUS_METAL_RULES[metal].exemption_weight_g
        yield Violation(
            status_loc if hallmark is not None else ("hallmark",),
            f"{weight} g of {metal} is at or over the {exemption} g exemption weight, so the "
            "piece must be hallmarked",
            "hallmark_required",
        )
    if hallmark is None and not over_exemption:
        yield Violation(
            ("hallmark",),
            "A precious-metal piece must state its hallmark status (hallmarked or exempt_under_weight)",
            "hallmark_status_mismatch",
        )
    if hallmark is not None and hallmark.status is HallmarkStatus.NOT_APPLICABLE:
        yield Violation(
            status_loc,
            "not_applicable is only for pieces with no precious metal",
            "hallmark_status_mismatch",
        )
