use sqlx::{FromRow, Row, postgres::PgRow};

use super::pool::DbPool;
use crate::{
    domain::{Cursor, NewPost, PageRequest, Post, ScoreChange, Sort},
    error::AppError,
};

/// The columns of [`Post`], in one place so that every statement returns the same shape.
/// `FromRow for Post` below reads them by position, in this order.
macro_rules! post_columns {
    () => {
        "id, title, post, username, score, image_hash, created_at"
    };
}

/// By position and without sqlx's per-value type check: a name lookup and a type comparison
/// for every column of every row were a visible part of a page's CPU time (BENCHMARKS.md).
/// The types are the migration's; a value that does not decode is still an error.
impl FromRow<'_, PgRow> for Post {
    fn from_row(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get_unchecked(0)?,
            title: row.try_get_unchecked(1)?,
            post: row.try_get_unchecked(2)?,
            username: row.try_get_unchecked(3)?,
            score: row.try_get_unchecked(4)?,
            image_hash: row.try_get_unchecked(5)?,
            created_at: row.try_get_unchecked(6)?,
        })
    }
}

const INSERT: &str = concat!(
    "INSERT INTO posts (title, post, username, image_hash) VALUES ($1, $2, $3, $4) RETURNING ",
    post_columns!()
);
/// The vote: one atomic statement (the benchmark runs exactly this text in pgbench).
pub const VOTE: &str = concat!(
    "UPDATE posts SET score = score + $1 WHERE id = $2 RETURNING ",
    post_columns!()
);
const NEWEST_FIRST: &str = concat!(
    "SELECT ",
    post_columns!(),
    " FROM posts ORDER BY id DESC LIMIT $1"
);
const NEWEST_AFTER: &str = concat!(
    "SELECT ",
    post_columns!(),
    " FROM posts WHERE id < $1 ORDER BY id DESC LIMIT $2"
);
const TOP_FIRST: &str = concat!(
    "SELECT ",
    post_columns!(),
    " FROM posts ORDER BY score DESC, id DESC LIMIT $1"
);
const TOP_AFTER: &str = concat!(
    "SELECT ",
    post_columns!(),
    " FROM posts WHERE (score, id) < ($1, $2) ORDER BY score DESC, id DESC LIMIT $3"
);

#[derive(Clone)]
pub struct PostRepository {
    pool: DbPool,
}

impl PostRepository {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    pub async fn insert(&self, post: &NewPost) -> Result<Post, AppError> {
        let mut db = self.pool.get().await?;
        let inserted = sqlx::query_as::<_, Post>(INSERT)
            .bind(post.title.as_str())
            .bind(post.text.as_str())
            .bind(post.username.as_str())
            .bind(post.image_hash.as_ref().map(|h| h.as_str()))
            .fetch_one(&mut *db)
            .await;
        Ok(db.release(inserted)?)
    }

    /// Adds `change` to the score in one statement, so concurrent votes never lose an update.
    /// `None` when there is no such post.
    pub async fn add_to_score(
        &self,
        post_id: i64,
        change: ScoreChange,
    ) -> Result<Option<Post>, AppError> {
        let mut db = self.pool.get().await?;
        let updated = sqlx::query_as::<_, Post>(VOTE)
            .bind(i64::from(change.value()))
            .bind(post_id)
            .fetch_optional(&mut *db)
            .await;
        Ok(db.release(updated)?)
    }

    /// One page, plus one extra row that tells whether another page exists. Every query walks
    /// an index from the cursor: the cost does not grow with the size of the board.
    pub async fn page(&self, page: &PageRequest) -> Result<Vec<Post>, AppError> {
        let fetch = i64::from(page.limit.get()) + 1;
        let query = match (page.sort, page.after) {
            (Sort::New, None) => sqlx::query_as::<_, Post>(NEWEST_FIRST).bind(fetch),
            (Sort::Top, None) => sqlx::query_as::<_, Post>(TOP_FIRST).bind(fetch),
            (_, Some(Cursor::New { id })) => {
                sqlx::query_as::<_, Post>(NEWEST_AFTER).bind(id).bind(fetch)
            }
            (_, Some(Cursor::Top { score, id })) => sqlx::query_as::<_, Post>(TOP_AFTER)
                .bind(score)
                .bind(id)
                .bind(fetch),
        };
        let mut db = self.pool.get().await?;
        let posts = query.fetch_all(&mut *db).await;
        Ok(db.release(posts)?)
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), AppError> {
        let mut db = self.pool.get().await?;
        let answered = sqlx::query("SELECT 1").execute(&mut *db).await;
        db.release(answered)?;
        Ok(())
    }
}
