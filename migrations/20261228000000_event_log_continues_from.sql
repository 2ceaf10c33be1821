-- Whether the event log still continues from event `last`: every event numbered after it is
-- still here, or will be. True when `last` is in the log, or is exactly where pruning stopped
-- (0 at a log never pruned). False when events after it were pruned, or when the log lost
-- `last` itself: the log is unlogged, so a crash of PostgreSQL or a failover to a standby
-- empties it, while the id sequence goes on.
--
-- One rule for the two that ask it: a client that comes back with `Last-Event-ID`
-- (`resume_point`), and the relay, with every page it reads (`after`). The relay must ask with
-- every page and not only when its LISTEN connection comes back: after a failover its pool may
-- reach the new primary before its listener notices the old one is gone, and a page read then
-- would skip the lost events without a word.
CREATE FUNCTION event_log_continues_from(last BIGINT) RETURNS BOOLEAN
    LANGUAGE sql STABLE AS $$
    SELECT p.through_id = last
        OR (p.through_id < last AND EXISTS (SELECT 1 FROM events WHERE id = last))
    FROM events_pruned p
$$;

-- Where the log continues from now: its newest event's id, or, when it is empty, where pruning
-- stopped (after a crash the log is empty, and a client or relay told to follow from 0 would
-- not be continued from).
CREATE FUNCTION event_log_newest() RETURNS BIGINT
    LANGUAGE sql STABLE AS $$
    SELECT greatest((SELECT max(id) FROM events), p.through_id) FROM events_pruned p
$$;
