-- Full-text search over title, text and username (`GET /post?q=`).
--
-- The `simple` configuration: words are lowercased, never stemmed or dropped as stop words, so
-- a search works the same in every language written with spaces. Accents are folded with
-- `unaccent` on both sides (the document here, the query in the repository), so "Müller"
-- finds "muller" and "café" finds "Cafe".
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE, because its dictionary could be changed; a stored column needs an
-- IMMUTABLE function. Naming the dictionary (resolved once, when this body is parsed) pins it.
-- Changing the dictionary later would need the column recomputed: a migration, not a setting.
CREATE FUNCTION search_unaccent(value TEXT) RETURNS TEXT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN unaccent('unaccent'::regdictionary, value);

-- A title match ranks above a text match, which ranks above a username match.
CREATE FUNCTION post_search_document(title TEXT, post TEXT, username TEXT) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('simple'::regconfig, search_unaccent(title)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_unaccent(post)), 'B')
        || setweight(to_tsvector('simple'::regconfig, search_unaccent(username)), 'C');

-- The query side of the same folding: websearch syntax ("quoted phrases", -exclusion, or).
CREATE FUNCTION post_search_query(words TEXT) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN websearch_to_tsquery('simple'::regconfig, search_unaccent(words));

-- Stored, so a search reads the index and the ranks without parsing any text; a post's text
-- never changes, so the column is written once, by the insert.
ALTER TABLE posts
    ADD COLUMN search_document tsvector
        GENERATED ALWAYS AS (post_search_document(title, post, username)) STORED;
CREATE INDEX posts_search_document_idx ON posts USING GIN (search_document);
