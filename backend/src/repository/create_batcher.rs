//! Posts without an image inserted in batches (group commit, see `batches`): one `INSERT` and
//! one commit for the creates that arrive together ([`insert_rows`], which also leaves out the
//! rows of banned posters and moderators' names). Each caller is answered once its batch
//! committed: with its post, told apart from the others by its delete token's hash (a fresh
//! random token each), or with nothing when its row was left out. (A create with an image
//! stays a transaction of its own, under its image's lock: `post_lifecycle`.)

use std::collections::HashMap;

use super::{
    batches::Batcher,
    error::RepositoryError,
    pool::DbPool,
    post_repository::{RowValues, insert_rows},
};
use crate::domain::Post;

/// Most creates in one statement: a batch carries their text (up to 10 000 characters each).
const MAX_BATCH: usize = 128;

/// Hands creates to the batch writer (see [`Batcher`]). Each is answered with its post, or
/// `None` when its row was left out (a ban, a moderator's name).
#[derive(Clone)]
pub struct CreateBatcher(Batcher<RowValues, Option<Post>>);

impl CreateBatcher {
    /// The batcher (`writers` batches at once), and the writer's task to run (in the
    /// background) until every `CreateBatcher` is dropped: no create that was handed in is lost on
    /// shutdown.
    pub fn start(
        pool: DbPool,
        writers: usize,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (batcher, writer) = Batcher::start("creates", MAX_BATCH, writers, pool, write);
        (Self(batcher), writer)
    }

    /// Inserts `row` with the creates that arrive with it.
    pub(super) async fn insert(&self, row: RowValues) -> Result<Option<Post>, RepositoryError> {
        self.0.submit(row).await
    }
}

/// Writes one batch: each row's post, or `None` for a row left out.
async fn write(pool: DbPool, rows: Vec<RowValues>) -> Result<Vec<Option<Post>>, RepositoryError> {
    let mut inserted: HashMap<Vec<u8>, Post> = pool
        .write(|db| insert_rows(db, &rows))
        .await?
        .into_iter()
        .map(|row| (row.delete_token_hash, row.post))
        .collect();
    Ok(rows
        .iter()
        .map(|row| inserted.remove(row.delete_token_hash()))
        .collect())
}
