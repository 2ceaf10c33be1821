-- One index fewer on every event (issue 21): the primary key on `seq` was an index insert per
-- event that only the numbering used, and the numbering finds its rows through the partial
-- index of the pending ones (`events_pending_idx`). Readers use the unique index on `id`.
ALTER TABLE events DROP CONSTRAINT events_pkey;

CREATE OR REPLACE FUNCTION sequence_events() RETURNS INTEGER LANGUAGE plpgsql AS $$
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
        WHERE e.id IS NULL AND e.seq = pending.seq
        RETURNING e.id)
    SELECT count(*), max(id) INTO numbered, newest FROM numbering;
    IF numbered > 0 THEN
        PERFORM setval('events_id_seq', newest);
        PERFORM pg_notify('postboard_events', newest::text);
    END IF;
    RETURN numbered;
END $$;
