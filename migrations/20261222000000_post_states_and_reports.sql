-- Moderation, part one (docs/API.md, "Moderation"): a post's state, reports from readers,
-- and the public moderation log.
--
-- A post is `visible`, `hidden` (by reports, until a moderator decides) or `removed` (by a
-- moderator). The view `visible_posts` is the one place that says which posts the public
-- sees: every list, search, feed, post page, vote and live event reads it, never `posts`.
ALTER TABLE posts
    ADD COLUMN state TEXT NOT NULL DEFAULT 'visible'
        CHECK (state IN ('visible', 'hidden', 'removed'));

-- A simple view, so PostgreSQL can update through it: a vote on a post that is not visible
-- finds no row, like a vote on a post that does not exist.
CREATE VIEW visible_posts AS
    SELECT * FROM posts WHERE state = 'visible';

-- Votes go through the view (see the migration `vote_batches` for the locking order).
CREATE OR REPLACE FUNCTION add_votes(post_ids BIGINT[], deltas BIGINT[]) RETURNS SETOF posts
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM visible_posts WHERE id = ANY(post_ids) ORDER BY id FOR NO KEY UPDATE;
    RETURN QUERY
        UPDATE visible_posts AS p SET score = p.score + votes.delta
        FROM unnest(post_ids, deltas) AS votes(id, delta)
        WHERE p.id = votes.id
        RETURNING p.*;
END $$;

-- The live boards: a post that leaves the public's view is a `delete` to them, one that comes
-- back (restored by a moderator) a `post`. A post that is not visible when it is inserted is
-- no news to anyone.
CREATE OR REPLACE FUNCTION posts_emit_post_event() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'visible' THEN
        PERFORM emit_event('post', NEW.id, NULL);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION posts_emit_state_event() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'visible' THEN
        PERFORM emit_event('delete', NEW.id, NULL);
    ELSIF NEW.state = 'visible' THEN
        PERFORM emit_event('post', NEW.id, NULL);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER posts_state_event AFTER UPDATE OF state ON posts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state AND (OLD.state = 'visible' OR NEW.state = 'visible'))
    EXECUTE FUNCTION posts_emit_state_event();

-- Open reports: one row per post and reporting client (a repeat changes nothing). A
-- moderator's restore or dismiss deletes them; a deleted post takes its own along.
CREATE TABLE reports (
    post_id     BIGINT      NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- The keyed hash of the reporting client, as for the rate limits: never an address.
    reporter    BYTEA       NOT NULL CHECK (octet_length(reporter) = 32),
    reason      TEXT        NOT NULL
        CHECK (reason IN ('spam', 'abuse', 'illegal', 'sexual', 'other')),
    note        TEXT        CHECK (char_length(note) BETWEEN 1 AND 500),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, reporter)
);

-- The public log of what was done to which post, and why. A hide by reports has no
-- moderator. No foreign key: the log outlives a post its author deletes.
CREATE TABLE mod_log (
    id          BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    action      TEXT        NOT NULL
        CHECK (action IN ('hide', 'remove', 'purge', 'restore', 'dismiss', 'ban', 'unban')),
    post_id     BIGINT,
    reason      TEXT        NOT NULL,
    moderator   TEXT
);

-- Reports are rate limited like posts and votes.
ALTER TABLE rate_limits DROP CONSTRAINT rate_limits_scope_check;
ALTER TABLE rate_limits ADD CONSTRAINT rate_limits_scope_check
    CHECK (scope IN ('posts', 'votes', 'reports'));
