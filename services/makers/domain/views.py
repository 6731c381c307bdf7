"""What others see of a maker: the public view, the owner's (and operators') full record, and
the snapshot the catalogue keeps in its read model. Built by `Maker`'s view methods."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from services.makers.domain.checklist import ChecklistItem
from services.makers.domain.claims import ClaimDecision
from services.makers.domain.history import HistoryEntry, MakerStatus
from services.makers.domain.profile import (
    EvidenceStatus,
    Hallmarking,
    Location,
    MakerProfile,
    SourcingClaim,
    SourcingScheme,
    SourcingScope,
    ValueObject,
)
from services.makers.domain.shipping import ShippingProfile
from shared.contracts.makers import ShippingZoneName
from shared.contracts.reviews import Rating


class PublicSourcingClaim(ValueObject):
    """What a customer sees of a claim. Certificate ids and evidence URLs are the maker's
    evidence documents and are never shown."""

    scheme: SourcingScheme
    scope: SourcingScope
    expires_on: date | None
    evidenced: bool
    status: EvidenceStatus


class ClaimReviewView(ValueObject):
    """The operator's decision on the claim's evidence, with why."""

    decision: ClaimDecision
    at: datetime
    by: UUID
    note: str | None


class OwnerSourcingClaim(SourcingClaim):
    evidenced: bool = Field(description="Verified by an operator and not expired: shown as a badge")
    status: EvidenceStatus
    expired: bool
    review: ClaimReviewView | None = None


class RatingView(ValueObject):
    """What customers who received the maker's pieces thought, from the visible reviews only."""

    average: float | None = Field(
        description="The mean rating (1 to 5) rounded to two decimals; null while nothing is rated"
    )
    count: int = Field(description="How many visible reviews rated the maker")

    @classmethod
    def of(cls, rating: Rating) -> RatingView:
        average = rating.average
        return cls(average=None if average is None else float(average), count=rating.count)


class PublicMakerView(ValueObject):
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
    shipping: list[ShippingZoneName] = Field(description="The zones the maker ships to")
    rating: RatingView


class OwnerMakerView(MakerProfile):
    """The whole record, for its owner and for operators."""

    id: UUID
    user_id: UUID
    status: MakerStatus
    # Each claim with what the owner is told about it. Pydantic overrides the profile's field in
    # place (its position kept); mypy sees a list of a subclass in a list's place.
    sourcing_claims: list[OwnerSourcingClaim]  # type: ignore[assignment]
    checklist: list[ChecklistItem]
    history: list[HistoryEntry]
    joined_at: datetime | None
    shipping: list[ShippingZoneName] = Field(
        description="The zones the maker ships to (the whole profile: /makers/{id}/shipping)"
    )
    rating: RatingView
    created_at: datetime
    updated_at: datetime
    version: int


class CatalogueSourcingClaim(ValueObject):
    scheme: SourcingScheme
    scope: SourcingScope
    evidenced: bool
    expires_on: date | None


class InvoicingDetails(ValueObject):
    """Who sells, as the orders service prints it on the maker's invoices (and nowhere else)."""

    legal_name: str | None
    vat_number: str | None


class CatalogueSnapshot(ValueObject):
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
    system_of_warranties_attested: bool
    invoicing: InvoicingDetails
    shipping: ShippingProfile
