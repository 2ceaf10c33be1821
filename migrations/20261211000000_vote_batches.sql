-- Votes are written in batches: one statement (and one commit) for all the votes a replica
-- received meanwhile, with the votes of one post summed first (repository/vote_batcher.rs).
-- The rows are locked in id order before they are updated: two batches that share posts
-- (two replicas, or two batches in flight on one) then wait for each other in the same order
-- instead of deadlocking.
CREATE FUNCTION add_votes(post_ids BIGINT[], deltas BIGINT[]) RETURNS SETOF posts
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM posts WHERE id = ANY(post_ids) ORDER BY id FOR NO KEY UPDATE;
    RETURN QUERY
        UPDATE posts SET score = posts.score + votes.delta
        FROM unnest(post_ids, deltas) AS votes(id, delta)
        WHERE posts.id = votes.id
        RETURNING posts.*;
END $$;
