-- Customers' address books (docs/api.md, Address book). An order keeps its own copy of the
-- address it was placed with, so deleting an entry here changes no order. Entries are checked
-- by the domain before they are written (services/orders/domain/addresses.py).
CREATE TABLE addresses (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    name        text NOT NULL,
    line1       text NOT NULL,
    line2       text,
    city        text NOT NULL,
    postcode    text NOT NULL,
    country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_by_customer ON addresses (customer_id, created_at, id);
