-- Rate limits per client, shared by every replica (issue 11; docs/API.md, "Rate limits").
--
-- One row per (limit, client): the GCRA "theoretical arrival time" of the client's next
-- request. A request is allowed while tat - now() <= period - period/N; each allowed request
-- pushes tat by period/N. A row whose tat has passed means a full budget, exactly like no row:
-- such rows are deleted now and then by any replica.
--
-- UNLOGGED: the counters are not worth a WAL write and an fsync per request. After a crash of
-- PostgreSQL (or on a promoted standby) the table is empty, i.e. every client starts with a
-- full budget, which is harmless. No index on tat: updates stay HOT, and the purge scans a
-- table that holds only the clients of the last period.
CREATE UNLOGGED TABLE rate_limits (
    scope       TEXT        NOT NULL CHECK (scope IN ('posts', 'votes')),
    -- HMAC-SHA256 of the client's address (IPv6: its /64) under rate_limit_secret.key. Never
    -- the address itself.
    client_key  BYTEA       NOT NULL CHECK (octet_length(client_key) = 32),
    tat         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, client_key)
);

-- The key of that HMAC: the same for every replica, made once, here. Two version-4 UUIDs from
-- PostgreSQL's strong random source (core since PostgreSQL 13, no extension needed): 244
-- random bits.
CREATE TABLE rate_limit_secret (
    only_row    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    key         BYTEA   NOT NULL CHECK (octet_length(key) = 32)
);
INSERT INTO rate_limit_secret (key)
VALUES (decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
