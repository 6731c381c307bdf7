"""A maker's profile: the fields a maker edits, their validation, and the PATCH that changes them.

Every rule here is a field rule (pydantic); what must be filled in before an application can
be submitted is the checklist's business (checklist.py). See docs/domain.md.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from shared.countries import CountryCode
from shared.text import WebUrl, multi_line, single_line

# --- text and URLs ------------------------------------------------------------------------------

HANDLE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SPONSOR_MARK_PATTERN = r"^[A-Z]{2,5}$"
NOTE_MAX_LENGTH = 2000

# The validation context of records read back from storage: rules added since a record was
# written (https-only evidence URLs) are checked on what makers send, not on what is stored.
STORED: dict[str, bool] = {"stored": True}

Handle = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=HANDLE_PATTERN)]
DisplayName = Annotated[str, single_line(1, 80)]
LegalName = Annotated[str, single_line(1, 200)]
Bio = Annotated[str, multi_line(0, 5000)]
Region = Annotated[str, single_line(1, 100)]
Technique = Annotated[str, single_line(1, 60)]
PartnerText = Annotated[str, single_line(1, 120)]
Supplier = Annotated[str, single_line(1, 200)]
CertificateId = Annotated[str, single_line(1, 100)]
Url = WebUrl
SponsorMark = Annotated[str, StringConstraints(pattern=SPONSOR_MARK_PATTERN)]

# HMRC's check on a UK VAT registration number: the first nine digits weighted 8, 7, 6, 5, 4, 3,
# 2, 10, 1 sum to a multiple of 97 (numbers issued before 2010), or to 42 more than one (the
# numbers issued since, whose check digits were computed with 55 added).
_VAT_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 1)
_VAT_REMAINDERS = frozenset({0, 42})


def normalise_vat_number(value: str) -> str:
    """A UK VAT number as `GB` and its 9 digits (12 for a branch of a VAT group), spaces removed
    and letters upper-cased; anything else, or digits whose HMRC check fails, is
    `vat_number_invalid`."""
    compact = "".join(value.split()).upper()
    digits = compact[2:]
    if not (compact.startswith("GB") and digits.isascii() and digits.isdigit() and len(digits) in (9, 12)):
        raise PydanticCustomError(
            "vat_number_invalid", "A UK VAT number is GB and 9 digits (12 for a branch), e.g. GB999999973"
        )
    if sum(int(d) * w for d, w in zip(digits, _VAT_WEIGHTS, strict=False)) % 97 not in _VAT_REMAINDERS:
        raise PydanticCustomError("vat_number_invalid", "This is not a valid UK VAT number: check the digits")
    return f"GB{digits}"


VatNumber = Annotated[str, StringConstraints(max_length=40), AfterValidator(normalise_vat_number)]
# Attestations must be an explicit JSON true, never a coerced "yes" or 1.
Attestation = Annotated[bool, Strict()]

MAX_TECHNIQUES = 20
MAX_PRODUCTION_PARTNERS = 20
MAX_PORTFOLIO_URLS = 10
MAX_SOURCING_CLAIMS = 20

SourcingScheme = Literal["recycled", "fairtrade", "fairmined", "rjc_coc", "scs_recycled", "other"]
SourcingScope = Literal["metal", "stone"]
# self_declared: no evidence given; pending_verification: evidence given, not yet looked at;
# evidenced: an operator verified the evidence (the only status shown as a badge); rejected: an
# operator looked at the evidence and refused it.
EvidenceStatus = Literal["self_declared", "pending_verification", "evidenced", "rejected"]
AssayOffice = Literal["london", "birmingham", "sheffield", "edinburgh"]
BusinessType = Literal["individual", "company"]

# --- value objects -------------------------------------------------------------------------------


class ValueObject(BaseModel):
    """Immutable, and strict about unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(ValueObject):
    country: CountryCode
    region: Region | None = None


class ProductionPartner(ValueObject):
    """Someone outside the maker's workshop who does part of the work (a caster, a setter)."""

    name: PartnerText
    role: PartnerText


class SourcingClaim(ValueObject):
    scheme: SourcingScheme
    scope: SourcingScope
    supplier: Supplier | None = None
    certificate_id: CertificateId | None = None
    evidence_url: Url | None = None
    expires_on: date | None = None

    @field_validator("evidence_url")
    @classmethod
    def _evidence_url_is_https(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Evidence must travel over https. Records stored before this rule load as they are
        (the store validates with the context `{"stored": True}`); every claim a maker sends is
        checked."""
        stored = isinstance(info.context, dict) and info.context.get("stored") is True  # see STORED
        if value is not None and not stored and not value.lower().startswith("https://"):
            raise PydanticCustomError("evidence_url_not_https", "Evidence URLs must use https")
        return value

    @property
    def has_evidence(self) -> bool:
        """A certificate id or an evidence URL was given: an operator must look at it before the
        claim is `evidenced`. A typed string alone is not evidence."""
        return bool(self.certificate_id or self.evidence_url)

    def is_expired(self, today: date) -> bool:
        """A claim is good through its expiry date and gone the day after."""
        return self.expires_on is not None and self.expires_on < today


class Hallmarking(ValueObject):
    sponsor_mark: SponsorMark
    assay_office: AssayOffice


class MakerProfile(ValueObject):
    """Every field a maker edits. Only `handle` and `display_name` are needed to start a draft;
    the checklist says what is still missing before the application can be submitted."""

    handle: Handle
    display_name: DisplayName
    legal_name: LegalName | None = None
    # Given only by a VAT-registered maker: their prices include VAT, shown on their invoices.
    vat_number: VatNumber | None = None
    business_type: BusinessType = "individual"
    bio: Bio = ""
    location: Location | None = None
    techniques: list[Technique] = Field(default_factory=list, max_length=MAX_TECHNIQUES)
    production_partners: list[ProductionPartner] = Field(
        default_factory=list, max_length=MAX_PRODUCTION_PARTNERS
    )
    portfolio_urls: list[Url] = Field(default_factory=list, max_length=MAX_PORTFOLIO_URLS)
    sourcing_claims: list[SourcingClaim] = Field(default_factory=list, max_length=MAX_SOURCING_CLAIMS)
    hallmarking: Hallmarking | None = None
    works_precious_metals: Attestation = False
    natural_diamonds: Attestation = False
    system_of_warranties_attested: Attestation = False
    accepts_commissions: Attestation = False
    terms_accepted: Attestation = False

    def apply(self, patch: MakerProfilePatch) -> MakerProfile:
        """A new profile with the fields the patch sent; the others keep their values."""
        sent = {name: getattr(patch, name) for name in patch.model_fields_set}
        return MakerProfile.model_validate({**dict(self), **sent})


# Fields whose default is None may be cleared by sending null; any other field may not.
_CLEARABLE_FIELDS = frozenset(
    name for name, info in MakerProfile.model_fields.items() if info.default is None
)


class MakerProfilePatch(ValueObject):
    """A PATCH body: only the fields sent change. Sending null clears an optional field."""

    handle: Handle | None = None
    display_name: DisplayName | None = None
    legal_name: LegalName | None = None
    vat_number: VatNumber | None = None
    business_type: BusinessType | None = None
    bio: Bio | None = None
    location: Location | None = None
    techniques: list[Technique] | None = Field(default=None, max_length=MAX_TECHNIQUES)
    production_partners: list[ProductionPartner] | None = Field(
        default=None, max_length=MAX_PRODUCTION_PARTNERS
    )
    portfolio_urls: list[Url] | None = Field(default=None, max_length=MAX_PORTFOLIO_URLS)
    sourcing_claims: list[SourcingClaim] | None = Field(default=None, max_length=MAX_SOURCING_CLAIMS)
    hallmarking: Hallmarking | None = None
    works_precious_metals: Attestation | None = None
    natural_diamonds: Attestation | None = None
    system_of_warranties_attested: Attestation | None = None
    accepts_commissions: Attestation | None = None
    terms_accepted: Attestation | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null_for_required_fields(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in _CLEARABLE_FIELDS:
            raise PydanticCustomError(
                "null_not_allowed", "May not be null; leave the field out to keep its value"
            )
        return value
