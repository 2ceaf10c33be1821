-- Bans (docs/API.md, "Moderation"): a moderator bans the client that made a post, at one of
-- two widths. Neither width is ever stored as an address: each post keeps the keyed hashes
-- (HMAC-SHA256 under `rate_limit_secret`, domain/client.rs) of its poster's address (IPv4, or
-- IPv6 /64) and network (IPv4 /24, or IPv6 /48). Posts from before this migration have none,
-- and their posters can't be banned through them.
--
-- No index on the poster keys: only a ban with `remove_posts` looks posts up by them, a rare
-- moderator action that may read the table once, while every create would pay for two more
-- indexes.
ALTER TABLE posts
    ADD COLUMN poster_address BYTEA CHECK (octet_length(poster_address) = 32),
    ADD COLUMN poster_network BYTEA CHECK (octet_length(poster_network) = 32);

-- A ban holds `client_key` (an address key or a network key; the two are hashed in different
-- domains, so one never matches the other) until `until`, or for good when it is NULL. An
-- expired ban stays until it is lifted, as a record; only unexpired ones are checked. Lifting
-- a ban deletes its row (the moderation log keeps the `ban` and `unban` entries).
CREATE TABLE bans (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope       TEXT        NOT NULL CHECK (scope IN ('address', 'network')),
    client_key  BYTEA       NOT NULL CHECK (octet_length(client_key) = 32),
    -- The post it was made from; no foreign key: a ban outlives the post.
    post_id     BIGINT      NOT NULL,
    reason      TEXT        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    moderator   TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    until       TIMESTAMPTZ CHECK (until > created_at)
);

-- Every create, vote and report asks whether its client's two keys are banned, inside the
-- statement that charges its rate limit (repository/rate_limits.rs).
CREATE INDEX bans_client_key_idx ON bans (client_key);

-- The bans that hold now: the one place of the rule "a ban holds until it ends", read by
-- every check.
CREATE VIEW bans_in_force AS
    SELECT * FROM bans WHERE until IS NULL OR until > now();

-- The view of visible posts was made with `SELECT *`, which PostgreSQL expands once: it takes
-- the new columns in again (add_votes returns rows of `posts` through it).
CREATE OR REPLACE VIEW visible_posts AS
    SELECT * FROM posts WHERE state = 'visible';
