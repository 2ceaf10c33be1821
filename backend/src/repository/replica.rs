//! A read replica (`DATABASE_REPLICA_URL`): a streaming standby of the primary that serves the
//! public board's reads (lists, search, feeds, post pages) while it is close enough behind.
//!
//! Its lag is measured here, not assumed. Every few hundred milliseconds [`Replica::watch`]
//! notes the primary's WAL position (`pg_current_wal_lsn()`) with the time it asked, then asks
//! the replica how far it has replayed (`pg_last_wal_replay_lsn()`). Once the replica has
//! replayed past a noted position, every commit acknowledged before that note was taken is
//! visible there: the note's time is how far the replica is "replayed until", and its lag is
//! now minus that. Unlike `now() - pg_last_xact_replay_timestamp()` this does not grow while
//! the primary is idle, and unlike what a replica reports of itself it also sees a replica
//! that stopped receiving, or whose replay is paused.
//!
//! A read goes to the replica only while its lag is within `REPLICA_MAX_LAG` and it has
//! replayed the reader's own last write ([`Freshness`]). A read the replica fails runs again on
//! the primary, and the replica is set aside until the watcher finds it fresh again, so a
//! replica that stops costs no failed request.

use std::{
    collections::VecDeque,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use tokio_util::sync::CancellationToken;

use super::{error::RepositoryError, pool::DbPool, search_repository::searches_share};
use crate::domain::Freshness;

/// Notes of the primary's position kept at most: a replica further behind than this many
/// checks only looks staler than it is (its newest notes are the ones kept), never fresher.
const MAX_NOTES: usize = 1024;

#[derive(Clone)]
pub struct Replica {
    pool: DbPool,
    /// The searches' share of its connections (see `search_repository::searches_share`).
    search_pool: DbPool,
    state: Arc<ReplicaState>,
}

struct ReplicaState {
    max_lag: Duration,
    /// Milliseconds since the Unix epoch: every commit acknowledged before then is visible on
    /// the replica. 0: not known to be fresh (not yet checked, or set aside).
    replayed_until: AtomicU64,
    reads: AtomicU64,
    reads_moved: AtomicU64,
}

/// Which of a database's connections a read may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// Any of them.
    Whole,
    /// The searches' share.
    Search,
}

impl Share {
    /// Of a database's connections (`whole`) and the searches' share of them (`search`),
    /// the ones this read may use.
    pub(super) fn of<'a>(self, whole: &'a DbPool, search: &'a DbPool) -> &'a DbPool {
        match self {
            Share::Whole => whole,
            Share::Search => search,
        }
    }
}

/// What a replica has served, for metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplicaStats {
    /// How far behind it is now (`None`: never found fresh, or set aside).
    pub lag: Option<Duration>,
    /// Reads it answered.
    pub reads: u64,
    /// Reads it failed, or answered "not found", that the primary then answered.
    pub reads_moved: u64,
}

impl Replica {
    pub fn new(pool: DbPool, max_lag: Duration) -> Self {
        let search_pool = searches_share(&pool);
        Self {
            pool,
            search_pool,
            state: Arc::new(ReplicaState {
                max_lag,
                replayed_until: AtomicU64::new(0),
                reads: AtomicU64::new(0),
                reads_moved: AtomicU64::new(0),
            }),
        }
    }

    pub fn stats(&self) -> ReplicaStats {
        let until = self.replayed_until();
        ReplicaStats {
            lag: until.map(|until| {
                SystemTime::now()
                    .duration_since(until)
                    .unwrap_or(Duration::ZERO)
            }),
            reads: self.state.reads.load(Ordering::Relaxed),
            reads_moved: self.state.reads_moved.load(Ordering::Relaxed),
        }
    }

    fn replayed_until(&self) -> Option<SystemTime> {
        match self.state.replayed_until.load(Ordering::Relaxed) {
            0 => None,
            millis => Some(UNIX_EPOCH + Duration::from_millis(millis)),
        }
    }

    /// The replica's connections (all, or the searches' share) for a read that must be
    /// `freshness` fresh, when the replica may serve it.
    pub(super) fn pool_for(&self, freshness: Freshness, share: Share) -> Option<&DbPool> {
        let until = self.replayed_until()?;
        let lag = SystemTime::now()
            .duration_since(until)
            .unwrap_or(Duration::ZERO);
        let serves = lag <= self.state.max_lag && freshness.satisfied_by(until);
        serves.then_some(share.of(&self.pool, &self.search_pool))
    }

    /// The replica answered a read.
    pub(super) fn answered(&self) {
        self.state.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// The replica lacked what a read looked for (a post it has not replayed yet, maybe):
    /// the primary is asked.
    pub(super) fn lacked(&self) {
        self.state.reads_moved.fetch_add(1, Ordering::Relaxed);
    }

    /// The replica failed a read: the primary is asked, and reads stay there until the
    /// watcher finds the replica fresh again.
    pub(super) fn failed(&self, error: &RepositoryError) {
        tracing::warn!(%error, "the read replica failed a read; reading from the primary until it answers again");
        self.set_aside();
        self.state.reads_moved.fetch_add(1, Ordering::Relaxed);
    }

    /// Sends reads to the primary until the watcher finds the replica fresh again.
    fn set_aside(&self) {
        self.state.replayed_until.store(0, Ordering::Relaxed);
    }

    fn replayed(&self, until: SystemTime) {
        let millis = until
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let millis = u64::try_from(millis).unwrap_or(u64::MAX).max(1);
        self.state
            .replayed_until
            .fetch_max(millis, Ordering::Relaxed);
    }

    /// Measures the replica's lag against `primary` until `stop` (see the module's comment).
    pub async fn watch(self, primary: DbPool, stop: CancellationToken) {
        let every =
            (self.state.max_lag / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        let mut notes: VecDeque<(SystemTime, i64)> = VecDeque::new();
        let mut was_answering = true;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            let asked_at = SystemTime::now();
            match primary.read(primary_position).await {
                Ok(position) => notes.push_back((asked_at, position)),
                Err(error) => tracing::debug!(%error, "cannot read the primary's WAL position"),
            }
            while notes.len() > MAX_NOTES {
                notes.pop_front();
            }
            let answer = self.pool.read(replayed_position).await;
            let answering = matches!(answer, Ok(Some(_)));
            match answer {
                Ok(Some(replayed)) => {
                    let mut fresh_until = None;
                    while let Some(&(at, position)) = notes.front() {
                        if position > replayed {
                            break;
                        }
                        fresh_until = Some(at);
                        notes.pop_front();
                    }
                    if let Some(at) = fresh_until {
                        self.replayed(at);
                    }
                    if !was_answering {
                        tracing::info!("the read replica answers again");
                    }
                }
                Ok(None) => {
                    self.set_aside();
                    if was_answering {
                        tracing::warn!(
                            "DATABASE_REPLICA_URL leads to a server that is not a standby (promoted?); reading from the primary"
                        );
                    }
                }
                Err(error) => {
                    self.set_aside();
                    if was_answering {
                        tracing::warn!(%error, "the read replica does not answer; reading from the primary");
                    }
                }
            }
            was_answering = answering;
        }
    }
}

/// Where the primary writes its WAL now, in bytes from the start.
fn primary_position(
    db: &mut sqlx::PgConnection,
) -> futures_core::future::BoxFuture<'_, Result<i64, sqlx::Error>> {
    Box::pin(
        sqlx::query_scalar!(
            r#"SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS "position!""#
        )
        .fetch_one(db),
    )
}

/// How far a standby has replayed the primary's WAL; `None` on a server that is not a standby.
fn replayed_position(
    db: &mut sqlx::PgConnection,
) -> futures_core::future::BoxFuture<'_, Result<Option<i64>, sqlx::Error>> {
    Box::pin(
        sqlx::query_scalar!(
            r#"SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS "position""#
        )
        .fetch_one(db),
    )
}
