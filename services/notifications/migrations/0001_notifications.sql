-- The notifications service: who people are and how to reach them (from identity and makers
-- events), what each event owes each person (deliveries, in-app notifications), preferences.

-- Every account, from gateway.user.* events: the address emails go to.
CREATE TABLE recipients (
    user_id        uuid PRIMARY KEY,
    email          text NOT NULL,
    display_name   text NOT NULL,
    role           text NOT NULL,
    email_verified boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL
);

-- Which user a maker is (maker events name the maker, emails go to the person), with the
-- newest snapshot's version winning.
CREATE TABLE makers (
    maker_id     uuid PRIMARY KEY,
    user_id      uuid NOT NULL,
    display_name text NOT NULL,
    version      integer NOT NULL CHECK (version >= 1)
);

-- What an order's later events need and do not carry: whose it is and its reference
-- (learnt from orders.order.confirmed; maker order events name only the order).
CREATE TABLE orders (
    order_id    uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    reference   text
);

-- One email owed to one person because of one event: at most one per (event, recipient, kind),
-- created in the transaction that records the event in the inbox. The sender claims due rows
-- (`next_attempt_at`), sends, marks them sent; SMTP failures wait with a growing delay and park
-- after the last attempt; a template error parks at once.
CREATE TABLE deliveries (
    id              uuid PRIMARY KEY,
    event_id        uuid NOT NULL,
    recipient       uuid NOT NULL,
    kind            text NOT NULL,
    category        text NOT NULL,
    email           text,                     -- NULL: the recipient's address as known at sending
    context         jsonb NOT NULL,           -- what the templates are rendered with
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'parked')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CONSTRAINT deliveries_once UNIQUE (event_id, recipient, kind),
    CONSTRAINT deliveries_parked_has_reason CHECK (status <> 'parked' OR last_error IS NOT NULL)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_parked ON deliveries (created_at) WHERE status = 'parked';

-- In-app notifications, newest first per user; the unread ones counted for the bell.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL,
    event_id   uuid NOT NULL,
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL,
    link       text,
    read_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifications_once UNIQUE (event_id, user_id, kind)
);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Which optional emails a person wants; no row: the defaults (all on but marketing).
CREATE TABLE preferences (
    user_id       uuid PRIMARY KEY,
    order_updates boolean NOT NULL DEFAULT true,
    maker_orders  boolean NOT NULL DEFAULT true,
    reviews       boolean NOT NULL DEFAULT true,
    marketing     boolean NOT NULL DEFAULT false,  -- asked for, never assumed
    updated_at    timestamptz NOT NULL
);
