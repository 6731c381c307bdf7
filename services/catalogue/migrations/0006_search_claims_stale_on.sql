-- The day a listing's search row stops being true of its maker's sourcing claims: the day after
-- the earliest expiry among the maker's claims when the row was written (NULL when none
-- expires). The claims refresh (`refresh_expired_claims`, daily in the worker and
-- `marketplace refresh-claims`) rewrites the rows whose day has come, found by this index: a
-- query that returns nothing when nothing is due.
ALTER TABLE listing_search ADD COLUMN stale_on date;

CREATE INDEX listing_search_stale_on ON listing_search (stale_on) WHERE stale_on IS NOT NULL;

-- Rows written before this column: every row found by a sourcing claim is rewritten by the
-- first refresh (an expired claim may still be among its terms).
UPDATE listing_search SET stale_on = DATE '2000-01-01'
WHERE terms && ARRAY['sourcing:recycled', 'sourcing:fairtrade', 'sourcing:fairmined',
                     'sourcing:rjc_coc', 'sourcing:scs_recycled', 'sourcing:other'];
