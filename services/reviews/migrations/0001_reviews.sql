-- The reviews service: who may review what (from orders events), the reviews themselves with
-- their one reply and their reports, and the rating summaries of listings and makers.

-- Which user each maker is (makers.maker.* events; the newest snapshot's version wins): the
-- maker who may reply to a review of their piece.
CREATE TABLE makers (
    maker_id uuid PRIMARY KEY,
    user_id  uuid NOT NULL,
    version  integer NOT NULL CHECK (version >= 1)
);
CREATE INDEX makers_by_user ON makers (user_id);

-- Maker orders as reviews knows them: confirmed (orders.order.confirmed names the customer and
-- maker) and delivered (orders.maker_order.delivered adds when and which listings). Either event
-- may come first; each fills in what it knows.
CREATE TABLE purchases (
    maker_order_id uuid PRIMARY KEY,
    customer_id    uuid,
    maker_id       uuid NOT NULL,
    listing_ids    uuid[] NOT NULL DEFAULT '{}',
    delivered_at   timestamptz
);

-- Photos a review may show: media's images (media.image.* events), owned by a maker.
CREATE TABLE images (
    image_id    uuid PRIMARY KEY,
    maker_id    uuid NOT NULL,
    status      text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    urls        jsonb NOT NULL DEFAULT '{}',
    placeholder text,
    version     integer NOT NULL CHECK (version >= 1)
);

-- One review per maker order and listing. Never edited: only hidden by an operator, with the
-- reason recorded. A review carries its maker's one reply.
CREATE TABLE reviews (
    id             uuid PRIMARY KEY,
    maker_order_id uuid NOT NULL,
    listing_id     uuid NOT NULL,
    maker_id       uuid NOT NULL,
    customer_id    uuid NOT NULL,
    rating         smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title          text NOT NULL,
    body           text NOT NULL,
    photos         jsonb NOT NULL DEFAULT '[]',
    status         text NOT NULL CHECK (status IN ('visible', 'hidden')),
    hidden_reason  text,
    hidden_by      uuid,
    hidden_at      timestamptz,
    reply_body     text,
    replied_at     timestamptz,
    report_count   integer NOT NULL DEFAULT 0 CHECK (report_count >= 0),
    published_at   timestamptz NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    CONSTRAINT reviews_once UNIQUE (maker_order_id, listing_id),
    CONSTRAINT reviews_hidden_has_reason CHECK ((status = 'hidden') = (hidden_reason IS NOT NULL)),
    CONSTRAINT reviews_reply_whole CHECK ((reply_body IS NULL) = (replied_at IS NULL))
);
CREATE INDEX reviews_by_listing ON reviews (listing_id, published_at DESC, id DESC) WHERE status = 'visible';
CREATE INDEX reviews_by_maker ON reviews (maker_id, published_at DESC, id DESC) WHERE status = 'visible';
CREATE INDEX reviews_reported ON reviews (published_at DESC, id DESC) WHERE status = 'visible' AND report_count > 0;

-- A report by one user of one review (a second by the same user changes nothing).
CREATE TABLE reports (
    id          uuid PRIMARY KEY,
    review_id   uuid NOT NULL REFERENCES reviews (id),
    reporter_id uuid NOT NULL,
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT reports_once UNIQUE (review_id, reporter_id)
);

-- What is visible of a subject's reviews: count, sum and histogram of the ratings, with a
-- version that grows with every change (reviews.ratings.changed carries it).
CREATE TABLE rating_summaries (
    subject    text NOT NULL CHECK (subject IN ('listing', 'maker')),
    subject_id uuid NOT NULL,
    histogram  integer[] NOT NULL DEFAULT '{0,0,0,0,0}' CHECK (array_length(histogram, 1) = 5),
    version    integer NOT NULL CHECK (version >= 0),
    PRIMARY KEY (subject, subject_id)
);
