-- Moderators (docs/API.md, "Moderation"): made by the operator with `postboard moderator add
-- NAME`, which prints a token once. Only the token's SHA-256 is kept. A revoked moderator's
-- row stays (revoked_at set), so the name can't be given to someone else: the moderation log
-- names moderators. Every moderator request looks its token up here, so a revocation holds on
-- every replica at once.
CREATE TABLE moderators (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,31}$'),
    token_hash  BYTEA       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);

-- The moderators' queue reads the hidden posts, a few among many: an index of just those, so
-- the queue never scans the board. (The log is read by its primary key, reports by theirs.)
CREATE INDEX posts_hidden_idx ON posts (id) WHERE state = 'hidden';
