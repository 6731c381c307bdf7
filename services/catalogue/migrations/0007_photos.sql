-- Photos: a listing's photos are images uploaded to the media service, and the catalogue keeps
-- what it knows of each image from media.image.* events.

-- The read model of images: per image the state with the highest image_version (uploaded:
-- processing; then processed: ready with its renditions, or failed with a code). `maker_id`
-- says whose it is, so a listing never shows another maker's image. No reference to makers: an
-- image's uploaded event may arrive before the catalogue has heard of its maker.
CREATE TABLE media_images (
    image_id      uuid PRIMARY KEY,
    maker_id      uuid NOT NULL,
    image_version integer NOT NULL CHECK (image_version >= 1),
    status        text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
    width         integer CHECK (width >= 1),
    height        integer CHECK (height >= 1),
    placeholder   text,                         -- a data: URL of a tiny blurred image
    urls          jsonb CHECK (jsonb_typeof(urls) = 'object'),  -- {"160": "/media/...", ...}
    failure_code  text,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT media_images_ready_has_renditions CHECK (
        status <> 'ready' OR num_nulls(width, height, placeholder, urls) = 0),
    CONSTRAINT media_images_failed_has_code CHECK (status <> 'failed' OR failure_code IS NOT NULL)
);

-- A listing's photos live in `fields` with everything else the maker edits, as the domain
-- serialises them: `photos: [{image_id, alt}]`, the first the main photo. Views read each
-- photo's image from media_images with the listing, so nothing stored goes stale when an image
-- becomes ready.
--
-- `images` was a list of external URLs typed by the maker; it is now derived (the 960 px
-- rendition of each photo) and never stored. The URLs stored so far pointed at hosts that do
-- not load, so they are dropped, not carried over: those listings have no photos until their
-- makers upload some (an edit of a public one asks for them, as publishing does).
UPDATE listings SET fields = fields - 'images' WHERE fields ? 'images';
