-- The displayed size of a post's image (EXIF orientation applied), so that clients can reserve
-- its space before it loads. NULL without an image, and for images stored before this column
-- existed until the server has read their size (it fills them in at startup).
ALTER TABLE posts
    ADD COLUMN image_width  INTEGER,
    ADD COLUMN image_height INTEGER,
    ADD CONSTRAINT posts_image_size_check CHECK (
        (image_width IS NULL) = (image_height IS NULL)
        AND (image_width IS NULL OR image_hash IS NOT NULL)
        AND (image_width IS NULL OR (image_width BETWEEN 1 AND 10000
                                     AND image_height BETWEEN 1 AND 10000))
    );

-- Finds the images whose size is still unknown without scanning the whole board.
CREATE INDEX posts_image_size_unknown_idx ON posts (image_hash)
    WHERE image_hash IS NOT NULL AND image_width IS NULL;
