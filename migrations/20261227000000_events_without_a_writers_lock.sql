-- Events without a lock on the writers (issue 21).
--
-- Until now every writer took one advisory lock for its event's id and held it through its
-- commit (WAL flush included), and sent a NOTIFY, which PostgreSQL also serializes at commit:
-- all creates, deletes and score flushes committed one at a time (a bare insert into `posts`
-- ran at a quarter of its speed).
--
-- Now a writer only appends its event with `seq`, from a sequence of its own, which orders the
-- events but may become visible out of order (a later `seq` can commit first), and no id.
-- Every replica calls `sequence_events()` a few times a second. One at a time (a try-lock: the
-- others skip that turn), it numbers the pending events it can see, in `seq` order, with the
-- next ids, and sends the one NOTIFY. Ids therefore still become visible in id order, which is
-- what clients rely on: a run's ids are all larger than those of every run committed before
-- it. The lock is held by one short statement a few times a second instead of by every write.
--
-- `score` events no longer carry a score: like `post` events, they are read with the post as
-- it is then, so a later event never carries an older score however the flushes interleave,
-- and a flush writes its events without reading `posts`.

CREATE SEQUENCE events_seq;

ALTER TABLE events ADD COLUMN seq BIGINT;
UPDATE events SET seq = id;
SELECT setval('events_seq', (SELECT coalesce(max(seq), 0) + 1 FROM events), false);
ALTER TABLE events
    ALTER COLUMN seq SET DEFAULT nextval('events_seq'),
    ALTER COLUMN seq SET NOT NULL,
    DROP CONSTRAINT events_pkey,
    ALTER COLUMN id DROP NOT NULL,
    ADD PRIMARY KEY (seq),
    DROP COLUMN score;
ALTER SEQUENCE events_seq OWNED BY events.seq;
CREATE UNIQUE INDEX events_id_idx ON events (id);
-- What the next `sequence_events()` numbers.
CREATE INDEX events_pending_idx ON events (seq) WHERE id IS NULL;

-- Appends an event; `sequence_events()` gives it its id.
CREATE FUNCTION append_event(event_kind TEXT, event_post_id BIGINT) RETURNS VOID
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (kind, post_id) VALUES (event_kind, event_post_id);
END $$;

CREATE OR REPLACE FUNCTION posts_emit_post_event() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'visible' THEN
        PERFORM append_event('post', NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION posts_emit_delete_event() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM append_event('delete', OLD.id);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION posts_emit_state_event() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'visible' THEN
        PERFORM append_event('delete', NEW.id);
    ELSIF NEW.state = 'visible' THEN
        PERFORM append_event('post', NEW.id);
    END IF;
    RETURN NULL;
END $$;

DROP FUNCTION emit_event(TEXT, BIGINT, BIGINT);

-- One `score` event for each of these posts (the reader leaves out those that are gone).
CREATE OR REPLACE FUNCTION emit_score_events(post_ids BIGINT[]) RETURNS INTEGER
    LANGUAGE sql AS $$
    WITH written AS (
        INSERT INTO events (kind, post_id) SELECT 'score', unnest(post_ids) RETURNING 1)
    SELECT count(*)::INTEGER FROM written;
$$;

-- Numbers the pending events with the next ids, in `seq` order, and tells every replica.
-- Returns how many it numbered: 0 also when another replica holds the lock right now (the
-- events it cannot see yet are numbered by the next call, a moment later). The numbering is
-- one statement, so it numbers exactly the pending events of one snapshot; `events_id_seq`
-- is advanced only here, under the lock.
CREATE FUNCTION sequence_events() RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    last_id BIGINT;
    numbered INTEGER;
    newest BIGINT;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('postboard_events')) THEN
        RETURN 0;
    END IF;
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO last_id
        FROM events_id_seq;
    WITH pending AS (
        SELECT seq, row_number() OVER (ORDER BY seq) AS place
        FROM events WHERE id IS NULL),
    numbering AS (
        UPDATE events e SET id = last_id + pending.place
        FROM pending
        WHERE e.seq = pending.seq
        RETURNING e.id)
    SELECT count(*), max(id) INTO numbered, newest FROM numbering;
    IF numbered > 0 THEN
        PERFORM setval('events_id_seq', newest);
        PERFORM pg_notify('postboard_events', newest::text);
    END IF;
    RETURN numbered;
END $$;
