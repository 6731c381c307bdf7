-- A maker's shipping profile (docs/domain.md, Shipping): where they dispatch from and one rate
-- per zone they post to. Null until the maker sets one: they have the default profile (the UK
-- only, free, in 1-3 working days), which every snapshot already published meant too.
ALTER TABLE makers ADD COLUMN shipping jsonb;
