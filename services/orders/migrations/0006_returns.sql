-- Returns after delivery: a customer's return of lines of one delivered maker order, received
-- (and refunded) by its maker or rejected by an operator. Stored like the other aggregates: the
-- columns queries filter, sort or guard on, and the rest as the domain serialises it.
CREATE TABLE returns (
    id             uuid PRIMARY KEY,
    order_id       uuid NOT NULL REFERENCES orders (id),
    maker_order_id uuid NOT NULL REFERENCES maker_orders (id),
    maker_id       uuid NOT NULL,
    customer_id    uuid NOT NULL,
    status         text NOT NULL CHECK (status IN ('requested', 'refunded', 'rejected')),
    version        integer NOT NULL CHECK (version >= 1),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    data           jsonb NOT NULL
);
-- An order's returns (what is still returnable); a maker order's (open returns hold payouts).
CREATE INDEX returns_by_order ON returns (order_id);
CREATE INDEX returns_by_maker_order ON returns (maker_order_id, status);
-- The lists: a customer's, a maker's (by status: the returns to receive), everyone's.
CREATE INDEX returns_by_customer ON returns (customer_id, created_at DESC, id DESC);
CREATE INDEX returns_by_maker ON returns (maker_id, status, created_at DESC, id DESC);
CREATE INDEX returns_by_created ON returns (created_at DESC, id DESC);
CREATE INDEX returns_by_status ON returns (status, created_at DESC, id DESC);

-- A maker order may now be reversed once per return received (several partial returns), so
-- "one reversal per maker order" becomes one per return; an operator's whole refund (no
-- return) stays once per maker order, and an earning too.
ALTER TABLE payout_ledger ADD COLUMN return_id uuid REFERENCES returns (id);
DROP INDEX payout_ledger_once;
CREATE UNIQUE INDEX payout_ledger_once ON payout_ledger (maker_order_id, kind) WHERE return_id IS NULL;
CREATE UNIQUE INDEX payout_ledger_once_per_return ON payout_ledger (return_id) WHERE return_id IS NOT NULL;
