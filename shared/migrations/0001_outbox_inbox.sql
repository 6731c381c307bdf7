-- The runtime tables every service has in its own schema.

-- Events committed with the change that caused them; the relay publishes them.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,        -- per aggregate, the commit order
    event_id        uuid NOT NULL UNIQUE,
    routing_key     text NOT NULL,
    aggregate_id    text NOT NULL,
    envelope        jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
CREATE INDEX outbox_unsent_aggregate ON outbox (aggregate_id, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Ids of the messages this service has consumed, written in the same
-- transaction as their effects: a redelivered message finds its id here.
CREATE TABLE inbox (
    event_id    uuid PRIMARY KEY,
    event_type  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_received_at ON inbox (received_at);
