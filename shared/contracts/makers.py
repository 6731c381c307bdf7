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

The snapshot also carries the maker's `shipping` profile (where they post to, at what price,
how long the post takes), which orders prices parcels from. Its zones are named here, with the
one table of which country is in which zone (`shipping_zone`), because both the makers service
(which validates and shows profiles) and orders (which prices a destination) need the same
answer and services do not import each other.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import Event
from shared.money import Money

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


ShippingZoneName = Literal["uk", "europe", "world"]
SHIPPING_ZONES: tuple[ShippingZoneName, ...] = ("uk", "europe", "world")

# The `europe` zone: the member states of the EU and the EEA, and Switzerland (ISO 3166-1
# alpha-2). The United Kingdom is its own zone; every other country is `world`.
EUROPE_COUNTRIES: frozenset[str] = frozenset(
    {
        # European Union
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        # the rest of the European Economic Area
        "IS", "LI", "NO",
        # and Switzerland
        "CH",
    }
)  # fmt: skip


def shipping_zone(country: str) -> ShippingZoneName:
    """The shipping zone of a destination country (ISO 3166-1 alpha-2)."""
    if country == "GB":
        return "uk"
    if country in EUROPE_COUNTRIES:
        return "europe"
    return "world"


class MakerTransitDaysData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    min: int = Field(ge=0)
    max: int = Field(ge=0)


class MakerShippingRateData(BaseModel):
    """What posting a parcel to one zone costs and takes. A parcel costs `first_item` plus
    `additional_item` for every further item, and nothing once the maker order's items reach
    `free_over` (when set); transit is in working days after dispatch."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    zone: ShippingZoneName
    first_item: Money
    additional_item: Money
    free_over: Money | None = None
    transit_days: MakerTransitDaysData


class MakerShippingData(BaseModel):
    """A maker's shipping profile: the zones they post to (any zone not listed is not shipped
    to), from `dispatch_country`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    dispatch_country: str
    rates: list[MakerShippingRateData]

    def rate_for(self, country: str) -> MakerShippingRateData | None:
        """The rate of the zone `country` is in; None when the maker does not post there."""
        zone = shipping_zone(country)
        return next((rate for rate in self.rates if rate.zone == zone), None)


# The profile of a maker who never set one: the UK only, free, in 1-3 working days.
DEFAULT_SHIPPING = MakerShippingData(
    dispatch_country="GB",
    rates=[
        MakerShippingRateData(
            zone="uk",
            first_item=Money.zero(),
            additional_item=Money.zero(),
            free_over=None,
            transit_days=MakerTransitDaysData(min=1, max=3),
        )
    ],
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
    shipping: MakerShippingData = Field(
        DEFAULT_SHIPPING,
        description="Where the maker posts to and at what price; a maker who never set a profile "
        "(and every event produced before profiles existed) has the default: the UK only, free, "
        "1-3 working days",
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


class MakerShippingUpdated(MakerSnapshotEvent):
    """The maker set their shipping profile (in any status; their status unchanged): orders
    prices their parcels from the snapshot's `shipping` from now on."""

    event_type = "makers.maker.shipping_updated"
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
    MakerShippingUpdated,
)
