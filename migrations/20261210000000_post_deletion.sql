-- Deleting posts (issue 11).
--
-- The SHA-256 of the post's delete token; the token itself is shown once, in the answer to the
-- create, and never stored. NULL for posts created before delete tokens existed: no token
-- deletes them (the API answers 403). Every post created since has one.
ALTER TABLE posts
    ADD COLUMN delete_token_hash BYTEA CHECK (octet_length(delete_token_hash) = 32);

-- "Does any post still use this image?", asked when a post is deleted and when a post with an
-- image is created (see repository/post_lifecycle.rs): an index walk, not a scan.
CREATE INDEX posts_image_hash_idx ON posts (image_hash) WHERE image_hash IS NOT NULL;
