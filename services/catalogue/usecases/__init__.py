"""The catalogue's use cases: plain async functions over a unit of work, called by the HTTP API
(api.py), the event handlers (handlers.py), the sweeper and the tests alike.

    claims        the daily claims refresh: expired claims stop finding listings in search
    favourites    a customer keeps a listing as a favourite, lets it go, lists them
    images        a media.image.* event arrives: the read model of images follows
    listings      a maker creates, edits, publishes, pauses and archives their listings
    makers        a maker's snapshot arrives: the read model and their listings follow
    ratings       a reviews.ratings.changed event arrives: listings, makers and search follow
    recheck       public listings held again to the rules that change after they went public
    reservations  stock held, sold and put back on sale for orders; expiry
    saving        the one path every listing change is saved and announced by
"""

from services.catalogue.usecases.claims import refresh_expired_claims
from services.catalogue.usecases.favourites import add_favourite, favourite_listings, remove_favourite
from services.catalogue.usecases.images import apply_image_state
from services.catalogue.usecases.listings import (
    archive_listing,
    create_listing,
    edit_listing,
    pause_listing,
    publish_listing,
)
from services.catalogue.usecases.makers import apply_maker_snapshot
from services.catalogue.usecases.ratings import apply_ratings
from services.catalogue.usecases.recheck import recheck_public_listings
from services.catalogue.usecases.reservations import (
    cancel_for_order,
    commit_for_order,
    decline_for_maker,
    expire_reservation,
    release_expired,
    reserve_for_order,
)
from services.catalogue.usecases.saving import PRODUCER, insert_listing, save_listing

__all__ = [
    "PRODUCER",
    "add_favourite",
    "apply_image_state",
    "apply_maker_snapshot",
    "apply_ratings",
    "archive_listing",
    "cancel_for_order",
    "commit_for_order",
    "create_listing",
    "decline_for_maker",
    "edit_listing",
    "expire_reservation",
    "favourite_listings",
    "insert_listing",
    "pause_listing",
    "publish_listing",
    "recheck_public_listings",
    "refresh_expired_claims",
    "release_expired",
    "remove_favourite",
    "reserve_for_order",
    "save_listing",
]
