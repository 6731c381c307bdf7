"""Search: the search row of each listing (rows), the text query and cursors (query,
synonyms), the tantivy index and searching it (engine, corrections), and each API instance's
copy of the index on its disk, kept current from the rows' change sequence (replica, context).
"""

from services.catalogue.search.engine import Count, SearchIndex, SearchPage, build_schema, document
from services.catalogue.search.query import Filters, Sort
from services.catalogue.search.replica import Replica
from services.catalogue.search.rows import (
    SearchRow,
    normalise_word,
    save_search_rating,
    save_search_row,
    search_row,
    stale_on,
    stale_search_rows,
)

__all__ = [
    "Count",
    "Filters",
    "Replica",
    "SearchIndex",
    "SearchPage",
    "SearchRow",
    "Sort",
    "build_schema",
    "document",
    "normalise_word",
    "save_search_rating",
    "save_search_row",
    "search_row",
    "stale_on",
    "stale_search_rows",
]
