-- References people read aloud (docs/domain.md, References): `FF-` + 8 Crockford base32
-- characters on each order, the order's plus `-1`, `-2`... on each of its maker orders. Unique:
-- the index is the check against a collision when a new one is drawn. Orders placed before
-- are given one here, at random the same way; their maker orders are numbered in the order the
-- order shows them (by their first line's position).
ALTER TABLE orders ADD COLUMN reference text;
ALTER TABLE maker_orders ADD COLUMN reference text;

DO $$
DECLARE
    alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    unreferenced record;
    candidate text;
BEGIN
    FOR unreferenced IN SELECT id FROM orders WHERE reference IS NULL LOOP
        LOOP
            SELECT 'FF-' || string_agg(substr(alphabet, 1 + floor(random() * 32)::int, 1), '' ORDER BY i)
                FILTER (WHERE i <= 4)
                || '-' || string_agg(substr(alphabet, 1 + floor(random() * 32)::int, 1), '' ORDER BY i)
                FILTER (WHERE i > 4)
            INTO candidate
            FROM generate_series(1, 8) AS i;
            EXIT WHEN NOT EXISTS (SELECT 1 FROM orders WHERE reference = candidate);
        END LOOP;
        UPDATE orders SET reference = candidate WHERE id = unreferenced.id;
    END LOOP;
END
$$;

WITH first_lines AS (
    SELECT mo.id, mo.order_id, min(order_line.position) AS first_line
    FROM maker_orders mo
    JOIN orders o ON o.id = mo.order_id
    CROSS JOIN LATERAL jsonb_array_elements(mo.data -> 'lines') AS maker_line
    JOIN LATERAL jsonb_array_elements(o.data -> 'lines') WITH ORDINALITY AS order_line (line, position)
        ON order_line.line ->> 'id' = maker_line ->> 'id'
    GROUP BY mo.id, mo.order_id
), numbered AS (
    SELECT id, order_id,
           row_number() OVER (PARTITION BY order_id ORDER BY first_line, id) AS position
    FROM first_lines
)
UPDATE maker_orders mo
SET reference = o.reference || '-' || numbered.position
FROM numbered JOIN orders o ON o.id = numbered.order_id
WHERE mo.id = numbered.id;

ALTER TABLE orders ALTER COLUMN reference SET NOT NULL;
ALTER TABLE maker_orders ALTER COLUMN reference SET NOT NULL;
CREATE UNIQUE INDEX orders_reference_key ON orders (reference);
-- Payouts lines, statements and invoices join on it.
CREATE UNIQUE INDEX maker_orders_reference_key ON maker_orders (reference);

-- Who sells, as their invoices name them (makers.maker.* events, `invoicing`): the legal name
-- and the VAT number (None when not VAT-registered). Makers described before these were kept
-- read as unknown until their next event.
ALTER TABLE makers ADD COLUMN legal_name text;
ALTER TABLE makers ADD COLUMN vat_number text;
