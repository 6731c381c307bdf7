-- Each maker's shipping profile as the makers service last described it (makers.maker.* events,
-- `shipping`): the zones they post to, the prices and transit days. Null for a maker described
-- before profiles existed, read as the default profile (the UK only, free, 1-3 working days)
-- until their next event.
ALTER TABLE makers ADD COLUMN shipping jsonb;
