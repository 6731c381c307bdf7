-- Accounts that last: verified addresses, single-use email tokens, sign-ins that refresh.

-- When the person proved they read the address (followed a verification or reset link).
-- Accounts from before verification existed registered under the old rules: they count as
-- verified rather than being stopped mid-application by a link nobody ever sent them.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
UPDATE users SET email_verified_at = created_at;

-- Links sent by email (verify the address, reset the password). Only the SHA-256 of the
-- token is kept: the raw token exists in the email alone. Single use: `used_at` is set once.
CREATE TABLE email_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at    timestamptz
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose) WHERE used_at IS NULL;
CREATE INDEX email_tokens_expires_at ON email_tokens (expires_at);

-- One sign-in (a family of refresh tokens): it lives while it is used (sliding expiry, pushed
-- on by every refresh) until it is revoked: signed out, signed out everywhere, a spent token
-- presented again (someone else may hold it), or the password reset.
CREATE TABLE sign_ins (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL,
    refreshed_at   timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN ('logout', 'logout_all', 'reused', 'password_reset')),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sign_ins_user ON sign_ins (user_id) WHERE revoked_at IS NULL;
CREATE INDEX sign_ins_expires_at ON sign_ins (expires_at);

-- Every refresh token a sign-in was given, by SHA-256. Only the newest is unspent; the spent
-- ones are kept while the sign-in lives so that presenting one again is recognised as reuse.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    sign_in_id uuid NOT NULL REFERENCES sign_ins (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL,
    spent_at   timestamptz
);
CREATE INDEX refresh_tokens_sign_in ON refresh_tokens (sign_in_id);

-- The gateway publishes identity events from now on; every account that exists already is
-- announced once (`gateway.user.registered.v1`), oldest first, so a consumer learns every
-- address. The envelope is the one shared.contracts.Envelope describes.
INSERT INTO outbox (event_id, routing_key, aggregate_id, envelope)
SELECT e.event_id, 'gateway.user.registered.v1', e.id::text,
       jsonb_build_object(
           'event_id', e.event_id,
           'type', 'gateway.user.registered',
           'version', 1,
           'occurred_at', now(),
           'producer', 'gateway',
           'aggregate_id', e.id::text,
           'aggregate_version', 0,
           'correlation_id', e.event_id::text,
           'causation_id', NULL,
           'data', jsonb_build_object(
               'user_id', e.id,
               'email', e.email,
               'display_name', e.display_name,
               'role', e.role,
               'email_verified', true))
  FROM (SELECT gen_random_uuid() AS event_id, u.* FROM users u) e
 ORDER BY e.created_at, e.id;
