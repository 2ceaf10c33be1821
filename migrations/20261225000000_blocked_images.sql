-- Blocked images (docs/API.md, "Moderation"): a purge deletes a picture from object storage
-- and blocks it, so that it can't be posted again, neither as the same bytes (`image_hash`, the
-- SHA-256 of the stored, metadata-free file) nor as a copy of the picture (its perceptual
-- fingerprints: domain/fingerprint.rs, imaging/fingerprint.rs).
CREATE TABLE blocked_images (
    image_hash  TEXT        PRIMARY KEY CHECK (image_hash ~ '^[0-9a-f]{64}$'),
    -- The post it was purged from; no foreign key: the block outlives the post.
    post_id     BIGINT      NOT NULL,
    blocked_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every replica asks each second for the images blocked lately, to drop them from its
-- in-process image cache (service/purge.rs).
CREATE INDEX blocked_images_blocked_at_idx ON blocked_images (blocked_at);

-- A blocked picture is known by a few fingerprints (as it is, and trimmed by a few borders).
-- An upload is compared with every one by Hamming distance: a scan, at about 0.1 us a row, so
-- 10 000 blocked pictures cost an image upload a few milliseconds. Pictures without a
-- fingerprint (a file the decoders can't read) are blocked by their bytes only.
CREATE TABLE blocked_fingerprints (
    image_hash  TEXT     NOT NULL REFERENCES blocked_images ON DELETE CASCADE,
    fingerprint BIT(144) NOT NULL
);
