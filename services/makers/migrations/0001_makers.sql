-- Maker records: a jeweller's application, its review and the approved maker's lifecycle.
-- One row per maker (one maker per user). Scalar profile fields are columns; lists and nested
-- parts are jsonb exactly as the domain serialises them. The checklist is never stored: it is
-- computed on every read.

CREATE TABLE makers (
    id                            uuid PRIMARY KEY,
    user_id                       uuid NOT NULL,
    status                        text NOT NULL CHECK (status IN (
                                      'draft', 'submitted', 'approved', 'rejected',
                                      'changes_requested', 'suspended')),
    handle                        text NOT NULL CHECK (handle ~ '^[a-z0-9]+(-[a-z0-9]+)*$'
                                                       AND length(handle) BETWEEN 3 AND 40),
    display_name                  text NOT NULL CHECK (length(display_name) <= 80),
    legal_name                    text CHECK (length(legal_name) <= 200),
    business_type                 text NOT NULL CHECK (business_type IN ('individual', 'company')),
    bio                           text NOT NULL DEFAULT '' CHECK (length(bio) <= 5000),
    location                      jsonb,                        -- {country, region}
    techniques                    jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(techniques) = 'array'),
    production_partners           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(production_partners) = 'array'),
    portfolio_urls                jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(portfolio_urls) = 'array'),
    sourcing_claims               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sourcing_claims) = 'array'),
    hallmarking                   jsonb,                        -- {sponsor_mark, assay_office}
    works_precious_metals         boolean NOT NULL DEFAULT false,
    natural_diamonds              boolean NOT NULL DEFAULT false,
    system_of_warranties_attested boolean NOT NULL DEFAULT false,
    accepts_commissions           boolean NOT NULL DEFAULT false,
    terms_accepted                boolean NOT NULL DEFAULT false,
    -- Every status change: [{from, to, at, by, note}], oldest first.
    history                       jsonb NOT NULL CHECK (jsonb_typeof(history) = 'array'),
    -- Denormalised from history for the lists' sort keys.
    submitted_at                  timestamptz,  -- the latest submission
    joined_at                     timestamptz,  -- the first approval
    created_at                    timestamptz NOT NULL,
    updated_at                    timestamptz NOT NULL,
    version                       integer NOT NULL CHECK (version >= 1),
    CONSTRAINT makers_submitted_has_submitted_at
        CHECK (status <> 'submitted' OR submitted_at IS NOT NULL),
    CONSTRAINT makers_approved_has_joined_at
        CHECK (status NOT IN ('approved', 'suspended') OR joined_at IS NOT NULL)
);

-- One maker record per user.
CREATE UNIQUE INDEX makers_user_id_key ON makers (user_id);
-- Handles are unique slugs (the storefront's /makers/{handle}).
CREATE UNIQUE INDEX makers_handle_key ON makers (handle);
-- The review queue: ?status=submitted, oldest submission first.
CREATE INDEX makers_review_queue ON makers (status, submitted_at, id);
-- The directory (approved) and the operators' suspended list, in order of joining.
CREATE INDEX makers_directory ON makers (status, joined_at, id);
-- Every other status an operator may list, oldest record first.
CREATE INDEX makers_by_status_created ON makers (status, created_at, id);
