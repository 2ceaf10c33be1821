//! The live board across replicas. PostgreSQL is the fan-out: every change is an event row
//! (written by triggers, or by [`LiveEvents::flush_scores`] for votes). Writers take no lock
//! for it: the events are numbered in batches, by whichever replica's [`LiveEvents::sequence`]
//! comes first, and each batch is announced with NOTIFY. Each replica runs one relay that LISTENs on a dedicated connection, reads the new events
//! from the table and hands them to its own clients through an in-process broadcast channel.
//! The table, not the notifications, is the source: after a lost connection the relay catches
//! up from where it was, and a client that reconnects with `Last-Event-ID` is replayed what it
//! missed (or told to reload when that is no longer kept). The relay also keeps the newest
//! events in memory, so that a client coming back after a moment (a deploy's reconnect storm)
//! is answered without a query; an older `Last-Event-ID` is replayed from the table, a page at
//! a time as the client reads. Streams are capped per client and per replica
//! ([`StreamCaps`]).

use std::{
    collections::{HashSet, VecDeque},
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_core::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::{
    ServiceError, StreamCaps,
    replay_pages::{REPLAY_PAGE, ReplayPages},
};
use crate::{
    domain::{Event, LastEventId},
    observe::telemetry::cause_chain,
    repository::{EventRepository, RepositoryError},
};

/// Events kept for slow clients (one ring that all of this replica's clients share) before they
/// are dropped (they resume with Last-Event-ID); a client is usually cut sooner, at
/// `StreamLimits::backlog_bytes` behind. Above what one score flush of a heavy vote load
/// makes: at 6 000 votes a second spread over many posts, a flush is ~1 500 events, sent at
/// once, and a client that is keeping up must not be dropped because it had not been scheduled
/// yet (1 024 dropped them all).
const BROADCAST_CAPACITY: usize = 16_384;
/// Events the relay reads from the table at once.
const PAGE: i64 = 1000;
/// The newest events each replica keeps in memory for clients that come back.
const RECENT_KEPT: usize = 10_000;
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
    pub events_sent: AtomicU64,
    pub clients_dropped: AtomicU64,
    /// Pages of the log read for replays ([`ReplayPages`]).
    pub replay_pages_read: AtomicU64,
    pub listener_reconnects: AtomicU64,
}

/// An event as the relay broadcasts it: with the relay's running total of event bytes
/// ([`Event::approximate_size`]) through it, so that a client can tell how far behind it is.
#[derive(Clone)]
struct Relayed {
    event: Arc<Event>,
    bytes_through: u64,
}

#[derive(Clone)]
pub struct LiveEvents {
    events: EventRepository,
    broadcast: broadcast::Sender<Relayed>,
    /// The running total of event bytes the relay has broadcast (see [`Relayed`]).
    bytes_relayed: Arc<AtomicU64>,
    /// The newest events the relay read, and what it last sent: see [`Recent`]. Locked while
    /// the relay sends, so a client subscribing sees each event either here or in `broadcast`.
    recent: Arc<Mutex<Recent>>,
    /// What clients from further back than `recent` are replayed from.
    replay_pages: ReplayPages,
    caps: StreamCaps,
    changed_scores: Arc<Mutex<HashSet<i64>>>,
    /// Cancelled when the server starts to stop: every client's stream ends, so that the
    /// server is not kept waiting by streams that never end (clients reconnect elsewhere).
    streams_end: CancellationToken,
    /// The streams open now end when this is cancelled (a child of `streams_end`): when the
    /// event log lost events, its clients reconnect and are told to `resync` (see
    /// [`LiveEvents::lost_events`]). Replaced by a fresh one for the streams after.
    streams_cut: Arc<Mutex<CancellationToken>>,
    stats: Arc<LiveStats>,
    /// How far back a client that comes without `Last-Event-ID` is replayed (see
    /// [`LiveEvents::with_catch_up`]); zero: it follows from now.
    catch_up: Duration,
}

impl LiveEvents {
    /// `streams_end` ends every client's stream (graceful shutdown). The background loops
    /// below take a token of their own.
    pub fn new(events: EventRepository, caps: StreamCaps, streams_end: CancellationToken) -> Self {
        let stats = Arc::<LiveStats>::default();
        Self {
            events,
            broadcast: broadcast::channel(BROADCAST_CAPACITY).0,
            bytes_relayed: Arc::default(),
            recent: Arc::default(),
            replay_pages: ReplayPages::new(stats.clone(), caps.limits().replay_events_per_second),
            caps,
            changed_scores: Arc::default(),
            streams_cut: Arc::new(Mutex::new(streams_end.child_token())),
            streams_end,
            stats,
            catch_up: Duration::ZERO,
        }
    }

    /// A client that comes without `Last-Event-ID` is first replayed the events of the last
    /// `window`. With a read replica, the board it loaded just before may be that far
    /// behind: a post made meanwhile would otherwise be in neither the board nor the stream.
    /// (What it already has is harmless: a `post` event of a post it shows is skipped, a
    /// `score` carries the score as it is now.)
    pub fn with_catch_up(self, window: Duration) -> Self {
        Self {
            catch_up: window,
            ..self
        }
    }

    pub fn stats(&self) -> &LiveStats {
        &self.stats
    }

    /// Streams open on this replica now.
    pub fn open_streams(&self) -> usize {
        self.caps.open()
    }

    /// Notes that a vote changed this post's score; it is announced with the next flush.
    pub fn score_changed(&self, post_id: i64) {
        self.changed_scores
            .lock()
            .expect("never poisoned")
            .insert(post_id);
    }

    /// A client's stream: what it missed since `last` (or `resync`), then every new event,
    /// until the client falls `backlog_bytes` behind the newest event (it is cut, and resumes
    /// with `Last-Event-ID`) or the server stops. Refused when `client` (or this replica) has as
    /// many streams open as it may.
    pub async fn subscribe(
        &self,
        last: Option<LastEventId>,
        client: IpAddr,
    ) -> Result<impl Stream<Item = Delivery> + Send + 'static + use<>, ServiceError> {
        let permit = self.caps.admit(client)?;
        // Subscribed while `recent` is locked, and before the table is read: an event is either
        // in what is replayed, or broadcast afterwards (or both; repeats are skipped by id).
        let (mut live, start) = {
            let recent = self.recent.lock().expect("never poisoned");
            let live = self.broadcast.subscribe();
            let start = match last {
                None => Start::Now,
                Some(LastEventId(last)) => match recent.after(last) {
                    Some(events) => Start::Recent {
                        events,
                        through: recent.through,
                    },
                    None => Start::FromLog(last),
                },
            };
            (live, start)
        };
        let start = match start {
            Start::FromLog(last) => {
                let resume = self.events.resume_point(last).await?;
                if resume.resumable {
                    Start::FromLog(last)
                } else {
                    Start::Resync {
                        newest: resume.newest,
                    }
                }
            }
            Start::Now if !self.catch_up.is_zero() => {
                Start::FromLog(self.events.replay_point_since(self.catch_up).await?)
            }
            start => start,
        };
        let events = self.events.clone();
        let replay_pages = self.replay_pages.clone();
        let stop = self.streams_cut.lock().expect("never poisoned").clone();
        let stats = self.stats.clone();
        let bytes_relayed = self.bytes_relayed.clone();
        let backlog_bytes = self.caps.limits().backlog_bytes as u64;
        Ok(async_stream::stream! {
            let _permit = permit;
            let mut sent_up_to = 0;
            match start {
                Start::Now => {}
                Start::Resync { newest } => {
                    sent_up_to = newest;
                    yield Delivery::Resync { newest };
                }
                Start::Recent { events, through } => {
                    for (n, event) in events.into_iter().enumerate() {
                        // From memory as from the table: each page's worth after the first
                        // waits its turn among this replica's replays.
                        if n > 0 && n as i64 % REPLAY_PAGE == 0 {
                            tokio::select! {
                                () = stop.cancelled() => return,
                                () = Box::pin(replay_pages.pace(REPLAY_PAGE as usize)) => {}
                            }
                        }
                        stats.events_sent.fetch_add(1, Ordering::Relaxed);
                        yield Delivery::Event(event);
                    }
                    sent_up_to = through;
                }
                Start::FromLog(last) => {
                    // A page at a time, as the client reads: never the whole backlog at once.
                    sent_up_to = last;
                    loop {
                        if stop.is_cancelled() {
                            return;
                        }
                        // Boxed: in place, the query's state would make every stream's state
                        // this large, for as long as it stays open.
                        let page = match Box::pin(replay_pages.after(&events, sent_up_to)).await {
                            Ok(page) => page,
                            Err(error) => {
                                // The client reconnects and resumes where it got to.
                                let error = cause_chain(&error);
                                tracing::warn!(%error, "live events: replay failed; ending the stream");
                                return;
                            }
                        };
                        // A shared page may begin before where this client is.
                        let mut sent = 0;
                        for event in page.events.iter().filter(|event| event.id > sent_up_to) {
                            stats.events_sent.fetch_add(1, Ordering::Relaxed);
                            sent += 1;
                            yield Delivery::Event(event.clone());
                        }
                        sent_up_to = sent_up_to.max(page.through);
                        if page.complete {
                            break;
                        }
                        // The next page waits its turn among this replica's replays (which
                        // may be a while with many in line: the stream ends meanwhile if cut).
                        // Boxed, as the query above.
                        tokio::select! {
                            () = stop.cancelled() => return,
                            () = Box::pin(replay_pages.pace(sent)) => {}
                        }
                    }
                }
            }
            loop {
                let event = tokio::select! {
                    () = stop.cancelled() => break,
                    received = live.recv() => received,
                };
                match event {
                    Ok(relayed) if relayed.event.id <= sent_up_to => {}
                    Ok(relayed)
                        if bytes_relayed
                            .load(Ordering::Relaxed)
                            .saturating_sub(relayed.bytes_through)
                            > backlog_bytes =>
                    {
                        // This client reads slower than the board changes: it resumes (with
                        // Last-Event-ID) from a replay, a page at a time, or gets `resync`.
                        stats.clients_dropped.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    Ok(Relayed { event, .. }) => {
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
        self.recent
            .lock()
            .expect("never poisoned")
            .restart(position);
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
                        // Reconnected (notifications sent meanwhile are lost): listen again, then
                        // catch up from the table (which also tells whether the log kept its
                        // events).
                        Ok(None) => {
                            self.stats.listener_reconnects.fetch_add(1, Ordering::Relaxed);
                            tracing::info!("event listener reconnected");
                            break;
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

    /// The event log no longer continues from `position`: it is unlogged, so a crash of
    /// PostgreSQL, or a failover to a standby, empties it, and events the relay had not read
    /// yet are gone. Every stream open now ends, and what this replica remembers is dropped,
    /// so that each client reconnects from an id the log lacks and is told to `resync` (rather
    /// than silently missing the lost events). The relay goes on from `newest`.
    fn lost_events(&self, position: i64, newest: i64) {
        tracing::warn!(
            position,
            newest,
            "the event log lost events (PostgreSQL crashed or failed over): live clients reconnect and reload"
        );
        self.recent.lock().expect("never poisoned").restart(newest);
        let mut cut = self.streams_cut.lock().expect("never poisoned");
        cut.cancel();
        *cut = self.streams_end.child_token();
    }

    async fn catch_up(&self, position: &mut i64) -> Result<(), RepositoryError> {
        if self.broadcast.receiver_count() == 0 {
            // Nobody to tell: skip ahead without reading the events. A client that subscribes
            // from now on reads what it missed from the table itself, after subscribing; one
            // that subscribed while `newest` was read may have read the table before these
            // events, so the count is checked again (under the lock that subscribing takes)
            // before they are skipped.
            let newest = self.events.newest_id().await?;
            let mut recent = self.recent.lock().expect("never poisoned");
            if self.broadcast.receiver_count() == 0 {
                *position = newest;
                recent.restart(*position);
                return Ok(());
            }
        }
        loop {
            let page = self.events.after(*position, PAGE).await?;
            if !page.continues {
                // Asked with every page, not only when the LISTEN connection comes back: after
                // a failover the pool may reach the new primary before the listener notices.
                let newest = self.events.newest_id().await?;
                self.lost_events(*position, newest);
                *position = newest;
                return Ok(());
            }
            *position = page.through;
            let mut recent = self.recent.lock().expect("never poisoned");
            for event in page.events {
                let event = Arc::new(event);
                recent.keep(event.clone());
                // Only the relay adds to it (under the lock), so a load and a store will do.
                let bytes_through =
                    self.bytes_relayed.load(Ordering::Relaxed) + event.approximate_size() as u64;
                self.bytes_relayed.store(bytes_through, Ordering::Relaxed);
                // No receiver is not an error: no client is connected to this replica.
                let _ = self.broadcast.send(Relayed {
                    event,
                    bytes_through,
                });
            }
            recent.through = page.through;
            drop(recent);
            if page.complete {
                return Ok(());
            }
        }
    }

    /// Announces the scores that votes changed, a few times a second, until `stop` (and once
    /// more then, so that the last votes are announced before the process exits: cancel
    /// `stop` once no request is left).
    pub async fn flush_scores(self, stop: CancellationToken) {
        every_until_stopped(SCORE_FLUSH_EVERY, &stop, || self.flush_scores_once()).await;
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
        }
    }

    /// Numbers the events that writers appended (on any replica) a few times a second, until
    /// `stop` (and once more then, for the last requests' events); see
    /// [`EventRepository::sequence`].
    pub async fn sequence(self, stop: CancellationToken) {
        every_until_stopped(SEQUENCE_EVERY, &stop, || self.sequence_once()).await;
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

/// Runs `once` every `period` (a late turn delays the next ones, rather than bunching them)
/// until `stop`, and once more then, so that what the last requests left is not lost.
async fn every_until_stopped<F: Future<Output = ()>>(
    period: Duration,
    stop: &CancellationToken,
    mut once: impl FnMut() -> F,
) {
    let mut every = tokio::time::interval(period);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            () = stop.cancelled() => true,
            _ = every.tick() => false,
        };
        once().await;
        if stopping {
            return;
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

/// Where a client's stream begins.
enum Start {
    /// From now on.
    Now,
    /// `resync`: what it missed is no longer kept.
    Resync { newest: i64 },
    /// These events from memory, then on from `through`.
    Recent {
        events: Vec<Arc<Event>>,
        through: i64,
    },
    /// From the table, after this id.
    FromLog(i64),
}

/// The newest events the relay has read, oldest first: every event with an id in
/// `(from, through]` is here, except those the relay left out (see [`EventRepository::after`]).
#[derive(Default)]
struct Recent {
    from: i64,
    through: i64,
    events: VecDeque<Arc<Event>>,
}

impl Recent {
    /// Empty, from `position` on (the relay starts there, or skipped ahead to there).
    fn restart(&mut self, position: i64) {
        self.events.clear();
        self.from = position;
        self.through = position;
    }

    /// Keeps `event`, forgetting the oldest when full.
    fn keep(&mut self, event: Arc<Event>) {
        if self.events.len() == RECENT_KEPT
            && let Some(oldest) = self.events.pop_front()
        {
            self.from = oldest.id;
        }
        self.events.push_back(event);
    }

    /// The events after `last`, when this holds all of them.
    fn after(&self, last: i64) -> Option<Vec<Arc<Event>>> {
        if !(self.from..=self.through).contains(&last) {
            return None;
        }
        let first = self.events.partition_point(|event| event.id <= last);
        Some(self.events.range(first..).cloned().collect())
    }
}
