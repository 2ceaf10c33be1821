//! Posts in PostgreSQL. Every statement is checked against the schema at compile time
//! (`sqlx::query_as!`, with the offline data in `.sqlx/`), so a migration that breaks a query
//! fails the build, not a request.

use sqlx::PgConnection;

use super::{error::RepositoryError, pool::DbPool};
use crate::domain::{
    Cursor, DeleteTokenHash, ImageHash, NewPost, PageRequest, Post, ScoreChange, Sort,
};

#[derive(Clone)]
pub struct PostRepository {
    pub(super) pool: DbPool,
}

impl PostRepository {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// Inserts a post without an image. (With an image: `insert_with_image`, in
    /// `post_lifecycle`, which first makes sure the image's object exists.)
    #[tracing::instrument(name = "repository.insert", skip_all)]
    pub async fn insert(
        &self,
        post: &NewPost,
        delete_token: &DeleteTokenHash,
    ) -> Result<Post, RepositoryError> {
        self.pool
            .write(&(post, delete_token), |db, (post, delete_token)| {
                Box::pin(insert_row(db, post, None, delete_token))
            })
            .await
    }

    /// Adds `change` to the score in one statement, so concurrent votes never lose an update.
    /// `None` when there is no such post.
    #[tracing::instrument(name = "repository.add_to_score", skip(self))]
    pub async fn add_to_score(
        &self,
        post_id: i64,
        change: ScoreChange,
    ) -> Result<Option<Post>, RepositoryError> {
        self.pool
            .write(&(post_id, change), |db, (post_id, change)| {
                Box::pin(
                    sqlx::query_as!(
                        Post,
                        "UPDATE posts SET score = score + $1 WHERE id = $2
                         RETURNING id, title, post, username, score, image_hash, created_at",
                        i64::from(change.value()),
                        post_id,
                    )
                    .fetch_optional(db),
                )
            })
            .await
    }

    /// One page, plus one extra row that tells whether another page exists. Every query walks
    /// an index from the cursor: the cost does not grow with the size of the board.
    #[tracing::instrument(name = "repository.page", skip(self))]
    pub async fn page(&self, page: &PageRequest) -> Result<Vec<Post>, RepositoryError> {
        let fetch = i64::from(page.limit.get()) + 1;
        self.pool
            .read(&(page, fetch), |db, (page, fetch)| {
                Box::pin(async move {
                    match (page.sort, page.after) {
                        (Sort::New, None) => {
                            sqlx::query_as!(
                                Post,
                                "SELECT id, title, post, username, score, image_hash, created_at
                                 FROM posts ORDER BY id DESC LIMIT $1",
                                fetch,
                            )
                            .fetch_all(db)
                            .await
                        }
                        (Sort::Top, None) => {
                            sqlx::query_as!(
                                Post,
                                "SELECT id, title, post, username, score, image_hash, created_at
                                 FROM posts ORDER BY score DESC, id DESC LIMIT $1",
                                fetch,
                            )
                            .fetch_all(db)
                            .await
                        }
                        (_, Some(Cursor::New { id })) => {
                            sqlx::query_as!(
                                Post,
                                "SELECT id, title, post, username, score, image_hash, created_at
                                 FROM posts WHERE id < $1 ORDER BY id DESC LIMIT $2",
                                id,
                                fetch,
                            )
                            .fetch_all(db)
                            .await
                        }
                        (_, Some(Cursor::Top { score, id })) => {
                            sqlx::query_as!(
                                Post,
                                "SELECT id, title, post, username, score, image_hash, created_at
                                 FROM posts WHERE (score, id) < ($1, $2)
                                 ORDER BY score DESC, id DESC LIMIT $3",
                                score,
                                id,
                                fetch,
                            )
                            .fetch_all(db)
                            .await
                        }
                    }
                })
            })
            .await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), RepositoryError> {
        self.pool
            .read(&(), |db, ()| {
                Box::pin(async move {
                    sqlx::query!("SELECT 1 AS one")
                        .fetch_one(db)
                        .await
                        .map(drop)
                })
            })
            .await
    }
}

/// The one `INSERT` of a post, with or without an image.
pub(super) async fn insert_row(
    db: &mut PgConnection,
    post: &NewPost,
    image: Option<&ImageHash>,
    delete_token: &DeleteTokenHash,
) -> Result<Post, sqlx::Error> {
    sqlx::query_as!(
        Post,
        "INSERT INTO posts (title, post, username, image_hash, delete_token_hash)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, title, post, username, score, image_hash, created_at",
        post.title.as_str(),
        post.text.as_str(),
        post.username.as_str(),
        image.map(ImageHash::as_str),
        delete_token.as_bytes(),
    )
    .fetch_one(db)
    .await
}
