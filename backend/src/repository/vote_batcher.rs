//! Votes written in batches: group commit. A single `UPDATE ... SET score = score + $1` per
//! vote is bounded by what PostgreSQL spends per statement and per commit; votes that arrive
//! together are written by one statement and one commit instead (`add_votes`, see the
//! migration `vote_batches`), each still atomic, durable and exact.
//!
//! Batching is "natural": a vote is written at once when a writer is free, so a lone vote waits
//! for nothing; while the writers are busy, the votes that arrive queue up and go together in
//! the next statement. The window is thus the time one batch takes to write, and batches grow
//! with the load. Each caller is answered after its batch committed, with its post as the
//! batch left it. A batch that fails fails only its own callers; an unknown post is simply not
//! updated (the caller gets `None`), so it cannot fail the others.

use std::{collections::HashMap, sync::Arc};

use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot},
    task::JoinSet,
};

use super::{error::RepositoryError, pool::DbPool};
use crate::domain::{Post, ScoreChange};

/// Batches written at once. Two keep PostgreSQL's work overlapping with the round trips of the
/// other; more would make batches smaller.
const WRITERS: usize = 2;
/// Most votes in one statement.
const MAX_BATCH: usize = 512;
/// Votes that may wait for a writer before callers wait to hand theirs in.
const QUEUE: usize = 8192;

type Reply = Result<Option<Post>, RepositoryError>;

struct PendingVote {
    post_id: i64,
    change: ScoreChange,
    reply: oneshot::Sender<Reply>,
}

/// Hands votes to the batch writer. Cheap to clone; when the last clone is dropped, the
/// writer writes what is still waiting and stops (see [`VoteBatcher::start`]).
#[derive(Clone)]
pub struct VoteBatcher {
    votes: mpsc::Sender<PendingVote>,
}

impl VoteBatcher {
    /// The batcher, and the writer's task to run (in the background) until every
    /// `VoteBatcher` is dropped: no vote that was handed in is lost on shutdown.
    pub fn start(pool: DbPool) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (votes, incoming) = mpsc::channel(QUEUE);
        (Self { votes }, write_batches(pool, incoming))
    }

    /// Adds `change` to the post's score; `None` when there is no such post.
    pub async fn add(&self, post_id: i64, change: ScoreChange) -> Reply {
        let (reply, answer) = oneshot::channel();
        let vote = PendingVote {
            post_id,
            change,
            reply,
        };
        let stopped = || RepositoryError::Unavailable("the vote writer has stopped".into());
        self.votes.send(vote).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches(pool: DbPool, mut incoming: mpsc::Receiver<PendingVote>) {
    let writers = Arc::new(Semaphore::new(WRITERS));
    let mut writing = JoinSet::new();
    while let Some(first) = incoming.recv().await {
        let mut batch = vec![first];
        // Whatever arrives while every writer is busy joins this batch.
        let permit: OwnedSemaphorePermit = loop {
            if batch.len() >= MAX_BATCH {
                break writers.clone().acquire_owned().await.expect("never closed");
            }
            tokio::select! {
                biased;
                permit = writers.clone().acquire_owned() => break permit.expect("never closed"),
                vote = incoming.recv() => match vote {
                    Some(vote) => batch.push(vote),
                    None => break writers.clone().acquire_owned().await.expect("never closed"),
                },
            }
        };
        while batch.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok(vote) => batch.push(vote),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        writing.spawn(async move {
            write(&pool, batch).await;
            drop(permit);
        });
        while writing.try_join_next().is_some() {}
    }
    // Every sender is gone: the batches in flight are the last ones.
    while writing.join_next().await.is_some() {}
}

/// Writes one batch and answers each of its callers.
async fn write(pool: &DbPool, batch: Vec<PendingVote>) {
    let mut sums: HashMap<i64, i64> = HashMap::with_capacity(batch.len());
    for vote in &batch {
        *sums.entry(vote.post_id).or_default() += i64::from(vote.change.value());
    }
    let (ids, deltas): (Vec<i64>, Vec<i64>) = sums.into_iter().unzip();
    let written = pool
        .write(&(ids, deltas), |db, (ids, deltas)| {
            Box::pin(
                sqlx::query_as!(
                    Post,
                    r#"SELECT id AS "id!", title AS "title!", post AS "post!",
                              username AS "username!", score AS "score!", image_hash,
                              image_width, image_height, created_at AS "created_at!",
                              hot AS "hot!"
                       FROM add_votes($1, $2)"#,
                    ids,
                    deltas,
                )
                .fetch_all(db),
            )
        })
        .await;
    match written {
        Ok(posts) => {
            let by_id: HashMap<i64, Post> = posts.into_iter().map(|p| (p.id, p)).collect();
            for vote in batch {
                let _ = vote.reply.send(Ok(by_id.get(&vote.post_id).cloned()));
            }
        }
        Err(error) => {
            let error = Arc::new(error);
            for vote in batch {
                let _ = vote.reply.send(Err(RepositoryError::shared(&error)));
            }
        }
    }
}
