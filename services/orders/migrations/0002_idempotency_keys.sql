-- Idempotency-Key: the first successful response to a user's key, stored in the same
-- transaction as what the request created, replayed byte for byte to a retry.
CREATE TABLE idempotency_keys (
    user_id      uuid NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- sha256 of the method, path and canonical body: the same key with another body is refused.
    request_hash text NOT NULL,
    status       smallint NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
-- The sweeper deletes keys past their retention.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
