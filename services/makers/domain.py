"""Makers: a jeweller's application, its review and the approved maker's lifecycle.

Pure rules, no I/O: the caller passes in every time and date, loads and saves the aggregate, and
publishes the events it records in `Maker.pending_events`.

States: draft -> submitted -> approved | rejected | changes_requested,
changes_requested -> submitted, approved <-> suspended. `rejected` is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from shared.errors import Violation, rules_violated, state_conflict
from shared.text import WebUrl, has_control_characters, multi_line, single_line

# --- text, URLs and countries ------------------------------------------------------------------

_COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)


def _country_code(value: str) -> str:
    if value not in _COUNTRY_CODES:
        raise PydanticCustomError(
            "invalid_country", "Must be an ISO 3166-1 alpha-2 country code, e.g. GB"
        )
    return value


HANDLE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SPONSOR_MARK_PATTERN = r"^[A-Z]{2,5}$"
NOTE_MAX_LENGTH = 2000

Handle = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=HANDLE_PATTERN)]
DisplayName = single_line(1, 80)
LegalName = single_line(1, 200)
Bio = multi_line(0, 5000)
Region = single_line(1, 100)
Technique = single_line(1, 60)
PartnerText = single_line(1, 120)
Supplier = single_line(1, 200)
CertificateId = single_line(1, 100)
Url = WebUrl
CountryCode = Annotated[str, StringConstraints(min_length=2, max_length=2), AfterValidator(_country_code)]
SponsorMark = Annotated[str, StringConstraints(pattern=SPONSOR_MARK_PATTERN)]
# Attestations must be an explicit JSON true, never a coerced "yes" or 1.
Attestation = Annotated[bool, Strict()]

MAX_TECHNIQUES = 20
MAX_PRODUCTION_PARTNERS = 20
MAX_PORTFOLIO_URLS = 10
MAX_SOURCING_CLAIMS = 20

SourcingScheme = Literal["recycled", "fairtrade", "fairmined", "rjc_coc", "scs_recycled", "other"]
SourcingScope = Literal["metal", "stone"]
EvidenceStatus = Literal["evidenced", "self_declared"]
AssayOffice = Literal["london", "birmingham", "sheffield", "edinburgh"]
BusinessType = Literal["individual", "company"]

# --- value objects -------------------------------------------------------------------------------


class _ValueObject(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(_ValueObject):
    country: CountryCode
    region: Region | None = None


class ProductionPartner(_ValueObject):
    """Someone outside the maker's workshop who does part of the work (a caster, a setter)."""

    name: PartnerText
    role: PartnerText


class SourcingClaim(_ValueObject):
    scheme: SourcingScheme
    scope: SourcingScope
    supplier: Supplier | None = None
    certificate_id: CertificateId | None = None
    evidence_url: Url | None = None
    expires_on: date | None = None

    @property
    def evidence_status(self) -> EvidenceStatus:
        return "evidenced" if self.certificate_id or self.evidence_url else "self_declared"

    def is_expired(self, today: date) -> bool:
        """A claim is good through its expiry date and gone the day after."""
        return self.expires_on is not None and self.expires_on < today


class Hallmarking(_ValueObject):
    sponsor_mark: SponsorMark
    assay_office: AssayOffice


class MakerProfile(_ValueObject):
    """Every field a maker edits. Only `handle` and `display_name` are needed to start a draft;
    the checklist says what is still missing before the application can be submitted."""

    handle: Handle
    display_name: DisplayName
    legal_name: LegalName | None = None
    business_type: BusinessType = "individual"
    bio: Bio = ""
    location: Location | None = None
    techniques: list[Technique] = Field(default_factory=list, max_length=MAX_TECHNIQUES)
    production_partners: list[ProductionPartner] = Field(
        default_factory=list, max_length=MAX_PRODUCTION_PARTNERS
    )
    portfolio_urls: list[Url] = Field(default_factory=list, max_length=MAX_PORTFOLIO_URLS)
    sourcing_claims: list[SourcingClaim] = Field(
        default_factory=list, max_length=MAX_SOURCING_CLAIMS
    )
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


class MakerProfilePatch(_ValueObject):
    """A PATCH body: only the fields sent change. Sending null clears an optional field."""

    handle: Handle | None = None
    display_name: DisplayName | None = None
    legal_name: LegalName | None = None
    business_type: BusinessType | None = None
    bio: Bio | None = None
    location: Location | None = None
    techniques: list[Technique] | None = Field(default=None, max_length=MAX_TECHNIQUES)
    production_partners: list[ProductionPartner] | None = Field(
        default=None, max_length=MAX_PRODUCTION_PARTNERS
    )
    portfolio_urls: list[Url] | None = Field(default=None, max_length=MAX_PORTFOLIO_URLS)
    sourcing_claims: list[SourcingClaim] | None = Field(
        default=None, max_length=MAX_SOURCING_CLAIMS
    )
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


# --- the checklist -------------------------------------------------------------------------------

ChecklistStatus = Literal["met", "unmet", "not_applicable"]


class ChecklistItem(_ValueObject):
    item: str
    status: ChecklistStatus
    blocking: bool

    @property
    def blocks_submission(self) -> bool:
        return self.blocking and self.status == "unmet"


_BLOCKING_ITEM_MESSAGES = {
    "terms_accepted": "The marketplace terms must be accepted",
    "portfolio_url": "At least one portfolio URL is required",
    "sponsor_mark": (
        "A maker who works precious metals needs a registered sponsor mark and assay office"
    ),
    "system_of_warranties": (
        "A maker who sells natural diamonds must attest to the System of Warranties"
    ),
}


def _required_item(item: str, met: bool, required: bool) -> ChecklistItem:
    if met:
        status: ChecklistStatus = "met"
    else:
        status = "unmet" if required else "not_applicable"
    return ChecklistItem(item=item, status=status, blocking=required)


def _checklist(profile: MakerProfile) -> list[ChecklistItem]:
    claims = profile.sourcing_claims
    if not claims:
        sourcing_status: ChecklistStatus = "not_applicable"
    elif all(claim.evidence_status == "evidenced" for claim in claims):
        sourcing_status = "met"
    else:
        sourcing_status = "unmet"
    return [
        _required_item("terms_accepted", profile.terms_accepted, required=True),
        _required_item("portfolio_url", bool(profile.portfolio_urls), required=True),
        _required_item(
            "sponsor_mark", profile.hallmarking is not None, profile.works_precious_metals
        ),
        _required_item(
            "system_of_warranties",
            profile.system_of_warranties_attested,
            profile.natural_diamonds,
        ),
        # Advice only: self-declared claims are allowed, they are just shown as such.
        ChecklistItem(item="sourcing_evidence", status=sourcing_status, blocking=False),
    ]


# --- history, events and views --------------------------------------------------------------------


class MakerStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    SUSPENDED = "suspended"


class HistoryEntry(_ValueObject):
    """One status change. Serialised as {from, to, at, by, note}; `from` is null at creation."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    from_status: MakerStatus | None = Field(alias="from")
    to_status: MakerStatus = Field(alias="to")
    at: AwareDatetime
    by: UUID
    note: str | None = None


MakerEventName = Literal[
    "created",
    "profile_updated",
    "submitted",
    "approved",
    "rejected",
    "changes_requested",
    "suspended",
    "reinstated",
]


@dataclass(frozen=True)
class MakerEvent:
    """Something that happened to a maker; `status` and `version` are as it left the maker."""

    name: MakerEventName
    maker_id: UUID
    user_id: UUID
    status: MakerStatus
    version: int
    at: datetime
    by: UUID
    note: str | None = None


class PublicSourcingClaim(_ValueObject):
    """What a customer sees of a claim. Certificate ids and evidence URLs are the maker's
    evidence documents and are never shown."""

    scheme: SourcingScheme
    scope: SourcingScope
    expires_on: date | None
    evidenced: bool
    status: EvidenceStatus


class OwnerSourcingClaim(SourcingClaim):
    evidenced: bool
    status: EvidenceStatus
    expired: bool


class PublicMakerView(_ValueObject):
    id: UUID
    handle: str
    display_name: str
    bio: str
    location: Location | None
    techniques: list[str]
    sourcing_claims: list[PublicSourcingClaim]
    hallmarking: Hallmarking | None
    joined_at: datetime | None
    accepts_commissions: bool


class OwnerMakerView(MakerProfile):
    """The whole record, for its owner and for operators."""

    id: UUID
    user_id: UUID
    status: MakerStatus
    sourcing_claims: list[OwnerSourcingClaim]
    checklist: list[ChecklistItem]
    history: list[HistoryEntry]
    joined_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class CatalogueSourcingClaim(_ValueObject):
    scheme: SourcingScheme
    scope: SourcingScope
    evidenced: bool
    expires_on: date | None


class CatalogueSnapshot(_ValueObject):
    """What the catalogue keeps about a maker in its read model. Claims already expired are
    left out; the others carry their expiry so the catalogue can drop them when it passes."""

    maker_id: UUID
    user_id: UUID
    version: int
    status: MakerStatus
    handle: str
    display_name: str
    sourcing_claims: list[CatalogueSourcingClaim]
    hallmarking: Hallmarking | None
    accepts_commissions: bool
    works_precious_metals: bool
    natural_diamonds: bool


# --- the aggregate -------------------------------------------------------------------------------

ReviewDecision = Literal["approve", "reject", "request_changes"]

_REVIEW_OUTCOMES: dict[str, tuple[MakerStatus, MakerEventName]] = {
    "approve": (MakerStatus.APPROVED, "approved"),
    "reject": (MakerStatus.REJECTED, "rejected"),
    "request_changes": (MakerStatus.CHANGES_REQUESTED, "changes_requested"),
}

_ALLOWED_FROM: dict[str, frozenset[MakerStatus]] = {
    "edit": frozenset({MakerStatus.DRAFT, MakerStatus.CHANGES_REQUESTED}),
    "submit": frozenset({MakerStatus.DRAFT, MakerStatus.CHANGES_REQUESTED}),
    "review": frozenset({MakerStatus.SUBMITTED}),
    "suspend": frozenset({MakerStatus.APPROVED}),
    "reinstate": frozenset({MakerStatus.SUSPENDED}),
}


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times passed to the makers domain must be timezone-aware")
    return moment.astimezone(UTC)


def _clean_note(note: str | None, field: str, *, required: bool) -> str | None:
    text = (note or "").strip()
    violations = []
    if required and not text:
        violations.append(Violation((field,), f"A {field} is required", f"{field}_required"))
    if len(text) > NOTE_MAX_LENGTH:
        violations.append(
            Violation((field,), f"At most {NOTE_MAX_LENGTH} characters", "string_too_long")
        )
    if has_control_characters(text, multi_line=True):
        violations.append(
            Violation((field,), "Must not contain control characters", "control_character")
        )
    if violations:
        raise rules_violated(violations)
    return text or None


class Maker:
    """A maker record. Commands check the current state, change the record, bump `version`
    (for the store's optimistic lock) and append a `MakerEvent` to `pending_events`."""

    def __init__(
        self,
        *,
        id: UUID,
        user_id: UUID,
        status: MakerStatus,
        profile: MakerProfile,
        history: list[HistoryEntry],
        created_at: datetime,
        updated_at: datetime,
        version: int,
    ) -> None:
        self.id = id
        self.user_id = user_id
        self.status = MakerStatus(status)
        self.profile = profile
        self.history = list(history)
        self.created_at = created_at
        self.updated_at = updated_at
        self.version = version
        self.pending_events: list[MakerEvent] = []

    @classmethod
    def create(
        cls, user_id: UUID, profile: MakerProfile, now: datetime, maker_id: UUID | None = None
    ) -> Maker:
        now = _utc(now)
        maker = cls(
            id=maker_id or uuid4(),
            user_id=user_id,
            status=MakerStatus.DRAFT,
            profile=profile,
            history=[
                HistoryEntry(from_status=None, to_status=MakerStatus.DRAFT, at=now, by=user_id)
            ],
            created_at=now,
            updated_at=now,
            version=0,
        )
        maker._record("created", by=user_id, now=now, note=None)
        return maker

    # --- commands ---

    def edit(self, patch: MakerProfilePatch, by: UUID, now: datetime) -> None:
        """Apply a PATCH. Sending values equal to the current ones changes nothing and records
        no event."""
        self._require_state("edit")
        profile = self.profile.apply(patch)
        if profile == self.profile:
            return
        self.profile = profile
        self._record("profile_updated", by=by, now=_utc(now), note=None)

    def submit(self, by: UUID, now: datetime) -> None:
        self._require_state("submit")
        self._require_checklist_met()
        self._move_to(MakerStatus.SUBMITTED, "submitted", by=by, now=_utc(now), note=None)

    def review(self, decision: ReviewDecision, note: str | None, by: UUID, now: datetime) -> None:
        """Approve, reject or request changes. A rejection or a request for changes must say
        why, since the maker has nothing else to act on."""
        if decision not in _REVIEW_OUTCOMES:
            raise rules_violated([
                Violation(
                    ("decision",),
                    "Must be one of: " + ", ".join(_REVIEW_OUTCOMES),
                    "invalid_decision",
                )
            ])
        self._require_state("review")
        note = _clean_note(note, "note", required=decision != "approve")
        if decision == "approve":
            self._require_checklist_met()
        status, event = _REVIEW_OUTCOMES[decision]
        self._move_to(status, event, by=by, now=_utc(now), note=note)

    def suspend(self, reason: str, by: UUID, now: datetime) -> None:
        self._require_state("suspend")
        reason = _clean_note(reason, "reason", required=True)
        self._move_to(MakerStatus.SUSPENDED, "suspended", by=by, now=_utc(now), note=reason)

    def reinstate(self, note: str | None, by: UUID, now: datetime) -> None:
        self._require_state("reinstate")
        note = _clean_note(note, "note", required=False)
        self._move_to(MakerStatus.APPROVED, "reinstated", by=by, now=_utc(now), note=note)

    def pull_events(self) -> list[MakerEvent]:
        """Hand the recorded events to the caller (to write to the outbox) and forget them."""
        events, self.pending_events = self.pending_events, []
        return events

    # --- derived ---

    def checklist(self) -> list[ChecklistItem]:
        return _checklist(self.profile)

    @property
    def joined_at(self) -> datetime | None:
        """When the maker was first approved."""
        return next(
            (entry.at for entry in self.history if entry.to_status == MakerStatus.APPROVED), None
        )

    @property
    def is_public(self) -> bool:
        return self.status == MakerStatus.APPROVED

    def public_view(self, today: date) -> PublicMakerView:
        profile = self.profile
        return PublicMakerView(
            id=self.id,
            handle=profile.handle,
            display_name=profile.display_name,
            bio=profile.bio,
            location=profile.location,
            techniques=profile.techniques,
            sourcing_claims=[
                PublicSourcingClaim(
                    scheme=claim.scheme,
                    scope=claim.scope,
                    expires_on=claim.expires_on,
                    evidenced=claim.evidence_status == "evidenced",
                    status=claim.evidence_status,
                )
                for claim in profile.sourcing_claims
                if not claim.is_expired(today)
            ],
            hallmarking=profile.hallmarking,
            joined_at=self.joined_at,
            accepts_commissions=profile.accepts_commissions,
        )

    def owner_view(self, today: date) -> OwnerMakerView:
        """Everything, expired claims included (flagged) so the maker can renew them."""
        return OwnerMakerView.model_validate({
            **dict(self.profile),
            "sourcing_claims": [
                OwnerSourcingClaim(
                    **dict(claim),
                    evidenced=claim.evidence_status == "evidenced",
                    status=claim.evidence_status,
                    expired=claim.is_expired(today),
                )
                for claim in self.profile.sourcing_claims
            ],
            "id": self.id,
            "user_id": self.user_id,
            "status": self.status,
            "checklist": self.checklist(),
            "history": self.history,
            "joined_at": self.joined_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        })

    def catalogue_snapshot(self, today: date) -> CatalogueSnapshot:
        profile = self.profile
        return CatalogueSnapshot(
            maker_id=self.id,
            user_id=self.user_id,
            version=self.version,
            status=self.status,
            handle=profile.handle,
            display_name=profile.display_name,
            sourcing_claims=[
                CatalogueSourcingClaim(
                    scheme=claim.scheme,
                    scope=claim.scope,
                    evidenced=claim.evidence_status == "evidenced",
                    expires_on=claim.expires_on,
                )
                for claim in profile.sourcing_claims
                if not claim.is_expired(today)
            ],
            hallmarking=profile.hallmarking,
            accepts_commissions=profile.accepts_commissions,
            works_precious_metals=profile.works_precious_metals,
            natural_diamonds=profile.natural_diamonds,
        )

    # --- internals ---

    def _require_state(self, action: str) -> None:
        if self.status not in _ALLOWED_FROM[action]:
            raise state_conflict(self.status.value, action)

    def _require_checklist_met(self) -> None:
        unmet = [item for item in self.checklist() if item.blocks_submission]
        if unmet:
            raise rules_violated([
                Violation(
                    ("checklist", item.item),
                    _BLOCKING_ITEM_MESSAGES[item.item],
                    f"checklist_{item.item}",
                )
                for item in unmet
            ])

    def _move_to(
        self,
        status: MakerStatus,
        event: MakerEventName,
        *,
        by: UUID,
        now: datetime,
        note: str | None,
    ) -> None:
        self.history.append(
            HistoryEntry(from_status=self.status, to_status=status, at=now, by=by, note=note)
        )
        self.status = status
        self._record(event, by=by, now=now, note=note)

    def _record(self, name: MakerEventName, *, by: UUID, now: datetime, note: str | None) -> None:
        self.version += 1
        self.updated_at = now
        self.pending_events.append(
            MakerEvent(
                name=name,
                maker_id=self.id,
                user_id=self.user_id,
                status=self.status,
                version=self.version,
                at=now,
                by=by,
                note=note,
            )
        )
