-- What customers think of each maker, kept from reviews.ratings.changed (its `maker` summary):
-- the count and sum of the visible ratings, how many gave each star, and the version reviews
-- gave it. A summary replaces the one held only when its version is higher (the guard is in the
-- statement), so a repeated or late event changes nothing. The makers' public and owner views
-- show it as `rating {average, count}`. Redelivered messages are dropped by the runtime inbox.
CREATE TABLE maker_ratings (
    maker_id   uuid PRIMARY KEY,
    count      integer NOT NULL CHECK (count >= 0),
    total      integer NOT NULL CHECK (total BETWEEN count AND count * 5),
    histogram  jsonb NOT NULL,
    version    bigint NOT NULL CHECK (version >= 1),
    updated_at timestamptz NOT NULL
);
