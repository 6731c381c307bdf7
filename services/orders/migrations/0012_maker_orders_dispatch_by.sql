-- A maker order's latest dispatch date (services/orders/domain/dispatch.py), kept as a column
-- so operators' overdue queue is one indexed read. Set when the maker accepts; maker orders
-- accepted before this migration get theirs from the day their timeline says they were
-- accepted, with the 3 working days of a piece already made (as weekdays: close enough for a
-- queue to chase, and corrected on their next change).
ALTER TABLE maker_orders ADD COLUMN dispatch_by date;

UPDATE maker_orders mo
SET dispatch_by = (
    SELECT d::date FROM generate_series(accepted.accepted_on + 1, accepted.accepted_on + 14, interval '1 day') AS d
    WHERE extract(isodow FROM d) < 6
    ORDER BY d OFFSET 2 LIMIT 1)
FROM (
    SELECT id, min((entry->>'at')::timestamptz AT TIME ZONE 'UTC')::date AS accepted_on
    FROM maker_orders, jsonb_array_elements(data->'timeline') AS entry
    WHERE entry->>'status' = 'in_production'
    GROUP BY id) AS accepted
WHERE mo.id = accepted.id AND mo.status IN ('in_production', 'quality_checked');

CREATE INDEX maker_orders_awaiting_dispatch ON maker_orders (dispatch_by)
    WHERE status IN ('in_production', 'quality_checked');
