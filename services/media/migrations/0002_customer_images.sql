-- Customers upload photos too (for their reviews). An image records the user who uploaded it;
-- a maker's image keeps its maker, a customer's has none.
ALTER TABLE images ADD COLUMN owner_user_id uuid;
UPDATE images SET owner_user_id = makers.user_id FROM makers WHERE makers.id = images.maker_id;
ALTER TABLE images ALTER COLUMN owner_user_id SET NOT NULL;
ALTER TABLE images ALTER COLUMN maker_id DROP NOT NULL;
-- The same bytes uploaded again by the same customer are the same image (a maker's stay
-- per maker: images_maker_sha256_key).
CREATE UNIQUE INDEX images_customer_sha256_key ON images (owner_user_id, sha256) WHERE maker_id IS NULL;
