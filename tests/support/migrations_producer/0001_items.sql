CREATE TABLE items (
    id        uuid PRIMARY KEY,
    version   integer NOT NULL DEFAULT 1,
    label     text NOT NULL
);
