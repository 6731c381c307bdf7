"""The maker aggregate: a jeweller's application, its review and the approved maker's lifecycle.

Pure rules, no I/O: the caller passes in every time and date, loads and saves the aggregate, and
publishes the events it records (`pull_events`). See docs/domain.md.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from uuid import UUID, uuid4

from services.makers.domain.checklist import ChecklistItem, checklist_of, require_checklist_met
from services.makers.domain.claims import (
    ClaimDecision,
    ClaimReview,
    claim_status,
    reapply_from,
    reviews_still_relevant,
)
from services.makers.domain.compliance import COMPLIANCE_ITEMS, ComplianceChange, describe_change
from services.makers.domain.history import HistoryEntry, MakerEvent, MakerEventName, MakerStatus
from services.makers.domain.profile import (
    NOTE_MAX_LENGTH,
    STORED,
    EvidenceStatus,
    MakerProfile,
    MakerProfilePatch,
    SourcingClaim,
    SourcingScheme,
)
from services.makers.domain.shipping import ShippingProfile
from services.makers.domain.views import (
    CatalogueSnapshot,
    CatalogueSourcingClaim,
    ClaimReviewView,
    InvoicingDetails,
    OwnerMakerView,
    OwnerSourcingClaim,
    PublicMakerView,
    PublicSourcingClaim,
    RatingView,
)
from shared.aggregate import Aggregate
from shared.contracts.reviews import Rating
from shared.errors import Conflict, Violation, not_found, rules_violated, state_conflict
from shared.text import has_control_characters

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
    "reopen": frozenset({MakerStatus.REJECTED}),
    # A maker keeps their claims current in any state but suspended (an approved maker renews
    # an expired claim without leaving `approved`).
    "change claims": frozenset(MakerStatus) - {MakerStatus.SUSPENDED},
    # An approved maker keeps their sponsor mark and declarations current (compliance.py); a
    # suspended one waits for the operators' decision first.
    "change compliance": frozenset({MakerStatus.APPROVED}),
}

_CLAIM_DECISIONS: tuple[ClaimDecision, ...] = ("verified", "rejected")

# Who changed a record when the marketplace itself did (no person).
SYSTEM = UUID(int=0)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times passed to the makers domain must be timezone-aware")
    return moment.astimezone(UTC)


def _clean_note(note: str | None, field: str, *, required: bool) -> str | None:
    text = (note or "").strip()
    violations: list[Violation] = []
    if required and not text:
        violations.append(Violation((field,), f"A {field} is required", f"{field}_required"))
    if len(text) > NOTE_MAX_LENGTH:
        violations.append(Violation((field,), f"At most {NOTE_MAX_LENGTH} characters", "string_too_long"))
    if has_control_characters(text, multi_line=True):
        violations.append(Violation((field,), "Must not contain control characters", "control_character"))
    if violations:
        raise rules_violated(violations)
    return text or None


NO_RATING = Rating()


@dataclass(eq=False)
class Maker(Aggregate[MakerEvent]):
    """A maker record. Commands check the current state, change the record, bump `version`
    (for the store's optimistic lock) and record a `MakerEvent`."""

    id: UUID
    user_id: UUID
    status: MakerStatus
    profile: MakerProfile
    history: list[HistoryEntry]
    created_at: datetime
    updated_at: datetime
    version: int
    # Operators' reviews of the evidence of the claims the maker holds (claims.py).
    claim_reviews: list[ClaimReview] = field(default_factory=list)
    # The shipping profile the maker set; None until they set one (`shipping_profile` is then
    # the default).
    shipping: ShippingProfile | None = None
    # The visible reviews' rating, kept from reviews (not part of the record: never saved).
    rating: Rating = NO_RATING

    def __post_init__(self) -> None:
        self.status = MakerStatus(self.status)
        self.history = list(self.history)
        self.claim_reviews = list(self.claim_reviews)

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
            history=[HistoryEntry(from_status=None, to_status=MakerStatus.DRAFT, at=now, by=user_id)],
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
        self._set_profile(profile)
        self._record("profile_updated", by=by, now=_utc(now), note=None)

    def replace_claims(self, claims: Sequence[SourcingClaim], by: UUID, now: datetime) -> None:
        """The maker's sourcing claims become `claims` (PUT): in any state but suspended, with
        no change of status. A claim identical to one held keeps its review; a new or renewed
        claim with evidence is pending verification. Sending the same claims records nothing."""
        self._require_state("change claims")
        profile = self.profile.apply(MakerProfilePatch(sourcing_claims=list(claims)))
        if profile == self.profile:
            return
        self._set_profile(profile)
        self._record("claims_updated", by=by, now=_utc(now), note=None)

    def change_compliance(self, change: ComplianceChange, by: UUID, now: datetime) -> None:
        """An approved maker changes their sponsor mark or declarations (the fields sent). The
        checklist's items about them must stay met (422 naming each); the change is written in
        the history, the status unchanged. Sending the current values records nothing."""
        self._require_state("change compliance")
        profile = self.profile.apply(change.as_patch())
        if profile == self.profile:
            return
        require_checklist_met(profile, COMPLIANCE_ITEMS)
        now = _utc(now)
        note = describe_change(self.profile, profile)
        self._set_profile(profile)
        self.history.append(
            HistoryEntry(from_status=self.status, to_status=self.status, at=now, by=by, note=note)
        )
        self._record("compliance_updated", by=by, now=now, note=note)

    def set_shipping(
        self, profile: ShippingProfile, accepted_currencies: Collection[str], by: UUID, now: datetime
    ) -> None:
        """The maker's shipping profile becomes `profile` (PUT), in any status, which it keeps.
        Its prices must be in a currency the marketplace takes (`accepted_currencies`):
        422 currency_not_accepted. Sending the profile already set records nothing."""
        problems = profile.currency_violations(accepted_currencies)
        if problems:
            raise rules_violated(problems)
        if profile == self.shipping:
            return
        self.shipping = profile
        self._record("shipping_updated", by=by, now=_utc(now), note=None)

    def republish_claims(self, now: datetime) -> None:
        """Record the claims again, unchanged, so the maker's snapshot is published anew: for a
        record whose last published snapshot predates a change of what its claims mean (evidence
        counts only once verified). Done by the marketplace itself (`SYSTEM`)."""
        self._record("claims_updated", by=SYSTEM, now=_utc(now), note=None)

    def review_claim(
        self, scheme: SourcingScheme, decision: ClaimDecision, note: str | None, by: UUID, now: datetime
    ) -> None:
        """An operator's decision on the evidence of the maker's claims under `scheme`: every
        claim of that scheme with evidence becomes `evidenced` (verified) or `rejected`. A
        rejection must say why. A scheme the maker holds no claim under is not found; one held
        only as self-declared has no evidence to look at (409 naming `self_declared`)."""
        if decision not in _CLAIM_DECISIONS:
            raise rules_violated(
                [
                    Violation(
                        ("decision",),
                        "Must be one of: " + ", ".join(_CLAIM_DECISIONS),
                        "invalid_decision",
                    )
                ]
            )
        claims = [claim for claim in self.profile.sourcing_claims if claim.scheme == scheme]
        if not claims:
            raise not_found("Sourcing claim")
        with_evidence = [claim for claim in claims if claim.has_evidence]
        if not with_evidence:
            raise state_conflict("self_declared", "verify a claim")
        note = _clean_note(note, "note", required=decision == "rejected")
        now = _utc(now)
        self.claim_reviews = [r for r in self.claim_reviews if r.claim not in with_evidence] + [
            ClaimReview(claim=claim, decision=decision, at=now, by=by, note=note) for claim in with_evidence
        ]
        self._record("claim_reviewed", by=by, now=now, note=note)

    def reopen(self, by: UUID, now: datetime, reapply_after_days: int) -> None:
        """A rejected maker reopens their application as a draft (their profile kept), once
        `reapply_after_days` have passed since the rejection (exactly then is allowed). Before
        that: reapply_too_soon (a conflict), naming when they may reapply."""
        self._require_state("reopen")
        now = _utc(now)
        allowed_from = reapply_from(self.rejected_at, reapply_after_days)
        if now < allowed_from:
            raise Conflict(
                f"A rejected application may be reopened {reapply_after_days} days after the "
                f"rejection: from {allowed_from:%d %B %Y, %H:%M} UTC",
                code="reapply_too_soon",
                extra={"reapply_from": allowed_from.isoformat()},
            )
        self._move_to(MakerStatus.DRAFT, "reopened", by=by, now=now, note=None)

    def submit(self, by: UUID, now: datetime) -> None:
        self._require_state("submit")
        require_checklist_met(self.profile)
        self._move_to(MakerStatus.SUBMITTED, "submitted", by=by, now=_utc(now), note=None)

    def review(self, decision: ReviewDecision, note: str | None, by: UUID, now: datetime) -> None:
        """Approve, reject or request changes. A rejection or a request for changes must say
        why, since the maker has nothing else to act on."""
        if decision not in _REVIEW_OUTCOMES:
            raise rules_violated(
                [
                    Violation(
                        ("decision",),
                        "Must be one of: " + ", ".join(_REVIEW_OUTCOMES),
                        "invalid_decision",
                    )
                ]
            )
        self._require_state("review")
        note = _clean_note(note, "note", required=decision != "approve")
        if decision == "approve":
            require_checklist_met(self.profile)
        status, event = _REVIEW_OUTCOMES[decision]
        self._move_to(status, event, by=by, now=_utc(now), note=note)

    def suspend(self, reason: str, by: UUID, now: datetime) -> None:
        self._require_state("suspend")
        note = _clean_note(reason, "reason", required=True)
        self._move_to(MakerStatus.SUSPENDED, "suspended", by=by, now=_utc(now), note=note)

    def reinstate(self, note: str | None, by: UUID, now: datetime) -> None:
        self._require_state("reinstate")
        note = _clean_note(note, "note", required=False)
        self._move_to(MakerStatus.APPROVED, "reinstated", by=by, now=_utc(now), note=note)

    # --- derived ---

    def checklist(self) -> list[ChecklistItem]:
        return checklist_of(self.profile, [self.claim_status(c) for c in self.profile.sourcing_claims])

    def claim_status(self, claim: SourcingClaim) -> EvidenceStatus:
        return claim_status(claim, self.claim_reviews)

    def claim_evidenced(self, claim: SourcingClaim, today: date) -> bool:
        """Shown as a badge: an operator verified its evidence, and it has not expired."""
        return self.claim_status(claim) == "evidenced" and not claim.is_expired(today)

    @property
    def rejected_at(self) -> datetime:
        """When the application was last rejected (only asked of a rejected maker)."""
        return next(e.at for e in reversed(self.history) if e.to_status == MakerStatus.REJECTED)

    @property
    def joined_at(self) -> datetime | None:
        """When the maker was first approved."""
        return next((entry.at for entry in self.history if entry.to_status == MakerStatus.APPROVED), None)

    @property
    def shipping_profile(self) -> ShippingProfile:
        """The profile the maker set, or the default one until they set one."""
        return self.shipping if self.shipping is not None else ShippingProfile.default()

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
                    evidenced=self.claim_evidenced(claim, today),
                    status=self.claim_status(claim),
                )
                for claim in profile.sourcing_claims
                if not claim.is_expired(today)
            ],
            hallmarking=profile.hallmarking,
            joined_at=self.joined_at,
            accepts_commissions=profile.accepts_commissions,
            shipping=self.shipping_profile.zones,
            rating=RatingView.of(self.rating),
        )

    def owner_view(self, today: date) -> OwnerMakerView:
        """Everything, expired claims included (flagged) so the maker can renew them."""
        return OwnerMakerView.model_validate(
            {
                **dict(self.profile),
                "sourcing_claims": [
                    OwnerSourcingClaim.model_validate(
                        {
                            **dict(claim),
                            "evidenced": self.claim_evidenced(claim, today),
                            "status": self.claim_status(claim),
                            "expired": claim.is_expired(today),
                            "review": self._review_view(claim),
                        },
                        context=STORED,
                    )
                    for claim in self.profile.sourcing_claims
                ],
                "id": self.id,
                "user_id": self.user_id,
                "status": self.status,
                "checklist": self.checklist(),
                "history": self.history,
                "joined_at": self.joined_at,
                "shipping": self.shipping_profile.zones,
                "rating": RatingView.of(self.rating),
                "created_at": self.created_at,
                "updated_at": self.updated_at,
                "version": self.version,
            }
        )

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
                    evidenced=self.claim_evidenced(claim, today),
                    expires_on=claim.expires_on,
                )
                for claim in profile.sourcing_claims
                if not claim.is_expired(today)
            ],
            hallmarking=profile.hallmarking,
            accepts_commissions=profile.accepts_commissions,
            works_precious_metals=profile.works_precious_metals,
            natural_diamonds=profile.natural_diamonds,
            system_of_warranties_attested=profile.system_of_warranties_attested,
            invoicing=InvoicingDetails(legal_name=profile.legal_name, vat_number=profile.vat_number),
            shipping=self.shipping_profile,
        )

    # --- internals ---

    def _set_profile(self, profile: MakerProfile) -> None:
        self.profile = profile
        self.claim_reviews = reviews_still_relevant(profile.sourcing_claims, self.claim_reviews)

    def _review_view(self, claim: SourcingClaim) -> ClaimReviewView | None:
        review = next((r for r in reversed(self.claim_reviews) if r.claim == claim), None)
        if review is None:
            return None
        return ClaimReviewView(decision=review.decision, at=review.at, by=review.by, note=review.note)

    def _require_state(self, action: str) -> None:
        if self.status not in _ALLOWED_FROM[action]:
            raise state_conflict(self.status.value, action)

    def _move_to(
        self,
        status: MakerStatus,
        event: MakerEventName,
        *,
        by: UUID,
        now: datetime,
        note: str | None,
    ) -> None:
        self.history.append(HistoryEntry(from_status=self.status, to_status=status, at=now, by=by, note=note))
        self.status = status
        self._record(event, by=by, now=now, note=note)

    def _record(self, name: MakerEventName, *, by: UUID, now: datetime, note: str | None) -> None:
        self.version += 1
        self.updated_at = now
        self.record(
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
