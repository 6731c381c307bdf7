-- The re-check of public listings (usecases/recheck.py) walks every published and sold-out
-- listing in id order, a page at a time (keyset paging): this index finds each page without
-- reading drafts, paused or archived listings, however many there are.
CREATE INDEX listings_public_by_id ON listings (id) WHERE status IN ('published', 'sold_out');
