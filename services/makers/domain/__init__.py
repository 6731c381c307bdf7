"""The makers domain, pure: profiles and their validation, the application checklist, the
maker's lifecycle, shipping profiles and the views of a maker. See docs/domain.md."""

from services.makers.domain.checklist import ChecklistItem, ChecklistStatus, checklist_of
from services.makers.domain.claims import ClaimDecision, ClaimReview, claim_status, reapply_from
from services.makers.domain.compliance import COMPLIANCE_ITEMS, ComplianceChange
from services.makers.domain.history import HistoryEntry, MakerEvent, MakerEventName, MakerStatus
from services.makers.domain.maker import Maker, ReviewDecision
from services.makers.domain.profile import (
    HANDLE_PATTERN,
    NOTE_MAX_LENGTH,
    SPONSOR_MARK_PATTERN,
    STORED,
    AssayOffice,
    BusinessType,
    EvidenceStatus,
    Hallmarking,
    Handle,
    Location,
    MakerProfile,
    MakerProfilePatch,
    ProductionPartner,
    SourcingClaim,
    SourcingScheme,
    SourcingScope,
)
from services.makers.domain.shipping import MAX_TRANSIT_DAYS, ShippingProfile, ShippingRate, TransitDays
from services.makers.domain.views import (
    CatalogueSnapshot,
    CatalogueSourcingClaim,
    ClaimReviewView,
    OwnerMakerView,
    OwnerSourcingClaim,
    PublicMakerView,
    PublicSourcingClaim,
)

__all__ = [
    "COMPLIANCE_ITEMS",
    "HANDLE_PATTERN",
    "MAX_TRANSIT_DAYS",
    "NOTE_MAX_LENGTH",
    "SPONSOR_MARK_PATTERN",
    "STORED",
    "AssayOffice",
    "BusinessType",
    "CatalogueSnapshot",
    "CatalogueSourcingClaim",
    "ChecklistItem",
    "ChecklistStatus",
    "ClaimDecision",
    "ClaimReview",
    "ClaimReviewView",
    "ComplianceChange",
    "EvidenceStatus",
    "Hallmarking",
    "Handle",
    "HistoryEntry",
    "Location",
    "Maker",
    "MakerEvent",
    "MakerEventName",
    "MakerProfile",
    "MakerProfilePatch",
    "MakerStatus",
    "OwnerMakerView",
    "OwnerSourcingClaim",
    "ProductionPartner",
    "PublicMakerView",
    "PublicSourcingClaim",
    "ReviewDecision",
    "ShippingProfile",
    "ShippingRate",
    "SourcingClaim",
    "SourcingScheme",
    "SourcingScope",
    "TransitDays",
    "checklist_of",
    "claim_status",
    "reapply_from",
]
