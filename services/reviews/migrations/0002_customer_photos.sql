-- A review's photos are the customer's own uploads: an image records the user who uploaded it
-- (`owner_user_id`, from media events that carry it) and a customer's image has no maker.
ALTER TABLE images ADD COLUMN owner_user_id uuid;
ALTER TABLE images ALTER COLUMN maker_id DROP NOT NULL;
