-- Score events in one statement, and an event log without WAL.
--
-- Votes on many different posts make about one `score` event per vote (each post changed in
-- the last quarter second gets one): written row by row, each with its own NOTIFY, they cost
-- PostgreSQL more than the votes themselves. Now a flush inserts all its events with one
-- INSERT ... SELECT and sends one NOTIFY (replicas read every event after the last one they
-- saw anyway; the payload is the newest id).
--
-- The log is UNLOGGED: events are worth ten minutes at most, and after a crash (when an
-- unlogged table comes back empty) or on a promoted standby (which never had it), clients
-- are told to reload (`resync`: their Last-Event-ID is newer than the newest event). That is
-- the right trade for not writing every event to the WAL.
ALTER TABLE events SET UNLOGGED;

CREATE OR REPLACE FUNCTION emit_score_events(post_ids BIGINT[]) RETURNS INTEGER
    LANGUAGE plpgsql AS $$
DECLARE
    emitted INTEGER;
    newest BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('postboard_events'));
    WITH written AS (
        INSERT INTO events (id, kind, post_id, score)
        SELECT nextval('events_id_seq'), 'score', id, score
        FROM posts WHERE id = ANY(post_ids)
        RETURNING id)
    SELECT count(*), max(id) INTO emitted, newest FROM written;
    IF emitted > 0 THEN
        PERFORM pg_notify('postboard_events', newest::text);
    END IF;
    RETURN emitted;
END $$;
