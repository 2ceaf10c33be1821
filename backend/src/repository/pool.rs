//! The connection pool: sqlx `PgConnection`s lent by deadpool, used only through
//! [`DbPool::read`], [`DbPool::write`] and [`DbPool::transaction`], which decide what happens
//! to a connection after its query, so no caller can forget to.
//!
//! sqlx's own `PgPool` pings every connection when it comes back (`return_to_pool` in
//! sqlx-core 0.8, not configurable): a second round trip per query. Here a connection is
//! checked only when there is a reason to:
//! - it sat idle for a while (an idle connection is the one an outage drops silently);
//! - another connection was found broken since it was last checked (a restart, a failover or
//!   `pg_terminate_backend` takes all of them at once);
//! - a write is about to be sent on it and it has not answered anything in the last few
//!   milliseconds: a write may be retried only if it provably never reached the server, and a
//!   connection that has just answered (a ping, or the statement before) is that proof. Under
//!   load, connections answer every millisecond or so and writes go without a ping: a round
//!   trip less per vote batch, which was a seventh of the votes' throughput.
//!
//! A connection whose query broke it (I/O, protocol, a FATAL from the server) or whose query
//! was cancelled half-way (a dropped request) is closed, never lent again.

use std::{
    sync::{
        Arc, LazyLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use deadpool::managed::{self, Metrics, Object, RecycleError, RecycleResult};
use futures_core::future::BoxFuture;
use sqlx::{
    Connection, Executor as _, PgConnection, Postgres,
    postgres::{PgArguments, PgConnectOptions, PgDatabaseError, PgRow, PgSeverity},
    query::{Map, Query},
};
use tokio::{
    sync::{Semaphore, SemaphorePermit},
    time::Instant,
};

use super::error::RepositoryError;
use crate::observe::metrics::Metrics as MetricsHandle;

/// A statement as the pool runs it: a closure that makes the statement from the arguments it
/// captures and runs it on the connection it is lent. sqlx's macros encode the arguments when
/// the statement is made, so the future borrows the connection only:
/// `pool.read(|db| Box::pin(sqlx::query!("...", id).fetch_one(db)))`. The pool may call it
/// twice (a read repeated on a fresh connection). Several statements that must see each
/// other run in a [`Transaction`] instead.
///
/// Boxed, always: the futures of sqlx's generic `fetch_*`/`execute` held unboxed across an
/// `.await` of an async fn make every request's future fail to be `Send` (rustc: "implementation
/// of `Send` is not general enough", from the higher-ranked lifetime of the connection); a
/// `BoxFuture` is `Send` by its type.
pub trait Statement<T>:
    for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Sync
{
}

impl<T, F> Statement<T> for F where
    F: for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Sync
{
}

/// The settings every statement runs with.
pub const SETTINGS: &[(&str, &str)] = &[
    // No statement may hold a connection (and a request) for long.
    ("statement_timeout", "5s"),
    // Every statement of the repository has one right plan, an index walk, whatever the size
    // of the table. Left to choose, PostgreSQL keeps planning `LIMIT $1` queries afresh on
    // every execution once the table is large (the generic plan's estimate for an unknown
    // limit looks costly): a page at 1 000 000 posts cost more than at 1 000 (BENCHMARKS.md).
    ("plan_cache_mode", "force_generic_plan"),
];

/// How a transaction begins on a connection that is one server session: the [`SETTINGS`]
/// were given once, when it connected (the `options` startup parameter).
const BEGIN: &str = "BEGIN ISOLATION LEVEL READ COMMITTED";

/// How a transaction begins through a pooler in transaction mode, which refuses the `options`
/// startup parameter and lends a session for one transaction only (a session `SET` would be
/// lost, or leak to other clients): the same `BEGIN`, then the [`SETTINGS`] with `SET LOCAL`,
/// then `DEALLOCATE ALL`, all in one simple query, so in the same round trip.
///
/// `DEALLOCATE ALL`: without its statement cache sqlx 0.8.6 still prepares every statement
/// under a name of its own counter (`sqlx_s_1`, `sqlx_s_2`, ...; measured), and never closes
/// it. The session lent next may hold that name from another client ("prepared statement
/// \"sqlx_s_1\" already exists"); cleared at the start of each transaction, the names are
/// the transaction's own.
static BEGIN_POOLED: LazyLock<String> = LazyLock::new(|| {
    let begin = SETTINGS
        .iter()
        .fold(BEGIN.to_owned(), |begin, (name, value)| {
            format!("{begin}; SET LOCAL {name} = '{value}'")
        });
    format!("{begin}; DEALLOCATE ALL")
});

/// A pooled connection idle for longer than this is pinged before it is lent.
const CHECK_IF_IDLE_FOR: Duration = Duration::from_secs(1);
/// A write goes without a ping on a connection that answered this recently. A connection the
/// server dropped within this window fails the write (503) instead of moving it to another
/// connection: the same as a write that was on its way when the connection dropped.
const JUST_ANSWERED: Duration = Duration::from_millis(20);
/// How many connections a write tries before it reports the database unavailable.
const WRITE_ATTEMPTS: usize = 3;

#[derive(Clone)]
pub struct DbPool {
    pool: managed::Pool<PgConnector>,
    health: Arc<PoolHealth>,
    metrics: MetricsHandle,
    wait_timeout: Duration,
    /// Set on a [`DbPool::share`]: the turns its callers take, one per statement running.
    turns: Option<Arc<Semaphore>>,
    /// Set by [`DbPool::through_transaction_pooler`]: every statement runs in a transaction
    /// of its own, which begins with the [`SETTINGS`].
    pooled: bool,
}

impl DbPool {
    /// A lazy pool: connections are opened (and re-opened after an outage) on demand, and
    /// every wait is bounded by `wait_timeout`, so a lost database is a quick 503 and a
    /// returning one needs no restart.
    pub fn new(options: PgConnectOptions, max_size: usize, wait_timeout: Duration) -> Self {
        let health = Arc::new(PoolHealth::new());
        let connector = PgConnector {
            options,
            health: health.clone(),
        };
        let pool = managed::Pool::builder(connector)
            .max_size(max_size)
            .wait_timeout(Some(wait_timeout))
            .create_timeout(Some(wait_timeout))
            .recycle_timeout(Some(wait_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .expect("the runtime is set, as timeouts require");
        Self {
            pool,
            health,
            metrics: MetricsHandle::disabled(),
            wait_timeout,
            turns: None,
            pooled: false,
        }
    }

    /// For connections to a pooler in transaction mode (`DATABASE_POOLER=transaction`),
    /// opened without the `options` startup parameter and without sqlx's cache of named
    /// statements (see `startup::connect_options`): every statement then runs in a
    /// transaction of its own that sets the [`SETTINGS`] (see `run_statement`).
    pub fn through_transaction_pooler(self) -> Self {
        Self {
            pooled: true,
            ..self
        }
    }

    /// The statement that begins a transaction on this pool's connections.
    fn begin_statement(&self) -> &'static str {
        if self.pooled { &BEGIN_POOLED } else { BEGIN }
    }

    /// The same connections, of which the reads made through the share hold at most
    /// `connections` at once; the others wait their turn in line (first come, first served),
    /// as long as a wait for a connection may last. For a kind of read that costs much more
    /// than the rest: a burst of it then can't take every connection from the cheap ones.
    pub fn share(&self, connections: usize) -> Self {
        Self {
            turns: Some(Arc::new(Semaphore::new(connections.max(1)))),
            ..self.clone()
        }
    }

    /// The pool's size (its connections at most).
    pub fn max_size(&self) -> usize {
        self.pool.status().max_size
    }

    /// Times every wait for a connection into `metrics`.
    pub fn with_metrics(self, metrics: MetricsHandle) -> Self {
        Self { metrics, ..self }
    }

    /// Runs a query that changes nothing. If the connection turns out to be broken, the query
    /// runs once more on a checked or new connection: a read can safely be repeated.
    pub async fn read<T: Send>(&self, query: impl Statement<T>) -> Result<T, RepositoryError> {
        self.run_retrying(query).await
    }

    /// Runs a statement that changes data but may run twice without harm, like a read: no
    /// check before it is sent, and once more on a fresh connection if the first one was
    /// broken. For a rate-limit charge (counted twice during a database blip, a request is
    /// refused a little early) the round trip a [`DbPool::write`] spends on proving the
    /// connection alive costs more than it saves.
    pub async fn write_repeatable<T: Send>(
        &self,
        statement: impl Statement<T>,
    ) -> Result<T, RepositoryError> {
        self.run_retrying(statement).await
    }

    async fn run_retrying<T: Send>(&self, query: impl Statement<T>) -> Result<T, RepositoryError> {
        let _turn = self.take_turn().await?;
        let first = self.run_statement(self.lend().await?, &query).await;
        match first {
            Err(error) if is_broken(&error) => {
                tracing::info!(%error, "database connection was broken; running the query again");
                Ok(self.run_statement(self.lend().await?, &query).await?)
            }
            other => Ok(other?),
        }
    }

    /// Runs a statement that changes data, on a connection that has just proved alive. A
    /// write that fails after it was sent is never repeated (it may have been applied): the
    /// caller gets [`RepositoryError::Unavailable`].
    pub async fn write<T: Send>(&self, statement: impl Statement<T>) -> Result<T, RepositoryError> {
        let connection = self.lend_alive().await?;
        Ok(self.run_statement(connection, &statement).await?)
    }

    /// Begins a transaction on a connection that has just proved alive, like a write, and
    /// like a write never repeated once sent: for statements that must see each other's
    /// effects atomically, or hold a transaction-scoped lock while the caller does something
    /// else (see `post_lifecycle`). The caller runs the statements with [`Transaction::run`],
    /// then commits or rolls back.
    ///
    /// READ COMMITTED whatever the database's default: each statement sees every commit made
    /// before it started, which a statement run after waiting for a lock relies on.
    pub async fn begin(&self) -> Result<Transaction<'_>, RepositoryError> {
        let lent = self.lend_alive().await?;
        Ok(self.begin_on(lent).await?)
    }

    async fn begin_on(&self, mut lent: Lent) -> Result<Transaction<'_>, sqlx::Error> {
        match simple_query(&mut lent.connection().pg, self.begin_statement()).await {
            Ok(_) => Ok(Transaction { pool: self, lent }),
            Err(error) => Err(self.failed(lent, error)),
        }
    }

    /// The pool's size, idle connections and waiting callers, for metrics.
    pub fn status(&self) -> deadpool::Status {
        self.pool.status()
    }

    /// A turn of this share (nothing to wait for on the whole pool), or Unavailable once
    /// the wait has lasted as long as a wait for a connection may.
    async fn take_turn(&self) -> Result<Option<SemaphorePermit<'_>>, RepositoryError> {
        let Some(turns) = &self.turns else {
            return Ok(None);
        };
        match tokio::time::timeout(self.wait_timeout, turns.acquire()).await {
            Ok(Ok(turn)) => Ok(Some(turn)),
            Ok(Err(closed)) => Err(RepositoryError::Unavailable(closed.into())),
            Err(elapsed) => Err(RepositoryError::Unavailable(elapsed.into())),
        }
    }

    async fn lend(&self) -> Result<Lent, RepositoryError> {
        let asked_at = Instant::now();
        let object = self.pool.get().await;
        self.metrics.db_pool_wait(asked_at.elapsed());
        let object = object.map_err(|error| RepositoryError::Unavailable(error.into()))?;
        Ok(Lent(Some(object)))
    }

    /// A connection that has just answered: in the last [`JUST_ANSWERED`], or to the pool's
    /// check on its way out, or to a ping here.
    async fn lend_alive(&self) -> Result<Lent, RepositoryError> {
        let mut last_error = None;
        for _ in 0..WRITE_ATTEMPTS {
            let mut lent = self.lend().await?;
            if lent.connection().checked_at.elapsed() <= JUST_ANSWERED {
                return Ok(lent);
            }
            match lent.connection().pg.ping().await {
                Ok(()) => {
                    lent.connection().checked_at = Instant::now();
                    return Ok(lent);
                }
                Err(error) => {
                    self.health.found_broken();
                    lent.discard();
                    last_error = Some(error);
                }
            }
        }
        let error = last_error.expect("at least one attempt was made");
        Err(RepositoryError::Unavailable(error.into()))
    }

    /// Runs a single statement on `lent`, then returns the connection to the pool or closes
    /// it. Through a transaction pooler, in a transaction of its own: sqlx sends a statement
    /// as two exchanges each ending in Sync (Parse + Describe, then Bind + Execute), and
    /// outside a transaction the pooler may give the second to another server session, where
    /// the statement does not exist ("prepared statement \"sqlx_s_3\" does not exist",
    /// measured). Inside `BEGIN` ... `COMMIT` both stay on the one session, which also holds
    /// the `SET LOCAL`s.
    async fn run_statement<T>(
        &self,
        mut lent: Lent,
        statement: &impl Statement<T>,
    ) -> Result<T, sqlx::Error> {
        if self.pooled {
            let mut transaction = self.begin_on(lent).await?;
            return match statement(transaction.connection()).await {
                Ok(value) => transaction.finish("COMMIT").await.map(|()| value),
                Err(error) => Err(transaction.roll_back_after(error).await),
            };
        }
        // If this future is dropped while the query runs, `lent` is dropped with it and the
        // connection, possibly half-way through an answer, is closed.
        match statement(&mut lent.connection().pg).await {
            Ok(value) => {
                self.answered(lent);
                Ok(value)
            }
            Err(error) => Err(self.failed(lent, error)),
        }
    }

    /// Returns a connection that answered (even a refusal shows it works) to the pool.
    fn answered(&self, mut lent: Lent) {
        lent.connection().checked_at = Instant::now();
        lent.give_back();
    }

    /// After `error` on `lent`: closes the connection if the error broke it, else gives it
    /// back. Returns the error.
    fn failed(&self, lent: Lent, error: sqlx::Error) -> sqlx::Error {
        if is_broken(&error) {
            self.health.found_broken();
            lent.discard();
        } else {
            self.answered(lent);
        }
        error
    }

    /// Awaits a statement of a [`Transaction`], noting a connection that its error broke
    /// (see [`PoolHealth`]); the connection stays with the transaction.
    async fn settle<T>(
        &self,
        statement: BoxFuture<'_, Result<T, sqlx::Error>>,
    ) -> Result<T, RepositoryError> {
        statement.await.map_err(|error| {
            if is_broken(&error) {
                self.health.found_broken();
            }
            error.into()
        })
    }
}

/// The [`Transaction`] methods that run a query made in place (`query!`, `query_as!`: a
/// sqlx `Map`), one for each of sqlx's `fetch_*`: the same body, boxed (see [`Statement`]).
macro_rules! fetch_methods {
    ($($(#[$doc:meta])* $fetch:ident -> $output:ty;)*) => {$(
        $(#[$doc])*
        pub async fn $fetch<O, F>(
            &mut self,
            query: Map<'_, Postgres, F, PgArguments>,
        ) -> Result<$output, RepositoryError>
        where
            F: FnMut(PgRow) -> Result<O, sqlx::Error> + Send,
            O: Send + Unpin,
        {
            let db = &mut self.lent.connection().pg;
            self.pool.settle(Box::pin(query.$fetch(db))).await
        }
    )*};
}

/// A transaction that its caller drives (see [`DbPool::begin`]): statements through
/// [`Transaction::run`], then [`Transaction::commit`] or [`Transaction::rollback`].
/// Dropped before either (an early return on an error, a cancelled request), its connection
/// is closed, and PostgreSQL rolls the transaction back.
pub struct Transaction<'p> {
    pool: &'p DbPool,
    lent: Lent,
}

impl Transaction<'_> {
    /// Runs a [`Statement`] in the transaction: for statements that a function of the
    /// repository makes (`|db| insert_rows(db, ...)`); a query made in place goes to
    /// [`Transaction::fetch_one`] and its siblings.
    pub async fn run<T>(&mut self, statement: impl Statement<T>) -> Result<T, RepositoryError> {
        let db = &mut self.lent.connection().pg;
        self.pool.settle(statement(db)).await
    }

    fetch_methods! {
        /// The one row of a query made in place with `query!` or `query_as!`.
        fetch_one -> O;
        /// The row of a query that returns one row or none.
        fetch_optional -> Option<O>;
        /// Every row of a query.
        fetch_all -> Vec<O>;
    }

    /// Runs a statement that returns no rows (`query!` of an INSERT, UPDATE or DELETE
    /// without RETURNING); how many rows it changed.
    pub async fn execute(
        &mut self,
        statement: Query<'_, Postgres, PgArguments>,
    ) -> Result<u64, RepositoryError> {
        let db = &mut self.lent.connection().pg;
        let done = self.pool.settle(Box::pin(statement.execute(db))).await?;
        Ok(done.rows_affected())
    }

    fn connection(&mut self) -> &mut PgConnection {
        &mut self.lent.connection().pg
    }

    pub async fn commit(self) -> Result<(), RepositoryError> {
        Ok(self.finish("COMMIT").await?)
    }

    /// Undoes every statement of the transaction and releases its locks.
    pub async fn rollback(self) -> Result<(), RepositoryError> {
        Ok(self.finish("ROLLBACK").await?)
    }

    /// Rolls back after `error`, and says which error to report: the rollback's, when it broke
    /// the connection and `error` did not (it says what state the connection is in), else
    /// `error`. A connection that `error` broke is closed at once.
    async fn roll_back_after(self, error: sqlx::Error) -> sqlx::Error {
        if is_broken(&error) {
            return self.pool.failed(self.lent, error);
        }
        match self.finish("ROLLBACK").await {
            Err(rollback) if is_broken(&rollback) => rollback,
            _ => error,
        }
    }

    async fn finish(self, end: &'static str) -> Result<(), sqlx::Error> {
        let Self { pool, mut lent } = self;
        match simple_query(&mut lent.connection().pg, end).await {
            Ok(_) => {
                pool.answered(lent);
                Ok(())
            }
            Err(error) => Err(pool.failed(lent, error)),
        }
    }
}

/// Sends `sql` (BEGIN, COMMIT, ROLLBACK) as a simple query; boxed like a [`Statement`].
fn simple_query<'c>(
    db: &'c mut PgConnection,
    sql: &'static str,
) -> BoxFuture<'c, Result<(), sqlx::Error>> {
    Box::pin(async move { db.execute(sql).await.map(drop) })
}

/// A connection on loan. Dropped without [`Lent::give_back`] (the work was cancelled or the
/// connection broke), it is closed rather than returned.
struct Lent(Option<Object<PgConnector>>);

impl Lent {
    fn connection(&mut self) -> &mut PooledConnection {
        self.0.as_mut().expect("held until given back or discarded")
    }

    fn give_back(mut self) {
        drop(self.0.take());
    }

    fn discard(self) {
        drop(self);
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let Some(object) = self.0.take() {
            drop(Object::take(object));
        }
    }
}

/// Whether an error leaves the connection unusable, as opposed to a statement the database
/// refused (which leaves the connection ready for the next one) or a row that did not decode.
fn is_broken(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            let fatal = db
                .try_downcast_ref::<PgDatabaseError>()
                .is_some_and(|pg| matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic));
            let connection_lost = db.code().is_some_and(|code| {
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
            });
            fatal || connection_lost
        }
        sqlx::Error::RowNotFound
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::Encode(_)
        | sqlx::Error::TypeNotFound { .. } => false,
        _ => true,
    }
}

/// When a connection was last found broken: every connection not checked since then is
/// suspect, since whatever broke one (a restart, `pg_terminate_backend`) usually broke all.
struct PoolHealth {
    origin: Instant,
    /// Nanoseconds after `origin`; 0 = never.
    broken_at: AtomicU64,
}

impl PoolHealth {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            broken_at: AtomicU64::new(0),
        }
    }

    fn found_broken(&self) {
        let nanos = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.broken_at.fetch_max(nanos.max(1), Ordering::Relaxed);
    }

    fn suspects(&self, checked_at: Instant) -> bool {
        match self.broken_at.load(Ordering::Relaxed) {
            0 => false,
            nanos => checked_at <= self.origin + Duration::from_nanos(nanos),
        }
    }
}

/// A connection and when it was last known to work.
struct PooledConnection {
    pg: PgConnection,
    checked_at: Instant,
}

/// Opens and checks connections for the pool.
struct PgConnector {
    options: PgConnectOptions,
    health: Arc<PoolHealth>,
}

impl managed::Manager for PgConnector {
    type Type = PooledConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PooledConnection, sqlx::Error> {
        let pg = PgConnection::connect_with(&self.options).await?;
        Ok(PooledConnection {
            pg,
            checked_at: Instant::now(),
        })
    }

    async fn recycle(
        &self,
        connection: &mut PooledConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() > CHECK_IF_IDLE_FOR || self.health.suspects(connection.checked_at) {
            connection.pg.ping().await.map_err(RecycleError::Backend)?;
            connection.checked_at = Instant::now();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool that never connects: turns are taken before any connection is asked for.
    fn share_of_one(wait: Duration) -> DbPool {
        DbPool::new(PgConnectOptions::new(), 4, wait).share(1)
    }

    #[tokio::test]
    async fn a_share_lets_its_readers_in_one_turn_at_a_time() {
        let share = share_of_one(Duration::from_millis(50));
        let turn = share.take_turn().await.unwrap();
        assert!(turn.is_some());
        // The next reader waits as long as a wait for a connection may, then is told that
        // the database is unavailable (a 503), rather than waiting for ever.
        let waited = Instant::now();
        let refused = share.take_turn().await;
        assert!(matches!(refused, Err(RepositoryError::Unavailable(_))));
        assert!(waited.elapsed() >= Duration::from_millis(50));
        drop(turn);
        assert!(share.take_turn().await.unwrap().is_some());
    }

    #[tokio::test]
    async fn the_whole_pool_takes_no_turns() {
        let pool = DbPool::new(PgConnectOptions::new(), 4, Duration::from_millis(50));
        // A share's turns are its own: while its one turn is taken, the pool it came from
        // still lends without one.
        let share = pool.share(1);
        let _turn = share.take_turn().await.unwrap();
        assert!(pool.take_turn().await.unwrap().is_none());
    }
}
