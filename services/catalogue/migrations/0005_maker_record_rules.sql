-- The rules a listing keeps with its maker's own record (docs/domain.md): the read model of
-- makers learns whether the maker attested to the System of Warranties, and a public listing
-- that breaks one of these rules after the record changed keeps the codes that hide it.

-- Snapshots from before the field existed said only `natural_diamonds`; a maker who declared
-- natural diamonds could not be approved without attesting, so that is what they attested.
ALTER TABLE makers ADD COLUMN system_of_warranties_attested boolean NOT NULL DEFAULT false;
UPDATE makers SET system_of_warranties_attested = natural_diamonds;

-- Codes of the maker-record rules the listing breaks (sponsor_mark_not_registered,
-- precious_metals_not_declared, warranty_not_attested): while any is set the listing is not
-- visible, whatever its status.
ALTER TABLE listings ADD COLUMN hidden_by text[] NOT NULL DEFAULT '{}';
