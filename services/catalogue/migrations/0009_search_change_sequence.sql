-- The search index (services/catalogue/search/) of every catalogue API instance is built from
-- these rows and kept current by following their changes.
--
-- The text a listing is found by, as written (the index stems and weighs it itself): the title,
-- the attributes (techniques, metals with their fineness names, stones with their origin,
-- occasions, style tags, category, the maker's display name) and the description; and its
-- rating (0 until reviews exist).
ALTER TABLE listing_search
    ADD COLUMN title          text NOT NULL DEFAULT '',
    ADD COLUMN attributes     text NOT NULL DEFAULT '',
    ADD COLUMN description    text NOT NULL DEFAULT '',
    ADD COLUMN rating_average numeric(3, 2) NOT NULL DEFAULT 0
        CHECK (rating_average BETWEEN 0 AND 5),
    ADD COLUMN rating_count   integer NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    -- The change sequence: the id of the transaction that last wrote the row, and when it
    -- began. A follower reads the rows changed by transactions at or after its watermark and
    -- before the oldest transaction still running (pg_snapshot_xmin), so a transaction that
    -- commits late (a lower id committing after a higher one) is read once it has finished,
    -- never skipped. docs/architecture.md ("Search") gives the reasoning.
    ADD COLUMN changed_xid    xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ADD COLUMN changed_at     timestamptz NOT NULL DEFAULT now();

CREATE INDEX listing_search_changed ON listing_search (changed_xid);

-- Every write of a row, by whatever code, moves it up the sequence and wakes the followers
-- (LISTEN on "<schema>.listing_search"; they also poll, in case a notification is missed).
CREATE FUNCTION listing_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    NEW.changed_at := now();
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.listing_search', '');
    RETURN NEW;
END
$$;

CREATE TRIGGER listing_search_changed BEFORE INSERT OR UPDATE ON listing_search
    FOR EACH ROW EXECUTE FUNCTION listing_search_changed();

-- Rows written before: the title and description come from the listing; the attributes are
-- rebuilt by the claims refresh, which rewrites every row whose `stale_on` has come (it runs
-- when the worker starts), with the code that writes every row.
UPDATE listing_search s
SET title = coalesce(l.fields ->> 'title', ''),
    description = coalesce(l.fields ->> 'description', ''),
    stale_on = DATE '2000-01-01'
FROM listings l
WHERE l.id = s.listing_id;

-- Which catalogue an index on disk was built from: an index of a catalogue since dropped and
-- made anew (a development reset, a test run) is rebuilt, not followed.
CREATE TABLE search_index_source (
    id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    one boolean NOT NULL DEFAULT true UNIQUE CHECK (one)
);
INSERT INTO search_index_source DEFAULT VALUES;
