-- One token-bucket mechanism for every limit the gateway keeps across its instances: the
-- sign-in throttle (keys `account:<email>`, `address:<ip>`) and the per-address API limit
-- (`api:<ip>`), all rows of login_throttle. take_tokens is the only code that moves a bucket's
-- level, so the refill arithmetic is written once.
--
-- take_tokens(key, burst, per_second, wanted) takes up to `wanted` whole tokens from the bucket
-- (a missing row is a full bucket) and returns how many it took; when none, `wait_s` is the
-- seconds until the bucket holds one again. The row lock serialises instances taking from one
-- key, and the clock is read after the lock is held, so a waiter never refills from a stale
-- instant.
CREATE FUNCTION take_tokens(p_key text, p_burst float8, p_per_second float8, p_wanted integer,
                            OUT granted integer, OUT wait_s float8)
LANGUAGE plpgsql AS $$
DECLARE
    held  float8;
    since timestamptz;
    level float8;
    now_  timestamptz;
BEGIN
    INSERT INTO login_throttle (key, tokens, updated_at)
    VALUES (p_key, p_burst, clock_timestamp())
    ON CONFLICT (key) DO NOTHING;
    SELECT tokens, updated_at INTO held, since FROM login_throttle WHERE key = p_key FOR UPDATE;
    now_ := clock_timestamp();
    level := least(p_burst, held + p_per_second * greatest(0, extract(epoch FROM now_ - since)));
    granted := least(p_wanted, floor(level))::integer;
    UPDATE login_throttle SET tokens = level - granted, updated_at = now_ WHERE key = p_key;
    wait_s := CASE WHEN granted > 0 THEN 0 ELSE (1 - level) / p_per_second END;
END
$$;

COMMENT ON TABLE login_throttle IS
    'Every token bucket the gateway instances share: sign-in (account:, address:) and API (api:)';
