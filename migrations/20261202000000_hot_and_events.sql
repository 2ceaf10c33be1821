-- The hot ranking and the live event log.

-- Reddit's "hot": the order of magnitude of the score, plus the age in units of 12.5 hours.
-- A post needs 10 times the score to keep its place against one posted 12.5 hours later.
-- It changes only when a vote lands, so it is a stored column (updated by the vote's own
-- statement) with an index for keyset paging. The function is IMMUTABLE although it calls
-- extract(): the epoch of a timestamptz does not depend on the time zone (the reason extract
-- is only STABLE for the other fields).
CREATE FUNCTION post_hotness(score BIGINT, created_at TIMESTAMPTZ) RETURNS DOUBLE PRECISION
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN sign(score)::double precision * log(greatest(abs(score), 1)::double precision)
           + extract(epoch FROM created_at)::double precision / 45000;

ALTER TABLE posts
    ADD COLUMN hot DOUBLE PRECISION GENERATED ALWAYS AS (post_hotness(score, created_at)) STORED;
CREATE INDEX posts_hot_id_idx ON posts (hot, id);

-- Every change that clients see live: a new post, a post's new score, a deleted post. Replicas
-- LISTEN on `postboard_events` (the payload is the event's id) and read the events from here,
-- so that a replica whose listening connection dropped catches up from the table, and a client
-- reconnecting with Last-Event-ID gets what it missed.
CREATE TABLE events (
    id         BIGINT      PRIMARY KEY,
    kind       TEXT        NOT NULL CHECK (kind IN ('post', 'score', 'delete')),
    post_id    BIGINT      NOT NULL,
    -- The score a `score` event announces; NULL for the other kinds.
    score      BIGINT      CHECK ((kind = 'score') = (score IS NOT NULL)),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX events_created_at_idx ON events (created_at);

-- How far old events have been deleted: a client whose Last-Event-ID is below this missed
-- events that are gone, and is told to reload (`resync`).
CREATE TABLE events_pruned (
    through_id BIGINT NOT NULL
);
INSERT INTO events_pruned VALUES (0);

CREATE SEQUENCE events_id_seq;

-- Appends an event and notifies every replica. Ids must become visible in id order: a reader
-- that has seen event 11 must never later find a 10. So ids are taken under a transaction-
-- scoped advisory lock, held until commit: an event's transaction commits before the next id
-- is handed out. The callers below take it at the very end of their transactions (deferred
-- triggers), so the lock is held only while committing.
CREATE FUNCTION emit_event(event_kind TEXT, event_post_id BIGINT, event_score BIGINT)
    RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    new_id BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('postboard_events'));
    new_id := nextval('events_id_seq');
    INSERT INTO events (id, kind, post_id, score)
        VALUES (new_id, event_kind, event_post_id, event_score);
    PERFORM pg_notify('postboard_events', new_id::text);
    RETURN new_id;
END $$;

CREATE FUNCTION posts_emit_post_event() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM emit_event('post', NEW.id, NULL);
    RETURN NULL;
END $$;

CREATE FUNCTION posts_emit_delete_event() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM emit_event('delete', OLD.id, NULL);
    RETURN NULL;
END $$;

-- Whatever inserts or deletes a post (the app, a script) tells the live clients.
CREATE CONSTRAINT TRIGGER posts_post_event AFTER INSERT ON posts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION posts_emit_post_event();
CREATE CONSTRAINT TRIGGER posts_delete_event AFTER DELETE ON posts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION posts_emit_delete_event();

-- One `score` event for each of these posts that still exists, with its score as of now.
-- Votes are not events one by one: each replica gathers the posts its votes changed and
-- calls this a few times a second, so a burst of votes becomes a few events. The score is
-- read after the lock is taken, so a later event never carries an older score.
CREATE FUNCTION emit_score_events(post_ids BIGINT[]) RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    post RECORD;
    emitted INTEGER := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('postboard_events'));
    FOR post IN SELECT id, score FROM posts WHERE id = ANY(post_ids) ORDER BY id LOOP
        PERFORM emit_event('score', post.id, post.score);
        emitted := emitted + 1;
    END LOOP;
    RETURN emitted;
END $$;
