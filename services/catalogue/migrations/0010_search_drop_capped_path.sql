-- Search is answered by the search index now: the capped PostgreSQL search (the newest 1,000
-- matches counted and ranked) and what only it read go. `terms`, `category`, `price_amount` and
-- `published_at` stay: the index is built from them.
DROP INDEX listing_search_match;
DROP INDEX listing_search_newest;
DROP INDEX listing_search_category_newest;
DROP INDEX listing_search_price;
ALTER TABLE listing_search DROP COLUMN facet_bits, DROP COLUMN document;

-- A rebuild streams the visible rows, and the reconciliation counts them.
CREATE INDEX listing_search_visible ON listing_search (listing_id) WHERE visible;
