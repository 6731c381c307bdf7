-- The sandbox payment provider captures what it authorised, and refunds are of captured money
-- (what a real provider keeps on its side; written by its adapter on its own connections).

-- One capture per idempotency key (one per order); `attempts` counts every call, so
-- `tok_capture_error` fails twice then captures across retries, restarts and processes.
CREATE TABLE sandbox_captures (
    idempotency_key         text PRIMARY KEY,
    authorisation_reference text NOT NULL REFERENCES sandbox_authorisations (reference),
    amount                  bigint NOT NULL CHECK (amount > 0),
    currency                text NOT NULL,
    attempts                integer NOT NULL CHECK (attempts >= 1),
    outcome                 text CHECK (outcome IN ('captured', 'declined')),
    reference               text UNIQUE,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
-- An authorisation is captured at most once, whatever key a caller uses.
CREATE UNIQUE INDEX sandbox_captures_once ON sandbox_captures (authorisation_reference)
    WHERE outcome = 'captured';

-- Refunds were made against authorisations; from now on they are of a capture, one per
-- idempotency key. The sandbox's earlier refunds were test money and are not kept.
DROP TABLE sandbox_refunds;
CREATE TABLE sandbox_refunds (
    idempotency_key   text PRIMARY KEY,
    capture_reference text NOT NULL REFERENCES sandbox_captures (reference),
    amount            bigint NOT NULL CHECK (amount > 0),
    currency          text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_refunds_by_capture ON sandbox_refunds (capture_reference);
