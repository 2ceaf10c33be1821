//! The connection pool: sqlx `PgConnection`s lent out by deadpool.
//!
//! sqlx's own `PgPool` pings every connection when it comes back (`return_to_pool` in
//! sqlx-core 0.8, not configurable), so every query costs PostgreSQL a second round trip.
//! Here a connection is checked only before it is lent after sitting idle. One that broke
//! (I/O or protocol error) or whose query was cut short (a dropped request: its answer may be
//! half read) is closed instead of lent again.

use std::{
    ops::{Deref, DerefMut},
    time::Duration,
};

use deadpool::managed::{self, Metrics, Object, RecycleError, RecycleResult};
use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};

/// A pooled connection is pinged before it is lent only if it was last lent longer ago than
/// this: only an idle connection is likely to have been dropped silently (an outage, a
/// restart), and under load the check would double the round trips.
const CHECK_IF_IDLE_FOR: Duration = Duration::from_secs(1);

pub type PoolError = managed::PoolError<sqlx::Error>;

#[derive(Clone)]
pub struct DbPool(managed::Pool<PgConnector>);

impl DbPool {
    /// A lazy pool: connections are opened (and re-opened after an outage) on demand, and
    /// every wait is bounded by `wait_timeout`, so a lost database is a quick 503 and a
    /// returning one needs no restart.
    pub fn new(options: PgConnectOptions, max_size: usize, wait_timeout: Duration) -> Self {
        let pool = managed::Pool::builder(PgConnector { options })
            .max_size(max_size)
            .wait_timeout(Some(wait_timeout))
            .create_timeout(Some(wait_timeout))
            .recycle_timeout(Some(wait_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .expect("the runtime is set, as timeouts require");
        Self(pool)
    }

    pub async fn get(&self) -> Result<DbConnection, PoolError> {
        Ok(DbConnection(Some(self.0.get().await?)))
    }
}

/// A connection on loan. Hand it back with [`DbConnection::release`]; dropped without that
/// (the work was cancelled), it is closed.
pub struct DbConnection(Option<Object<PgConnector>>);

impl DbConnection {
    /// Returns the connection to the pool, unless `result` shows it broken; passes `result` on.
    pub fn release<T>(mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if !matches!(&result, Err(error) if is_broken(error)) {
            drop(self.0.take());
        }
        result
    }
}

impl Deref for DbConnection {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        self.0.as_ref().expect("held until released")
    }
}

impl DerefMut for DbConnection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.0.as_mut().expect("held until released")
    }
}

impl Drop for DbConnection {
    fn drop(&mut self) {
        if let Some(connection) = self.0.take() {
            drop(Object::take(connection));
        }
    }
}

/// Whether an error leaves the connection unusable, as opposed to a statement the database
/// refused or a row that did not decode.
fn is_broken(error: &sqlx::Error) -> bool {
    !matches!(
        error,
        sqlx::Error::Database(_)
            | sqlx::Error::RowNotFound
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::TypeNotFound { .. }
    )
}

/// Opens and checks connections for the pool.
struct PgConnector {
    options: PgConnectOptions,
}

impl managed::Manager for PgConnector {
    type Type = PgConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<PgConnection, sqlx::Error> {
        PgConnection::connect_with(&self.options).await
    }

    async fn recycle(
        &self,
        connection: &mut PgConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() > CHECK_IF_IDLE_FOR {
            connection.ping().await.map_err(RecycleError::Backend)?;
        }
        Ok(())
    }
}
