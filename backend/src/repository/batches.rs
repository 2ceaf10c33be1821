//! Writes in batches: group commit, for votes (`vote_batcher`) and creates without an image
//! (`create_batcher`). A single statement per request is bounded by what PostgreSQL spends per
//! statement and per commit (about 0.3 ms of its CPU here, for one row or for many); requests
//! that arrive together are written by one statement and one commit instead, each still
//! atomic and durable, and each caller is answered once its batch committed.
//!
//! Batching is "natural": a request is written at once when a writer is free, so a lone one
//! waits for nothing; while the writers are busy, the requests that arrive queue up and go
//! together in the next statement. The window is thus the time one batch takes to write, and
//! batches grow with the load. A batch that fails fails only its own callers. [`Batcher`] does
//! the gathering and the answering; each user says how one batch is written.

use std::sync::Arc;

use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot},
    task::JoinSet,
};

use super::{error::RepositoryError, pool::DbPool};

/// Requests that may wait for a writer before callers wait to hand theirs in.
const QUEUE: usize = 8192;

type Reply<R> = oneshot::Sender<Result<R, RepositoryError>>;

/// Hands requests of type `T` to a batch writer and waits for each one's answer, an `R`.
/// Cheap to clone; when the last clone is dropped, the writer writes what is still waiting and
/// stops, so no request that was handed in is lost on shutdown.
pub(super) struct Batcher<T, R> {
    requests: mpsc::Sender<(T, Reply<R>)>,
    /// What the writer writes, for the error when it has stopped ("votes", "creates").
    writes: &'static str,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Self {
            requests: self.requests.clone(),
            writes: self.writes,
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// The batcher, and the writer's task to run (in the background) until every clone of it
    /// is dropped. `write` writes one batch of at most `max_batch` requests on `pool`: one
    /// answer per request, in their order, or the error that fails them all; `writers`
    /// batches at once (`BATCH_WRITERS`: two keep PostgreSQL's work overlapping with the round
    /// trips of the other, more make batches smaller, measured for votes in BENCHMARKS.md).
    pub(super) fn start<F>(
        writes: &'static str,
        max_batch: usize,
        writers: usize,
        pool: DbPool,
        write: fn(DbPool, Vec<T>) -> F,
    ) -> (Self, impl Future<Output = ()> + Send + 'static)
    where
        F: Future<Output = Result<Vec<R>, RepositoryError>> + Send + 'static,
    {
        let (requests, incoming) = mpsc::channel(QUEUE);
        (
            Self { requests, writes },
            write_batches(incoming, max_batch, writers, move |batch| {
                write(pool.clone(), batch)
            }),
        )
    }

    /// `request`'s answer, once the batch it went into is written.
    pub(super) async fn submit(&self, request: T) -> Result<R, RepositoryError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || {
            RepositoryError::Unavailable(
                format!("the writer of {} has stopped", self.writes).into(),
            )
        };
        self.requests
            .send((request, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write_batches<T, R, F>(
    mut incoming: mpsc::Receiver<(T, Reply<R>)>,
    max_batch: usize,
    writers: usize,
    write: impl Fn(Vec<T>) -> F,
) where
    T: Send + 'static,
    R: Send + 'static,
    F: Future<Output = Result<Vec<R>, RepositoryError>> + Send + 'static,
{
    let writers = Arc::new(Semaphore::new(writers));
    let mut writing = JoinSet::new();
    while let Some(first) = incoming.recv().await {
        let mut batch = vec![first];
        // Whatever arrives while every writer is busy joins this batch.
        let permit: OwnedSemaphorePermit = loop {
            if batch.len() >= max_batch {
                break writers.clone().acquire_owned().await.expect("never closed");
            }
            tokio::select! {
                biased;
                permit = writers.clone().acquire_owned() => break permit.expect("never closed"),
                request = incoming.recv() => match request {
                    Some(request) => batch.push(request),
                    None => break writers.clone().acquire_owned().await.expect("never closed"),
                },
            }
        };
        while batch.len() < max_batch {
            match incoming.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let (requests, replies): (Vec<T>, Vec<Reply<R>>) = batch.into_iter().unzip();
        let written = write(requests);
        writing.spawn(async move {
            answer(replies, written.await);
            drop(permit);
        });
        while writing.try_join_next().is_some() {}
    }
    // Every sender is gone: the batches in flight are the last ones.
    while writing.join_next().await.is_some() {}
}

/// Each caller of a batch gets its own answer, or the batch's failure.
fn answer<R>(replies: Vec<Reply<R>>, written: Result<Vec<R>, RepositoryError>) {
    match written {
        Ok(answers) => {
            debug_assert_eq!(answers.len(), replies.len(), "one answer per request");
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(Ok(answer));
            }
        }
        Err(error) => {
            let error = Arc::new(error);
            for reply in replies {
                let _ = reply.send(Err(RepositoryError::shared(&error)));
            }
        }
    }
}
