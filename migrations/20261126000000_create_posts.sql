-- Posts of the board. The checks repeat the domain rules so that no path into the table
-- (a script, a future bug) can store what the API would refuse.
CREATE TABLE posts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       TEXT        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    post        TEXT        NOT NULL CHECK (char_length(post) BETWEEN 1 AND 10000),
    username    TEXT        NOT NULL DEFAULT 'anonymous'
                            CHECK (char_length(username) BETWEEN 1 AND 50),
    score       BIGINT      NOT NULL DEFAULT 0,
    image_hash  TEXT        CHECK (image_hash ~ '^[0-9a-f]{64}$'),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Newest first pages walk the primary key backwards (ids grow with time).
-- Top pages walk this index backwards: ORDER BY score DESC, id DESC with a (score, id) cursor.
CREATE INDEX posts_score_id_idx ON posts (score, id);
