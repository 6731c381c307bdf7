-- The sandbox payment provider's own records: what a real provider keeps on its side. Its
-- adapter writes them on its own connections, outside the saga's transactions, so a
-- rolled-back handler does not undo an attempt (exactly like a real provider's would not).

-- One authorisation per idempotency key (one per order); `attempts` counts every call, so
-- `tok_error` fails twice then authorises across retries, restarts and processes.
CREATE TABLE sandbox_authorisations (
    idempotency_key text PRIMARY KEY,
    token           text NOT NULL,
    amount          bigint NOT NULL,
    currency        text NOT NULL,
    attempts        integer NOT NULL CHECK (attempts >= 1),
    outcome         text CHECK (outcome IN ('authorised', 'declined')),
    reference       text UNIQUE,
    voided_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Refunds against an authorisation, one per idempotency key.
CREATE TABLE sandbox_refunds (
    idempotency_key text PRIMARY KEY,
    reference       text NOT NULL REFERENCES sandbox_authorisations (reference),
    amount          bigint NOT NULL CHECK (amount > 0),
    currency        text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_refunds_by_reference ON sandbox_refunds (reference);
