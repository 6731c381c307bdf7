-- Ratings and favourites: what customers think of listings and makers.
--
-- The rating summary of each listing and each maker, kept from reviews.ratings.changed: the
-- count and sum of the visible ratings, how many gave each star, and the version reviews gave
-- it. A summary replaces the one held only when its version is higher (the guard is in the
-- statement), so a repeated or late event changes nothing. A listing's rating also travels to
-- its search row (`rating_average`, `rating_count`, migration 0009), which moves it up the change
-- sequence the search indexes follow.
CREATE TABLE ratings (
    subject    text NOT NULL CHECK (subject IN ('listing', 'maker')),
    subject_id uuid NOT NULL,
    count      integer NOT NULL CHECK (count >= 0),
    total      integer NOT NULL CHECK (total BETWEEN count AND count * 5),
    histogram  jsonb NOT NULL,
    version    bigint NOT NULL CHECK (version >= 1),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (subject, subject_id)
);

-- A customer's favourite pieces (the customer is the token's subject: the catalogue keeps no
-- accounts), newest first for their list.
CREATE TABLE favourites (
    customer_id uuid NOT NULL,
    listing_id  uuid NOT NULL REFERENCES listings (id),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, listing_id)
);
CREATE INDEX favourites_newest ON favourites (customer_id, created_at DESC, listing_id DESC);

-- How many customers keep each listing as a favourite, moved with each favourite added or
-- removed (in the same transaction), so a page of listings reads one row each instead of
-- counting.
CREATE TABLE favourite_counts (
    listing_id uuid PRIMARY KEY REFERENCES listings (id),
    count      integer NOT NULL CHECK (count >= 0)
);
