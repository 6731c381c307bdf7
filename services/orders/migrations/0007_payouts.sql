-- Payouts: what payout runs sent to makers, which ledger entries each payout carried, and the
-- sandbox payout provider's own records.

-- One payout run (POST /payout-runs or `marketplace payout-run`).
CREATE TABLE payout_runs (
    id         uuid PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now()
);

-- One transfer to one maker. It is created `pending` in the same transaction that claims its
-- ledger entries; its id is the provider's idempotency key, so a run that resumes a pending
-- payout (after a crash) never pays it twice.
CREATE TABLE payouts (
    id                 uuid PRIMARY KEY,
    run_id             uuid NOT NULL REFERENCES payout_runs (id),
    maker_id           uuid NOT NULL,
    amount             bigint NOT NULL CHECK (amount > 0),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status             text NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    provider_reference text,
    failure            text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    settled_at         timestamptz,
    CONSTRAINT payouts_settled CHECK ((status = 'pending') = (settled_at IS NULL))
);
CREATE INDEX payouts_by_maker ON payouts (maker_id, created_at DESC, id DESC);
CREATE INDEX payouts_pending ON payouts (created_at) WHERE status = 'pending';
CREATE INDEX payouts_by_run ON payouts (run_id);

-- The ledger entries a payout carries. An entry belongs to at most one payout that is not
-- failed: the unique index is what makes each entry paid exactly once, whatever runs race.
-- A failed payout releases its entries (released = true) so a later run pays them.
CREATE TABLE payout_entries (
    payout_id       uuid NOT NULL REFERENCES payouts (id),
    ledger_entry_id uuid NOT NULL REFERENCES payout_ledger (id),
    released        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (payout_id, ledger_entry_id)
);
CREATE UNIQUE INDEX payout_entries_once ON payout_entries (ledger_entry_id) WHERE NOT released;

-- Earnings that may become payable: the run's candidate makers.
CREATE INDEX payout_ledger_by_at ON payout_ledger (at, maker_id);

-- The sandbox payout provider's records (what a real provider keeps on its side), written on
-- its own connections: one transfer per idempotency key (a payout id), whatever the retries.
CREATE TABLE sandbox_payouts (
    idempotency_key text PRIMARY KEY,
    maker_id        uuid NOT NULL,
    amount          bigint NOT NULL,
    currency        text NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('paid', 'refused')),
    reference       text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);
