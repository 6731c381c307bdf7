"""The catalogue's HTTP request and response models and views: listings (listings.py) and
search (search.py)."""

from services.catalogue.schemas.listings import (
    ListingIn,
    ListingView,
    MineQuery,
    listing_json,
    listing_view,
    photo_views,
)
from services.catalogue.schemas.search import (
    SearchQuery,
    SearchResults,
    Suggestions,
    SuggestQuery,
    search_results_json,
)

__all__ = [
    "ListingIn",
    "ListingView",
    "MineQuery",
    "SearchQuery",
    "SearchResults",
    "SuggestQuery",
    "Suggestions",
    "listing_json",
    "listing_view",
    "photo_views",
    "search_results_json",
]
