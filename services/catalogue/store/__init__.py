"""Catalogue SQL: the read models of makers, images and ratings, listings and the inventory
ledger, reservations, and favourites. (The search rows and search queries are in search/.)

Locking, so that concurrent requests and messages never oversell and never deadlock:
  - every message of one order first takes that order's advisory lock (`lock_order`), so a
    placed, a cancelled and a confirmed of one order never interleave;
  - listings are locked (`FOR UPDATE`) before they are changed, several at once always in
    listing id order; a maker's row is locked before their listings, never after;
  - a listing is written only over the version its unit of work loaded (`update_listing`), and
    the table's CHECKs refuse a negative counter, so even a caller that forgot to lock cannot
    oversell: its UPDATE matches no row, or fails.

The loads of listings that will be saved take the unit of work and `track` what they load; the
writes read the loaded version back from it (`loaded_version`) and `mark_saved` what they wrote.
"""

from services.catalogue.store.favourites import add_favourite, favourite_page, favourited, remove_favourite
from services.catalogue.store.listings import (
    ListingRead,
    any_listing,
    get_listing,
    insert_listing,
    listings_for_update,
    listings_with_makers,
    maker_listings,
    maker_listings_for_update,
    own_listing_for_update,
    public_listings_after,
    public_maker_listings,
    record_stock_change,
    update_listing,
)
from services.catalogue.store.read_models import (
    MAKER_COLUMNS,
    MakerRecord,
    known_images,
    maker_for_update,
    maker_for_user,
    makers_by_id,
    save_image,
    save_maker,
    save_rating,
)
from services.catalogue.store.reservations import (
    due_reservations,
    get_reservation,
    insert_reservation,
    lock_order,
    update_reservation,
)
from shared.db import Executor

__all__ = [
    "MAKER_COLUMNS",
    "Executor",
    "ListingRead",
    "MakerRecord",
    "add_favourite",
    "any_listing",
    "due_reservations",
    "favourite_page",
    "favourited",
    "get_listing",
    "get_reservation",
    "insert_listing",
    "insert_reservation",
    "known_images",
    "listings_for_update",
    "listings_with_makers",
    "lock_order",
    "maker_for_update",
    "maker_for_user",
    "maker_listings",
    "maker_listings_for_update",
    "makers_by_id",
    "own_listing_for_update",
    "public_listings_after",
    "public_maker_listings",
    "record_stock_change",
    "remove_favourite",
    "save_image",
    "save_maker",
    "save_rating",
    "update_listing",
    "update_reservation",
]
