"""Events of the makers service: one per change of a maker's status, and one when its profile,
sourcing claims or (once approved) compliance fields change.

Every event carries the same snapshot of the maker: what other services (catalogue first) keep
in their read model. A consumer keeps, per `maker_id`, the snapshot with the highest
`maker_version` it has seen and ignores older ones (the envelope's `aggregate_version` is the
same number). Sourcing claims already expired when the event was produced are left out; the
others carry `expires_on` so the consumer can drop them when that date passes.

The snapshot never carries the maker's contact details, certificate ids, evidence URLs,
suppliers or review notes. It does carry `invoicing` (the legal name and VAT number) for one
consumer, orders, which prints them on the invoices of the maker's sales: the law wants the
seller's name and VAT number on every invoice the customer receives, so they are the trader's
identity towards their buyers, not private data. Every other consumer (catalogue, media) must
ignore `invoicing`, and no public view shows it.

`maker_version` is the maker record's version; it is not called `version` because
`Event.version` is the schema version of the event itself.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import Event

MakerStatusName = Literal["draft", "submitted", "approved", "rejected", "changes_requested", "suspended"]
SourcingSchemeName = Literal["recycled", "fairtrade", "fairmined", "rjc_coc", "scs_recycled", "other"]


class MakerSourcingClaimData(BaseModel):
    """A sourcing claim the maker holds. `evidenced` is true only when an operator verified the
    claim's evidence; a self-declared claim, or one whose evidence is pending verification or
    was rejected, is false and must never be shown as a badge."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    scheme: SourcingSchemeName
    scope: Literal["metal", "stone"]
    evidenced: bool
    expires_on: date | None = Field(None, description="Good through this date; gone the day after")


class MakerHallmarkingData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    sponsor_mark: str
    assay_office: Literal["london", "birmingham", "sheffield", "edinburgh"]


class MakerInvoicingData(BaseModel):
    """Who sells, as an invoice names them: for orders' invoices only (see the module's doc)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    legal_name: str | None = Field(None, description="The maker's legal name; None until given")
    vat_number: str | None = Field(
        None, description="Normalised (`GB123456789`); None when the maker is not VAT-registered"
    )


class MakerSnapshotEvent(Event):
    """The shape every makers.maker.* event shares (not itself an event type)."""

    maker_id: UUID
    user_id: UUID = Field(description="The maker user's id: the `sub` of their access tokens")
    maker_version: int = Field(ge=1, description="The maker record's version after the change")
    status: MakerStatusName = Field(description="The status after the change")
    handle: str
    display_name: str
    sourcing_claims: list[MakerSourcingClaimData]
    hallmarking: MakerHallmarkingData | None
    accepts_commissions: bool
    works_precious_metals: bool
    natural_diamonds: bool
    system_of_warranties_attested: bool = Field(
        False,
        description="The maker attested to the System of Warranties: only then may they list natural "
        "diamonds, and only their pieces carry its statement",
    )
    invoicing: MakerInvoicingData = Field(
        MakerInvoicingData(), description="For orders' invoices only; other consumers ignore it"
    )


class MakerSubmitted(MakerSnapshotEvent):
    """The maker submitted their application for review."""

    event_type = "makers.maker.submitted"
    version = 1


class MakerApproved(MakerSnapshotEvent):
    """Operations approved the application: the maker may list pieces."""

    event_type = "makers.maker.approved"
    version = 1


class MakerRejected(MakerSnapshotEvent):
    """Operations rejected the application. The maker may reopen it as a draft after a waiting
    period (makers.maker.reopened)."""

    event_type = "makers.maker.rejected"
    version = 1


class MakerChangesRequested(MakerSnapshotEvent):
    """Operations sent the application back for changes."""

    event_type = "makers.maker.changes_requested"
    version = 1


class MakerSuspended(MakerSnapshotEvent):
    """Operations suspended an approved maker: their listings stop being public."""

    event_type = "makers.maker.suspended"
    version = 1


class MakerReinstated(MakerSnapshotEvent):
    """Operations reinstated a suspended maker (status is `approved` again)."""

    event_type = "makers.maker.reinstated"
    version = 1


class MakerProfileUpdated(MakerSnapshotEvent):
    """The maker edited their profile (only possible in `draft` or `changes_requested`)."""

    event_type = "makers.maker.profile_updated"
    version = 1


class MakerReopened(MakerSnapshotEvent):
    """A rejected maker reopened their application after the waiting period (status `draft`)."""

    event_type = "makers.maker.reopened"
    version = 1


class MakerClaimsUpdated(MakerSnapshotEvent):
    """The maker replaced their sourcing claims (in any status but suspended). A new or renewed
    claim with evidence is not `evidenced` until an operator verified it."""

    event_type = "makers.maker.claims_updated"
    version = 1


class MakerClaimReviewed(MakerSnapshotEvent):
    """An operator verified or rejected the evidence of one of the maker's claims: the claim's
    `evidenced` flag in the snapshot says which."""

    event_type = "makers.maker.claim_reviewed"
    version = 1


class MakerComplianceUpdated(MakerSnapshotEvent):
    """An approved maker changed their sponsor mark, their precious-metals or natural-diamonds
    declaration or their System of Warranties attestation (status still `approved`): the
    catalogue re-checks their listings against the new record."""

    event_type = "makers.maker.compliance_updated"
    version = 1


MAKER_EVENTS: tuple[type[MakerSnapshotEvent], ...] = (
    MakerSubmitted,
    MakerApproved,
    MakerRejected,
    MakerChangesRequested,
    MakerSuspended,
    MakerReinstated,
    MakerProfileUpdated,
    MakerReopened,
    MakerClaimsUpdated,
    MakerClaimReviewed,
    MakerComplianceUpdated,
)
