"""The catalogue domain: a maker's listing, the rules for publishing it, its stock, what it
discloses and the reservations that hold its stock for orders (docs/domain.md).

Pure rules, no I/O. The package's modules, along the seams of the domain:

    vocabulary    enumerations, limits, constrained scalar types
    ring_sizes    the ring size table (UK, mm, US) and carats
    hallmarking   the Hallmarking Act: precious metals, legal finenesses, exemption weights
    fields        the value objects a listing is made of (ListingDraft, ListingPatch, ...)
    publishing    the rules a listing keeps to be published and to stay public
    maker_record  the rules a listing keeps with its maker's own record
    recheck       the rules a public listing is held to again after it went public
    disclosures   what a listing page must tell a customer
    stock         stock counters and their moves
    photos        a listing's photos, the images the catalogue knows, and their rules
    ratings       a listing's or a maker's rating as shown, from their visible reviews
    listing       the Listing aggregate and its events
    reservations  the stock held for an order, all lines or none

Everything callers use is re-exported here: `from services.catalogue.domain import Listing`.
"""

from services.catalogue.domain.disclosures import (
    DEALERS_NOTICE_TEXT,
    disclosures,
    evidenced_schemes,
    shown_sourcing_claims,
)
from services.catalogue.domain.fields import (
    Disclosure,
    EngravingOption,
    LeadTimeDays,
    ListingDraft,
    ListingPatch,
    MakerClaim,
    Options,
    Price,
    Production,
    RingSizeRange,
    ShownClaim,
    Stone,
)
from services.catalogue.domain.hallmarking import (
    PRECIOUS_METAL_RULES,
    Hallmark,
    Metal,
    PreciousMetalRule,
    fineness_name,
    precious_metal_weights,
)
from services.catalogue.domain.listing import (
    Listing,
    ListingEvent,
    ListingEventName,
)
from services.catalogue.domain.maker_record import (
    MakerStanding,
    maker_record_violations,
)
from services.catalogue.domain.photos import (
    ImageStatus,
    KnownImages,
    MediaImage,
    Photo,
    foreign_photo_violations,
    photo_violations,
)
from services.catalogue.domain.publishing import (
    publish_violations,
)
from services.catalogue.domain.ratings import NO_RATING, Rating, RatingSummary
from services.catalogue.domain.recheck import HIDDEN_REASONS, RECHECKED_CODES, recheck_violations
from services.catalogue.domain.reservations import (
    MoveKind,
    OrderLine,
    Reservation,
    ReservationFailure,
    ReservationLine,
    ReservationStatus,
    StockMove,
    apply_stock_moves,
    reserve_order,
)
from services.catalogue.domain.ring_sizes import (
    GRAMS_PER_CARAT,
    RING_SIZE_MAX_MM,
    RING_SIZE_MIN_MM,
    RING_SIZES,
    RingSize,
    RingSizeMm,
    carats_to_grams,
    grams_to_carats,
    mm_for_uk,
    mm_for_us,
    uk_size,
    us_size,
)
from services.catalogue.domain.stock import (
    ReserveRefusal,
    ReserveResult,
    StockCounters,
    StockInvariantError,
    commit_stock,
    release_stock,
    reserve_stock,
    return_stock,
    set_available_stock,
)
from services.catalogue.domain.vocabulary import (
    MAX_AMOUNT_MINOR,
    MAX_CHAIN_LENGTHS,
    MAX_ENGRAVING_CHARS,
    MAX_LEAD_TIME_DAYS,
    MAX_METALS,
    MAX_OCCASIONS,
    MAX_PHOTOS,
    MAX_STOCK,
    MAX_STONES,
    MAX_STYLE_TAGS,
    MAX_TECHNIQUES,
    AssayOffice,
    Availability,
    Carats,
    Category,
    ChainLengthCm,
    Colour,
    Description,
    Grams,
    HallmarkStatus,
    ListingStatus,
    MetalType,
    ProductionKind,
    SourcingScheme,
    SponsorMark,
    StoneOrigin,
    StoneTreatment,
    StoneType,
    Tag,
    Title,
)

__all__ = [
    "DEALERS_NOTICE_TEXT",
    "GRAMS_PER_CARAT",
    "HIDDEN_REASONS",
    "MAX_AMOUNT_MINOR",
    "MAX_CHAIN_LENGTHS",
    "MAX_ENGRAVING_CHARS",
    "MAX_LEAD_TIME_DAYS",
    "MAX_METALS",
    "MAX_OCCASIONS",
    "MAX_PHOTOS",
    "MAX_STOCK",
    "MAX_STONES",
    "MAX_STYLE_TAGS",
    "MAX_TECHNIQUES",
    "NO_RATING",
    "PRECIOUS_METAL_RULES",
    "RECHECKED_CODES",
    "RING_SIZES",
    "RING_SIZE_MAX_MM",
    "RING_SIZE_MIN_MM",
    "AssayOffice",
    "Availability",
    "Carats",
    "Category",
    "ChainLengthCm",
    "Colour",
    "Description",
    "Disclosure",
    "EngravingOption",
    "Grams",
    "Hallmark",
    "HallmarkStatus",
    "ImageStatus",
    "KnownImages",
    "LeadTimeDays",
    "Listing",
    "ListingDraft",
    "ListingEvent",
    "ListingEventName",
    "ListingPatch",
    "ListingStatus",
    "MakerClaim",
    "MakerStanding",
    "MediaImage",
    "Metal",
    "MetalType",
    "MoveKind",
    "Options",
    "OrderLine",
    "Photo",
    "PreciousMetalRule",
    "Price",
    "Production",
    "ProductionKind",
    "Rating",
    "RatingSummary",
    "Reservation",
    "ReservationFailure",
    "ReservationLine",
    "ReservationStatus",
    "ReserveRefusal",
    "ReserveResult",
    "RingSize",
    "RingSizeMm",
    "RingSizeRange",
    "ShownClaim",
    "SourcingScheme",
    "SponsorMark",
    "StockCounters",
    "StockInvariantError",
    "StockMove",
    "Stone",
    "StoneOrigin",
    "StoneTreatment",
    "StoneType",
    "Tag",
    "Title",
    "apply_stock_moves",
    "carats_to_grams",
    "commit_stock",
    "disclosures",
    "evidenced_schemes",
    "fineness_name",
    "foreign_photo_violations",
    "grams_to_carats",
    "maker_record_violations",
    "mm_for_uk",
    "mm_for_us",
    "photo_violations",
    "precious_metal_weights",
    "publish_violations",
    "recheck_violations",
    "release_stock",
    "reserve_order",
    "reserve_stock",
    "return_stock",
    "set_available_stock",
    "shown_sourcing_claims",
    "uk_size",
    "us_size",
]
