//! Posts without an image inserted in batches (group commit, see `batches`): one `INSERT` and
//! one commit for the creates that arrive together ([`insert_rows`], which also leaves out the
//! rows of banned posters and moderators' names). Each caller is answered once its batch
//! committed: with its post, told apart from the others by its delete token's hash (a fresh
//! random token each), or with nothing when its row was left out. (A create with an image
//! stays a transaction of its own, under its image's lock: `post_lifecycle`.)

use std::{collections::HashMap, sync::Arc};

use tokio::sync::{mpsc, oneshot};

use super::{
    batches,
    error::RepositoryError,
    pool::DbPool,
    post_repository::{RowValues, insert_rows},
};
use crate::domain::Post;

/// Most creates in one statement: a batch carries their text (up to 10 000 characters each).
const MAX_BATCH: usize = 128;

/// The post, or `None` when its row was left out (a ban, a moderator's name).
type Reply = Result<Option<Post>, RepositoryError>;

struct PendingCreate {
    row: RowValues,
    reply: oneshot::Sender<Reply>,
}

/// Hands creates to the batch writer. Cheap to clone; when the last clone is dropped, the
/// writer writes what is still waiting and stops (see [`CreateBatcher::start`]).
#[derive(Clone)]
pub struct CreateBatcher {
    creates: mpsc::Sender<PendingCreate>,
}

impl CreateBatcher {
    /// The batcher, and the writer's task to run (in the background) until every
    /// `CreateBatcher` is dropped: no create that was handed in is lost on shutdown.
    pub fn start(pool: DbPool) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (creates, writer) = batches::start(MAX_BATCH, move |batch| {
            let pool = pool.clone();
            async move { write(&pool, batch).await }
        });
        (Self { creates }, writer)
    }

    /// Inserts `row` with the creates that arrive with it.
    pub(super) async fn insert(&self, row: RowValues) -> Reply {
        let (reply, answer) = oneshot::channel();
        let stopped = || RepositoryError::Unavailable("the create writer has stopped".into());
        self.creates
            .send(PendingCreate { row, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Writes one batch and answers each of its callers.
async fn write(pool: &DbPool, batch: Vec<PendingCreate>) {
    let (rows, replies): (Vec<RowValues>, Vec<_>) = batch
        .into_iter()
        .map(|create| (create.row, create.reply))
        .unzip();
    let mut inserted: HashMap<Vec<u8>, Post> = match pool.write(|db| insert_rows(db, &rows)).await {
        Ok(inserted) => inserted
            .into_iter()
            .map(|row| (row.delete_token_hash, row.post))
            .collect(),
        Err(error) => {
            let error = Arc::new(error);
            for reply in replies {
                let _ = reply.send(Err(RepositoryError::shared(&error)));
            }
            return;
        }
    };
    for (row, reply) in rows.iter().zip(replies) {
        let _ = reply.send(Ok(inserted.remove(row.delete_token_hash())));
    }
}
