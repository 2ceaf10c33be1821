//! Rate-limit state in PostgreSQL (tables `rate_limits` and `rate_limit_secret`, see the
//! migration), shared by every replica: a limit holds for the whole fleet, and no replica ever
//! needs to talk to another.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{error::RepositoryError, pool::DbPool};
use crate::domain::{ClientKeys, Gcra, RateLimitScope};

/// What charging a request to a rate limit came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Counted: go ahead.
    Allowed,
    /// Over the limit: not counted; try again after this long.
    Wait(Duration),
    /// The client is banned (`until`: `None` for good): not counted.
    Banned { until: Option<DateTime<Utc>> },
}

#[derive(Clone)]
pub struct RateLimitRepository {
    pool: DbPool,
}

impl RateLimitRepository {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// The key under which client addresses are hashed: made once by a migration, the same
    /// for every replica.
    pub async fn secret(&self) -> Result<[u8; 32], RepositoryError> {
        let key = self
            .pool
            .read(|db| {
                Box::pin(sqlx::query_scalar!("SELECT key FROM rate_limit_secret").fetch_one(db))
            })
            .await?;
        <[u8; 32]>::try_from(key).map_err(|_| {
            RepositoryError::Query(Box::new(sqlx::Error::Decode(
                "rate_limit_secret.key is not 32 bytes".into(),
            )))
        })
    }

    /// Charges one request of `client` to `scope`, in one statement (GCRA), unless the
    /// client is banned at either width: the ban check costs no statement of its own. Allowed
    /// when the client's `tat` is at most `tolerance` ahead of now, and then `tat` moves on by
    /// `interval`; otherwise nothing changes and the answer is how long to wait. The row's
    /// lock serialises concurrent requests of one client, on every replica. Sent without a
    /// liveness check and repeated once after a broken connection
    /// ([`DbPool::write_repeatable`]): a charge counted twice in a blip is harmless.
    ///
    /// The wait is read from the statement's snapshot: exact, unless another request of the
    /// same client committed meanwhile (then it may be a little short; the next try is
    /// answered with a fresh figure). A client whose row the statement cannot see yet (its
    /// first request, being committed concurrently) is told one interval.
    #[tracing::instrument(name = "repository.rate_limit", skip_all, fields(scope = scope.as_str()))]
    pub async fn charge(
        &self,
        scope: RateLimitScope,
        client: &ClientKeys,
        gcra: Gcra,
    ) -> Result<Charge, RepositoryError> {
        let row = self
            .pool
            .write_repeatable(|db| {
                Box::pin(
                    sqlx::query!(
                        r#"WITH ban AS (
                               SELECT until FROM bans_in_force WHERE client_key IN ($2, $5)
                               ORDER BY until DESC NULLS FIRST LIMIT 1
                           ), taken AS (
                               INSERT INTO rate_limits AS r (scope, client_key, tat)
                               SELECT $1, $2, now() + $3::bigint * interval '1 microsecond'
                               WHERE NOT EXISTS (SELECT FROM ban)
                               ON CONFLICT (scope, client_key) DO UPDATE
                                   SET tat = greatest(r.tat, now()) + $3::bigint * interval '1 microsecond'
                                   WHERE greatest(r.tat, now()) - now()
                                         <= $4::bigint * interval '1 microsecond'
                               RETURNING 1
                           )
                           SELECT EXISTS (SELECT FROM ban) AS "banned!",
                                  (SELECT until FROM ban) AS banned_until,
                                  EXISTS (SELECT FROM taken) AS "allowed!",
                                  (SELECT (extract(epoch FROM tat - now()) * 1000000)::bigint - $4::bigint
                                     FROM rate_limits WHERE scope = $1 AND client_key = $2)
                                      AS wait_micros"#,
                        scope.as_str(),
                        client.address.as_bytes(),
                        gcra.interval_micros,
                        gcra.tolerance_micros,
                        client.network.as_bytes(),
                    )
                    .fetch_one(db),
                )
            })
            .await?;
        if row.banned {
            return Ok(Charge::Banned {
                until: row.banned_until,
            });
        }
        if row.allowed {
            return Ok(Charge::Allowed);
        }
        let wait = row.wait_micros.unwrap_or(gcra.interval_micros).max(0);
        Ok(Charge::Wait(Duration::from_micros(wait.unsigned_abs())))
    }

    /// Deletes the rows of clients whose budget is full again (`tat` passed): for the
    /// algorithm, such a row and no row are the same. Returns how many went.
    #[tracing::instrument(name = "repository.purge_rate_limits", skip_all)]
    pub async fn purge_expired(&self) -> Result<u64, RepositoryError> {
        self.pool
            .write(|db| {
                Box::pin(async move {
                    let done = sqlx::query!("DELETE FROM rate_limits WHERE tat < now()")
                        .execute(db)
                        .await?;
                    Ok(done.rows_affected())
                })
            })
            .await
    }
}
