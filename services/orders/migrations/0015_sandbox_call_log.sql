-- The sandbox payment provider's call log: every authorise, capture, void and refund call that
-- reached it, in the order it answered them, with what each did. Its other tables keep one row
-- per idempotency key (what a provider answers a retry from); this log keeps every call, so
-- what took effect can be counted from the calls themselves: two authorisations of one order
-- under two keys, or a second capture, show here even where those tables could not hold them.
-- Written in the same transaction as the sandbox's own records; rows are never changed.
CREATE TABLE sandbox_calls (
    id                 bigserial PRIMARY KEY,
    operation          text NOT NULL CHECK (operation IN ('authorise', 'capture', 'void', 'refund')),
    idempotency_key    text,                 -- NULL for a void (asked for by reference)
    -- The authorisation the call concerns (its idempotency key) and the order that key is for,
    -- as the merchant named it ("order-<id>-..."); NULL where the call named nothing known.
    authorisation_key  text,
    order_id           uuid,
    reference          text,                 -- what the call named: an authorisation or a capture
    answered_reference text,                 -- what it answered: the authorisation or capture made
    amount             bigint,
    currency           text,
    outcome            text NOT NULL,
    -- The call moved money or changed what is held: a first authorisation, capture, void or
    -- refund. A retry answered from the records, a refusal or a transient error did not.
    effective          boolean NOT NULL,
    called_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX sandbox_calls_by_order ON sandbox_calls (order_id, id);

CREATE FUNCTION sandbox_calls_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sandbox_calls is append-only';
END
$$;
CREATE TRIGGER sandbox_calls_append_only BEFORE UPDATE OR DELETE ON sandbox_calls
    FOR EACH ROW EXECUTE FUNCTION sandbox_calls_append_only();
