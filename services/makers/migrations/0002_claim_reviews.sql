-- Operators' reviews of the evidence behind makers' sourcing claims: [{claim, decision, at, by,
-- note}], each of one exact claim (a changed claim is a new claim, pending verification again).
-- A claim with evidence and no review is pending verification: the claims stored before this
-- migration, evidence or not, show no badge until an operator has verified them.
ALTER TABLE makers
    ADD COLUMN claim_reviews jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(claim_reviews) = 'array');

-- How many of the maker's claims wait for an operator (denormalised by the service on every
-- save, for the operators' evidence queue). Before this migration no claim had been reviewed,
-- so every claim with a certificate id or an evidence URL is pending.
ALTER TABLE makers ADD COLUMN pending_claims integer NOT NULL DEFAULT 0 CHECK (pending_claims >= 0);
UPDATE makers SET pending_claims = (
    SELECT count(*) FROM jsonb_array_elements(sourcing_claims) AS claim
    WHERE coalesce(claim ->> 'certificate_id', '') <> '' OR coalesce(claim ->> 'evidence_url', '') <> ''
);

-- The evidence queue: makers with claims waiting for verification, oldest record first.
CREATE INDEX makers_evidence_queue ON makers (created_at, id) WHERE pending_claims > 0;
