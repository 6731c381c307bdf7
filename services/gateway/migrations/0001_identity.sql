-- Accounts: who may sign in, with which role. Operators are created by the command line only.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    -- Stored normalised by the gateway (trimmed, lower-cased as Python does it), so the unique
    -- index makes addresses unique case-insensitively. Not re-checked with SQL lower(), whose
    -- idea of case depends on the server's locale.
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    role          text NOT NULL CHECK (role IN ('customer', 'maker', 'operator')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Login throttling: one token bucket per account (`account:<email>`) and per client address
-- (`address:<ip>`). Kept here rather than in process memory so every gateway instance draws
-- from the same buckets. A row idle long enough to have refilled is deleted by a sweeper; a
-- missing row is a full bucket.
CREATE TABLE login_throttle (
    key        text PRIMARY KEY CHECK (length(key) <= 300),
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX login_throttle_updated_at ON login_throttle (updated_at);
