-- No unique constraint on purpose: an event applied twice shows as two rows.
CREATE TABLE effects (
    id         bigserial PRIMARY KEY,
    item_id    uuid NOT NULL,
    version    integer NOT NULL,
    event_id   uuid NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
-- A row here clears the fault that makes `poison` items fail.
CREATE TABLE fault_cleared (id integer PRIMARY KEY);
