-- The media service: its read model of makers, the images makers upload and their renditions.

-- What media knows about makers, from makers.maker.* events: per maker the snapshot with the
-- highest version. `user_id` maps an access token's subject to its maker; only an approved
-- maker uploads.
CREATE TABLE makers (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL,
    version    integer NOT NULL CHECK (version >= 1),
    status     text NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX makers_user_id_key ON makers (user_id);

-- One uploaded image. The original is kept in storage under `original_key`, named by its
-- sha256; width and height are the original's, after its orientation.
CREATE TABLE images (
    id           uuid PRIMARY KEY,
    maker_id     uuid NOT NULL REFERENCES makers (id),
    status       text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    format       text NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'heif')),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    original_key text NOT NULL,
    byte_size    bigint NOT NULL CHECK (byte_size > 0),
    width        integer NOT NULL CHECK (width >= 1),
    height       integer NOT NULL CHECK (height >= 1),
    placeholder  text,
    failure_code text,
    version      integer NOT NULL CHECK (version >= 1),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT images_ready_has_placeholder CHECK (status <> 'ready' OR placeholder IS NOT NULL),
    CONSTRAINT images_failed_has_code CHECK ((status = 'failed') = (failure_code IS NOT NULL))
);
-- The same bytes uploaded again by the same maker are the same image.
CREATE UNIQUE INDEX images_maker_sha256_key ON images (maker_id, sha256);

-- The WebP renditions of a ready image, one per nominal width (an image narrower than a width
-- has its own width there, so several widths may share one key). `key` is the sha256 of the
-- bytes: the name under which storage keeps them and GET /media/{key} serves them.
CREATE TABLE renditions (
    image_id     uuid NOT NULL REFERENCES images (id),
    width        integer NOT NULL CHECK (width IN (160, 480, 960, 1600)),
    pixel_width  integer NOT NULL CHECK (pixel_width BETWEEN 1 AND width),
    pixel_height integer NOT NULL CHECK (pixel_height >= 1),
    key          text NOT NULL CHECK (key ~ '^[0-9a-f]{64}\.webp$'),
    byte_size    integer NOT NULL CHECK (byte_size > 0),
    PRIMARY KEY (image_id, width)
);
CREATE INDEX renditions_key ON renditions (key);
