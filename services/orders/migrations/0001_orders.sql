-- Orders: the order saga's state, maker orders, the payout ledger, bespoke commissions, and
-- the read models of listings and makers that orders keeps from catalogue's and makers' events.
--
-- Aggregates are stored as one row each: the columns that queries filter, sort or guard on
-- (status, version, expires_at, owners) are columns and are the truth for those fields; the
-- rest of the aggregate is jsonb exactly as the domain serialises it.

-- Listings as catalogue last described them (catalogue.listing.* events). Only the snapshot
-- with the highest listing_version is kept; `snapshot` is the event's data as it arrived.
CREATE TABLE listings (
    listing_id      uuid PRIMARY KEY,
    maker_id        uuid NOT NULL,
    listing_version integer NOT NULL CHECK (listing_version >= 1),
    snapshot        jsonb NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Makers as the makers service last described them (makers.maker.* events): maps a maker
-- user's token subject to their maker id, and says who takes commissions.
CREATE TABLE makers (
    maker_id            uuid PRIMARY KEY,
    user_id             uuid NOT NULL,
    maker_version       integer NOT NULL CHECK (maker_version >= 1),
    status              text NOT NULL,
    accepts_commissions boolean NOT NULL,
    handle              text NOT NULL,
    display_name        text NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- One maker record per user (the makers service's own invariant).
CREATE UNIQUE INDEX makers_user_id_key ON makers (user_id);

CREATE TABLE orders (
    id                  uuid PRIMARY KEY,
    customer_id         uuid NOT NULL,
    status              text NOT NULL CHECK (status IN ('pending', 'confirmed', 'completed', 'cancelled')),
    cancellation_reason text CHECK (cancellation_reason IN (
                            'out_of_stock', 'price_changed', 'payment_declined', 'expired',
                            'customer_cancelled', 'maker_declined')),
    version             integer NOT NULL CHECK (version >= 1),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    -- A pending order not settled by then is cancelled as expired by the expiry sweeper.
    expires_at          timestamptz NOT NULL,
    -- A refund or a void the payment provider still owes the customer; the compensation job
    -- retries it no earlier than compensate_after.
    compensation_due    boolean NOT NULL DEFAULT false,
    compensate_after    timestamptz NOT NULL DEFAULT now(),
    data                jsonb NOT NULL,
    CONSTRAINT orders_cancelled_has_reason
        CHECK ((status = 'cancelled') = (cancellation_reason IS NOT NULL))
);
-- A customer's orders, newest first; and every order, for operators.
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX orders_by_created ON orders (created_at DESC, id DESC);
CREATE INDEX orders_by_status ON orders (status, created_at DESC, id DESC);
-- The expiry sweeper's work list.
CREATE INDEX orders_pending_expiry ON orders (expires_at) WHERE status = 'pending';
-- The compensation job's work list.
CREATE INDEX orders_compensation_due ON orders (compensate_after) WHERE compensation_due;

-- One maker's part of a confirmed order; version-checked on its own row.
CREATE TABLE maker_orders (
    id         uuid PRIMARY KEY,
    order_id   uuid NOT NULL REFERENCES orders (id),
    maker_id   uuid NOT NULL,
    status     text NOT NULL CHECK (status IN (
                   'awaiting_acceptance', 'in_production', 'quality_checked', 'dispatched',
                   'delivered', 'declined', 'cancelled')),
    version    integer NOT NULL CHECK (version >= 0),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    data       jsonb NOT NULL
);
CREATE INDEX maker_orders_by_order ON maker_orders (order_id);
CREATE INDEX maker_orders_by_maker ON maker_orders (maker_id, created_at DESC, id DESC);
CREATE INDEX maker_orders_by_maker_status ON maker_orders (maker_id, status, created_at DESC, id DESC);
CREATE INDEX maker_orders_by_created ON maker_orders (created_at DESC, id DESC);

-- Makers' payout ledger: an earning on delivery, a reversal when a delivered part is
-- refunded. Amounts in minor units; a reversal's are negative. Never edited.
CREATE TABLE payout_ledger (
    id                uuid PRIMARY KEY,
    maker_id          uuid NOT NULL,
    maker_order_id    uuid NOT NULL REFERENCES maker_orders (id),
    kind              text NOT NULL CHECK (kind IN ('earning', 'reversal')),
    gross_amount      bigint NOT NULL,
    commission_amount bigint NOT NULL,
    net_amount        bigint NOT NULL,
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    at                timestamptz NOT NULL,
    CONSTRAINT payout_ledger_net CHECK (net_amount = gross_amount - commission_amount),
    CONSTRAINT payout_ledger_sign CHECK (
        (kind = 'earning' AND gross_amount >= 0) OR (kind = 'reversal' AND gross_amount <= 0))
);
-- At most one earning and one reversal per maker order: posting twice changes nothing.
CREATE UNIQUE INDEX payout_ledger_once ON payout_ledger (maker_order_id, kind);
CREATE INDEX payout_ledger_by_maker ON payout_ledger (maker_id, at DESC, id DESC);

-- Corrections are new lines, never edits: the database refuses both.
CREATE FUNCTION payout_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payout_ledger is append-only: post a reversal instead';
END
$$;
CREATE TRIGGER payout_ledger_append_only BEFORE UPDATE OR DELETE ON payout_ledger
    FOR EACH ROW EXECUTE FUNCTION payout_ledger_append_only();

CREATE TABLE commissions (
    id          uuid PRIMARY KEY,
    maker_id    uuid NOT NULL,
    customer_id uuid NOT NULL,
    status      text NOT NULL CHECK (status IN ('requested', 'quoted', 'accepted', 'declined', 'withdrawn')),
    version     integer NOT NULL CHECK (version >= 1),
    order_id    uuid REFERENCES orders (id),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    data        jsonb NOT NULL,
    CONSTRAINT commissions_accepted_has_order CHECK ((status = 'accepted') = (order_id IS NOT NULL))
);
CREATE INDEX commissions_by_customer ON commissions (customer_id, created_at DESC, id DESC);
CREATE INDEX commissions_by_maker ON commissions (maker_id, created_at DESC, id DESC);
CREATE INDEX commissions_by_created ON commissions (created_at DESC, id DESC);
