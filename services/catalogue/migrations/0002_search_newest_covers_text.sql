-- The newest-first walk that gives a text search its total, facets and relevance window filters
-- every candidate on the text query as well as the terms: with `document` in the index too, that
-- walk reads the index alone instead of visiting the heap for every candidate (measured at 1M
-- listings, "sapphire" within gold rings: 23.7k candidates, 21k heap buffers, 80-140 ms).
DROP INDEX listing_search_newest;
CREATE INDEX listing_search_newest ON listing_search (published_at DESC, listing_id DESC)
    INCLUDE (terms, price_amount, document) WHERE visible;
