-- Search documents move out of `posts` into a table of their own, `post_search` (issue 21:
-- votes).
--
-- Every vote writes a new version of its post's row, never in place (not a HOT update: `score`
-- and `hot` are indexed), so every index of `posts` gets an entry for it. With the document in
-- `posts`, that included the GIN index on it: each vote appended the post's words to the
-- index's pending list, and the vote that filled the list (about one in 16 000) merged it into
-- the index then and there, for 0.3 to 0.5 s, while its batch and the votes queued behind it
-- waited. pgbench of the bare vote statement, 32 clients on 200 000 posts: max latency 464 ms
-- with that index, 73 ms without. A post's title, text and username never change, so its
-- document is written once, when the post is inserted, and no vote touches it again.
--
-- Backward-compatible with the previous release, which keeps serving during a rolling deploy:
-- `posts.search_document` stays, as a plain column (its values kept, NULL for new posts) without
-- its index, so the previous release's search still runs, slower and without the newest
-- posts, until its replicas are replaced. The release after this one drops the column.

CREATE TABLE post_search (
    post_id BIGINT PRIMARY KEY,
    document tsvector NOT NULL
);

-- Written by the insert and deleted with the post, whoever writes `posts` (no foreign key: its
-- check would lock the new post's row once more on every create).
CREATE FUNCTION posts_keep_search_document() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO post_search (post_id, document)
        VALUES (NEW.id, post_search_document(NEW.title, NEW.post, NEW.username));
    ELSE
        DELETE FROM post_search WHERE post_id = OLD.id;
    END IF;
    RETURN NULL;
END $$;

-- Created first: it locks `posts` against writers until this migration commits, so no post is
-- inserted between the copy below and the trigger.
CREATE TRIGGER posts_search_document AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_keep_search_document();

INSERT INTO post_search (post_id, document) SELECT id, search_document FROM posts;
CREATE INDEX post_search_document_idx ON post_search USING GIN (document);

ALTER TABLE posts ALTER COLUMN search_document DROP EXPRESSION;
DROP INDEX posts_search_document_idx;
