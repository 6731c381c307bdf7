-- Whether the maker attested to the System of Warranties (makers.maker.* events): an order
-- carries the System of Warranties statement only for a natural diamond of a maker who did
-- (docs/domain.md). Makers described before the field was kept read as not attested until
-- their next event.
ALTER TABLE makers ADD COLUMN system_of_warranties_attested boolean NOT NULL DEFAULT false;
