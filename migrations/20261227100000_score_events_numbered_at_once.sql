-- Score events numbered as they are written (issue 21).
--
-- Under a vote load, `score` events are most of the log (one per post a flush saw changed), and
-- appending them for `sequence_events()` to number cost each an INSERT and then an UPDATE. A
-- flush is a background task of its replica, a few times a second, not a request: it can wait
-- for the numbering lock. Holding it, it first numbers what writers appended before (so the
-- order of the log is kept: a post's `post` event before its `score`), then inserts its own
-- events already numbered, and sends the one NOTIFY.
CREATE OR REPLACE FUNCTION emit_score_events(post_ids BIGINT[]) RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    last_id BIGINT;
    emitted INTEGER;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('postboard_events'));
    -- Advisory locks are reentrant: its try-lock succeeds for the holder.
    PERFORM sequence_events();
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO last_id
        FROM events_id_seq;
    INSERT INTO events (id, kind, post_id)
        SELECT last_id + place, 'score', post_id
        FROM unnest(post_ids) WITH ORDINALITY AS changed(post_id, place);
    emitted := coalesce(array_length(post_ids, 1), 0);
    IF emitted > 0 THEN
        PERFORM setval('events_id_seq', last_id + emitted);
        PERFORM pg_notify('postboard_events', (last_id + emitted)::text);
    END IF;
    RETURN emitted;
END $$;
