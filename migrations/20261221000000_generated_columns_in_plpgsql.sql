-- The stored columns `hot` and `search_document` are computed by functions written in SQL.
-- PostgreSQL inlines an SQL function into the plan of a query, but not into the expression of
-- a generated column: there, every INSERT (and every UPDATE that changes `score`) prepares each
-- SQL function's body afresh before it calls it. That cost a create about 50 µs of PostgreSQL
-- CPU for the search document and 22 µs for `hot` (20 000 single-row inserts in a loop, on
-- this project's 2-core machine), which made creates 17 % slower for the search column alone
-- (BENCHMARKS.md, issue 18). PL/pgSQL functions are compiled once per connection and keep
-- their expression's plan: the same values cost 17 µs and 4 µs.
--
-- The bodies are the same expressions, so they give the same values (checked for every row
-- of a seeded board before this was written) and no stored value needs recomputing. The
-- signatures, volatility and names stay, so the columns and indexes that use them do not
-- change. `search_unaccent` stays in SQL: the search query inlines it.
CREATE OR REPLACE FUNCTION post_hotness(score BIGINT, created_at TIMESTAMPTZ)
    RETURNS DOUBLE PRECISION LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN sign(score)::double precision * log(greatest(abs(score), 1)::double precision)
           + extract(epoch FROM created_at)::double precision / 45000;
END $$;

CREATE OR REPLACE FUNCTION post_search_document(title TEXT, post TEXT, username TEXT)
    RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN setweight(to_tsvector('simple'::regconfig, search_unaccent(title)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_unaccent(post)), 'B')
        || setweight(to_tsvector('simple'::regconfig, search_unaccent(username)), 'C');
END $$;
