//! Writes in batches: group commit, for votes (`vote_batcher`) and creates without an image
//! (`create_batcher`). A single statement per request is bounded by what PostgreSQL spends per
//! statement and per commit (about 0.3 ms of its CPU here, for one row or for many); requests
//! that arrive together are written by one statement and one commit instead, each still
//! atomic and durable, and each caller is answered once its batch committed.
//!
//! Batching is "natural": a request is written at once when a writer is free, so a lone one
//! waits for nothing; while the writers are busy, the requests that arrive queue up and go
//! together in the next statement. The window is thus the time one batch takes to write, and
//! batches grow with the load. A batch that fails fails only its own callers.

use std::sync::Arc;

use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore, mpsc},
    task::JoinSet,
};

/// Batches written at once. Two keep PostgreSQL's work overlapping with the round trips of the
/// other; more would make batches smaller (measured for votes: BENCHMARKS.md, issue 13).
const WRITERS: usize = 2;
/// Requests that may wait for a writer before callers wait to hand theirs in.
const QUEUE: usize = 8192;

/// A channel to hand requests to, and the writer's task to run (in the background) until every
/// sender is dropped: it then writes what is still waiting and stops, so no request that was
/// handed in is lost on shutdown. `write` writes one batch of at most `max_batch` requests and
/// answers their callers.
pub(super) fn start<T, F>(
    max_batch: usize,
    write: impl Fn(Vec<T>) -> F + Send + 'static,
) -> (mpsc::Sender<T>, impl Future<Output = ()> + Send + 'static)
where
    T: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let (sender, incoming) = mpsc::channel(QUEUE);
    (sender, write_batches(incoming, max_batch, write))
}

async fn write_batches<T, F>(
    mut incoming: mpsc::Receiver<T>,
    max_batch: usize,
    write: impl Fn(Vec<T>) -> F,
) where
    T: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let writers = Arc::new(Semaphore::new(WRITERS));
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
        let written = write(batch);
        writing.spawn(async move {
            written.await;
            drop(permit);
        });
        while writing.try_join_next().is_some() {}
    }
    // Every sender is gone: the batches in flight are the last ones.
    while writing.join_next().await.is_some() {}
}
