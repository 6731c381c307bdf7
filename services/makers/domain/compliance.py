"""What an approved maker keeps current on their record themselves: their registered sponsor mark,
whether they work precious metals, whether they sell natural diamonds, their System of
Warranties attestation (docs/domain.md) and their VAT number.

The rest of the profile is settled by the review; these follow the workshop (a new sponsor
mark, a stopped line of work, a VAT registration), so they change without a new application. A
change must still meet the checklist's blocking items about them, and is written in the maker's
history in words.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from services.makers.domain.profile import (
    Attestation,
    Hallmarking,
    MakerProfile,
    MakerProfilePatch,
    ValueObject,
    VatNumber,
)

# The checklist's blocking items these fields answer to.
COMPLIANCE_ITEMS = ("sponsor_mark", "system_of_warranties")


class ComplianceChange(ValueObject):
    """A change of the maker's compliance fields: only the fields sent change; `hallmarking: null`
    withdraws the sponsor mark (allowed only for a maker who no longer works precious metals);
    `vat_number: null` says the maker is no longer VAT-registered."""

    hallmarking: Hallmarking | None = None
    vat_number: VatNumber | None = None
    works_precious_metals: Attestation | None = None
    natural_diamonds: Attestation | None = None
    system_of_warranties_attested: Attestation | None = None

    @field_validator(
        "works_precious_metals", "natural_diamonds", "system_of_warranties_attested", mode="before"
    )
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            raise PydanticCustomError(
                "null_not_allowed", "May not be null; leave the field out to keep its value"
            )
        return value

    def as_patch(self) -> MakerProfilePatch:
        return MakerProfilePatch.model_validate({name: getattr(self, name) for name in self.model_fields_set})


def _mark(profile: MakerProfile) -> str:
    hallmarking = profile.hallmarking
    if hallmarking is None:
        return "none"
    return f"{hallmarking.sponsor_mark} ({hallmarking.assay_office.capitalize()})"


def describe_change(before: MakerProfile, after: MakerProfile) -> str:
    """The change in words, for the maker's history (what it was and what it became)."""
    parts: list[str] = []
    if before.hallmarking != after.hallmarking:
        parts.append(f"sponsor's mark {_mark(before)} → {_mark(after)}")
    if before.works_precious_metals != after.works_precious_metals:
        works = after.works_precious_metals
        parts.append("works precious metals" if works else "no longer works precious metals")
    if before.natural_diamonds != after.natural_diamonds:
        sells = after.natural_diamonds
        parts.append("sells natural diamonds" if sells else "no longer sells natural diamonds")
    if before.system_of_warranties_attested != after.system_of_warranties_attested:
        parts.append(
            "attested to the System of Warranties"
            if after.system_of_warranties_attested
            else "withdrew the System of Warranties attestation"
        )
    if before.vat_number != after.vat_number:
        parts.append(f"VAT number {before.vat_number or 'none'} → {after.vat_number or 'none'}")
    return "Record changed: " + "; ".join(parts)
