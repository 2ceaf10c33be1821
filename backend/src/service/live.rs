//! The live board across replicas. PostgreSQL is the fan-out: every change is an event row
//! (written by triggers, or by [`LiveEvents::flush_scores`] for votes). Writers take no lock
//! for it: the events are numbered in batches, by whichever replica's [`LiveEvents::sequence`]
//! comes first, and each batch is announced with NOTIFY. Each replica runs one relay that LISTENs on a dedicated connection, reads the new events
//! from the table and hands them to its own clients through an in-process broadcast channel.
//! The table, not the notifications, is the source: after a lost connection the relay catches
//! up from where it was, and a client that reconnects with `Last-Event-ID` is replayed what it
//! missed (or told to reload when that is no longer kept).

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_core::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::ServiceError;
use crate::{
    domain::{Event, LastEventId},
    repository::{EventRepository, RepositoryError},
    telemetry::cause_chain,
};

/// Events kept for slow clients before they are dropped (they resume with Last-Event-ID).
/// Above what one score flush of a heavy vote load makes: at 6 000 votes a second spread over
/// many posts, a flush is ~1 500 events, sent at once, and a client that is keeping up must
/// not be dropped because it had not been scheduled yet (1 024 dropped them all).
const BROADCAST_CAPACITY: usize = 16_384;
/// Events read from the table at once.
const PAGE: i64 = 1000;
/// Votes are announced at most this often per post and replica.
const SCORE_FLUSH_EVERY: Duration = Duration::from_millis(250);
/// Events are numbered (and so sent) this often: their added latency.
const SEQUENCE_EVERY: Duration = Duration::from_millis(100);
/// The relay reads the table this often even without a notification: a safety net.
const POLL_EVERY: Duration = Duration::from_secs(5);
/// Old events are deleted this often (by every replica; it is idempotent).
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// What a client receives.
#[derive(Debug, Clone)]
pub enum Delivery {
    Event(Arc<Event>),
    /// The client missed events that are no longer kept: reload, then follow from `newest`.
    Resync {
        newest: i64,
    },
}

/// Counts for metrics and tests.
#[derive(Debug, Default)]
pub struct LiveStats {
    pub clients: AtomicU64,
    pub events_sent: AtomicU64,
    pub clients_dropped: AtomicU64,
    pub listener_reconnects: AtomicU64,
}

#[derive(Clone)]
pub struct LiveEvents {
    events: EventRepository,
    broadcast: broadcast::Sender<Arc<Event>>,
    changed_scores: Arc<Mutex<HashSet<i64>>>,
    /// Cancelled when the server starts to stop: every client's stream ends, so that the
    /// server is not kept waiting by streams that never end (clients reconnect elsewhere).
    streams_end: CancellationToken,
    stats: Arc<LiveStats>,
}

impl LiveEvents {
    /// `streams_end` ends every client's stream (graceful shutdown). The background loops
    /// below take a token of their own.
    pub fn new(events: EventRepository, streams_end: CancellationToken) -> Self {
        Self {
            events,
            broadcast: broadcast::channel(BROADCAST_CAPACITY).0,
            changed_scores: Arc::default(),
            streams_end,
            stats: Arc::default(),
        }
    }

    pub fn stats(&self) -> &LiveStats {
        &self.stats
    }

    /// Notes that a vote changed this post's score; it is announced with the next flush.
    pub fn score_changed(&self, post_id: i64) {
        self.changed_scores
            .lock()
            .expect("never poisoned")
            .insert(post_id);
    }

    /// A client's stream: what it missed since `last` (or `resync`), then every new event,
    /// until the client lags behind the broadcast (it is dropped, and resumes with
    /// `Last-Event-ID`) or the server stops.
    pub async fn subscribe(
        &self,
        last: Option<LastEventId>,
    ) -> Result<impl Stream<Item = Delivery> + Send + 'static + use<>, ServiceError> {
        // Subscribed before the table is read: an event is either in what is read, or
        // broadcast afterwards (or both; repeats are skipped by id).
        let mut live = self.broadcast.subscribe();
        let mut missed = Vec::new();
        let mut sent_up_to = 0;
        if let Some(LastEventId(last)) = last {
            let resume = self.events.resume_point(last).await?;
            if !resume.resumable {
                missed.push(Delivery::Resync {
                    newest: resume.newest,
                });
                sent_up_to = resume.newest;
            } else {
                sent_up_to = last;
                loop {
                    let page = self.events.after(sent_up_to, PAGE).await?;
                    missed.extend(
                        page.events
                            .into_iter()
                            .map(|e| Delivery::Event(Arc::new(e))),
                    );
                    sent_up_to = page.through;
                    if page.complete {
                        break;
                    }
                }
            }
        }
        let stop = self.streams_end.clone();
        let stats = self.stats.clone();
        Ok(async_stream::stream! {
            let _client = ClientGuard::new(&stats);
            for delivery in missed {
                stats.events_sent.fetch_add(1, Ordering::Relaxed);
                yield delivery;
            }
            loop {
                let event = tokio::select! {
                    () = stop.cancelled() => break,
                    received = live.recv() => received,
                };
                match event {
                    Ok(event) if event.id <= sent_up_to => {}
                    Ok(event) => {
                        sent_up_to = event.id;
                        stats.events_sent.fetch_add(1, Ordering::Relaxed);
                        yield Delivery::Event(event);
                    }
                    Err(RecvError::Lagged(_)) => {
                        stats.clients_dropped.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        })
    }

    /// The newest event's id: where a relay starting now begins.
    pub async fn newest_event_id(&self) -> Result<i64, ServiceError> {
        Ok(self.events.newest_id().await?)
    }

    /// The replica's relay, until `stop`: LISTEN, and on every notification (or every few
    /// seconds, or after a reconnect) read the events after `position` and broadcast them.
    /// Start it from the newest event id read before the server accepts clients, so that no
    /// event made after that is skipped.
    pub async fn relay(self, mut position: i64, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let mut listener = match self.events.listen().await {
                Ok(listener) => listener,
                Err(error) => {
                    if pause_after("listening for events", &error, &stop).await {
                        return;
                    }
                    continue;
                }
            };
            let mut poll = tokio::time::interval(POLL_EVERY);
            loop {
                if let Err(error) = self.catch_up(&mut position).await
                    && pause_after("reading events", &error, &stop).await
                {
                    return;
                }
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = poll.tick() => {}
                    notification = listener.next() => match notification {
                        Ok(Some(_)) => {}
                        // Reconnected (notifications sent meanwhile are lost): catch up.
                        Ok(None) => {
                            self.stats.listener_reconnects.fetch_add(1, Ordering::Relaxed);
                            tracing::info!("event listener reconnected");
                        }
                        Err(error) => {
                            self.stats.listener_reconnects.fetch_add(1, Ordering::Relaxed);
                            if pause_after("listening for events", &error, &stop).await {
                                return;
                            }
                            break;
                        }
                    },
                }
            }
        }
    }

    async fn catch_up(&self, position: &mut i64) -> Result<(), RepositoryError> {
        if self.broadcast.receiver_count() == 0 {
            // Nobody to tell: skip ahead without reading the events. A client that subscribes
            // from now on reads what it missed from the table itself, after subscribing; one
            // that subscribed while `newest` was read may have read the table before these
            // events, so the count is checked again before they are skipped.
            let newest = self.events.newest_id().await?;
            if self.broadcast.receiver_count() == 0 {
                *position = (*position).max(newest);
                return Ok(());
            }
        }
        loop {
            let page = self.events.after(*position, PAGE).await?;
            *position = page.through;
            for event in page.events {
                // No receiver is not an error: no client is connected to this replica.
                let _ = self.broadcast.send(Arc::new(event));
            }
            if page.complete {
                return Ok(());
            }
        }
    }

    /// Announces the scores that votes changed, a few times a second, until `stop` (and once
    /// more then, so that the last votes are announced before the process exits: cancel
    /// `stop` once no request is left).
    pub async fn flush_scores(self, stop: CancellationToken) {
        let mut every = tokio::time::interval(SCORE_FLUSH_EVERY);
        loop {
            let stopping = tokio::select! {
                () = stop.cancelled() => true,
                _ = every.tick() => false,
            };
            self.flush_scores_once().await;
            if stopping {
                return;
            }
        }
    }

    async fn flush_scores_once(&self) {
        let changed: Vec<i64> = {
            let mut set = self.changed_scores.lock().expect("never poisoned");
            set.drain().collect()
        };
        if changed.is_empty() {
            return;
        }
        if let Err(error) = self.events.emit_scores(&changed).await {
            let error = cause_chain(&error);
            tracing::warn!(%error, posts = changed.len(), "could not announce scores; will retry");
            self.changed_scores
                .lock()
                .expect("never poisoned")
                .extend(changed);
            return;
        }
        // Numbered now rather than at the next turn: when this replica is stopping, its last
        // scores go out before it exits.
        self.sequence_once().await;
    }

    /// Numbers the events that writers appended (on any replica) a few times a second, until
    /// `stop` (and once more then, for the last requests' events); see
    /// [`EventRepository::sequence`].
    pub async fn sequence(self, stop: CancellationToken) {
        let mut every = tokio::time::interval(SEQUENCE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stopping = tokio::select! {
                () = stop.cancelled() => true,
                _ = every.tick() => false,
            };
            self.sequence_once().await;
            if stopping {
                return;
            }
        }
    }

    async fn sequence_once(&self) {
        if let Err(error) = self.events.sequence().await {
            let error = cause_chain(&error);
            tracing::warn!(%error, "could not number new events; will retry");
        }
    }

    /// Deletes events nobody may ask for any more, every minute until `stop`.
    pub async fn prune(self, stop: CancellationToken) {
        let mut every = tokio::time::interval(PRUNE_EVERY);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => {}
            }
            if let Err(error) = self.events.prune().await {
                let error = cause_chain(&error);
                tracing::warn!(%error, "could not prune old events");
            }
        }
    }
}

/// Logs `error`, then waits a second; `true` when `stop` came meanwhile.
async fn pause_after(doing: &str, error: &RepositoryError, stop: &CancellationToken) -> bool {
    let error = cause_chain(error);
    tracing::warn!(%error, "live events: {doing} failed; retrying in 1 s");
    tokio::select! {
        () = stop.cancelled() => true,
        () = tokio::time::sleep(Duration::from_secs(1)) => false,
    }
}

/// Counts a connected client for as long as its stream lives.
struct ClientGuard(Arc<LiveStats>);

impl ClientGuard {
    fn new(stats: &Arc<LiveStats>) -> Self {
        stats.clients.fetch_add(1, Ordering::Relaxed);
        Self(stats.clone())
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.clients.fetch_sub(1, Ordering::Relaxed);
    }
}
