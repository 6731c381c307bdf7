-- A VAT-registered maker's VAT number (docs/domain.md, Money): `GB` and 9 digits, or 12 for a
-- branch, stored normalised; null when the maker is not VAT-registered.
ALTER TABLE makers ADD COLUMN vat_number text CHECK (vat_number ~ '^GB([0-9]{9}|[0-9]{12})$');

-- The snapshot now carries the legal name and VAT number the orders service prints on invoices:
-- republish it (the worker's stale-snapshot sweep) for every maker who gave a legal name.
UPDATE makers SET snapshot_stale = true WHERE legal_name IS NOT NULL;
