//! Rate limits per client (`RATE_LIMIT_POSTS`, `RATE_LIMIT_VOTES`, `RATE_LIMIT_REPORTS`) and
//! bans, kept in PostgreSQL so that they hold for every replica together.

use std::{
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::time::Instant;

use super::ServiceError;
use crate::{
    domain::{ClientKeyer, RateLimit, RateLimitScope},
    observe::metrics::Metrics,
    observe::telemetry::cause_chain,
    repository::{Charge, RateLimitRepository},
};

/// How often a replica deletes the rows of clients whose budget is full again.
const PURGE_EVERY: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct RateLimiter {
    state: RateLimitRepository,
    keyer: ClientKeyer,
    posts: RateLimit,
    votes: RateLimit,
    reports: RateLimit,
    next_purge: Arc<Mutex<Instant>>,
    metrics: Metrics,
}

impl RateLimiter {
    pub fn new(
        state: RateLimitRepository,
        keyer: ClientKeyer,
        posts: RateLimit,
        votes: RateLimit,
        reports: RateLimit,
    ) -> Self {
        Self {
            state,
            keyer,
            posts,
            votes,
            reports,
            next_purge: Arc::new(Mutex::new(Instant::now())),
            metrics: Metrics::disabled(),
        }
    }

    /// Counts the requests refused, per scope, in `metrics`.
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Self { metrics, ..self }
    }

    /// Charges one request of the client at `client` to `scope`'s limit, or refuses it with
    /// [`ServiceError::RateLimited`] (not charged) when the client's budget is used up, or
    /// with [`ServiceError::Banned`] when a moderator banned it (at either width): both are
    /// asked in one statement, so that a banned client is told so, and not charged. The
    /// address is turned into keyed hashes here and goes no further. A limit that is off asks
    /// nothing: bans hold all the same, since the statements that write a post, a vote or a
    /// report refuse banned clients themselves.
    #[tracing::instrument(name = "service.rate_limit", skip_all, fields(scope = scope.as_str()))]
    pub async fn check(&self, scope: RateLimitScope, client: IpAddr) -> Result<(), ServiceError> {
        let limit = match scope {
            RateLimitScope::Posts => self.posts,
            RateLimitScope::Votes => self.votes,
            RateLimitScope::Reports => self.reports,
        };
        let Some(gcra) = limit.gcra() else {
            return Ok(());
        };
        let keys = self.keyer.keys_of(client);
        let charge = self.state.charge(scope, &keys, gcra).await?;
        self.purge_now_and_then();
        match charge {
            Charge::Allowed => Ok(()),
            Charge::Wait(retry_after) => {
                self.metrics.rate_limited(scope.as_str());
                Err(ServiceError::RateLimited {
                    scope,
                    limit,
                    retry_after,
                })
            }
            Charge::Banned { until } => Err(ServiceError::Banned { until }),
        }
    }

    /// At most once per [`PURGE_EVERY`] on this replica, deletes expired rows in the
    /// background. Any replica may do it, any number of times: the statement is idempotent.
    fn purge_now_and_then(&self) {
        let now = Instant::now();
        {
            let mut next = self.next_purge.lock().unwrap_or_else(|e| e.into_inner());
            if now < *next {
                return;
            }
            *next = now + PURGE_EVERY;
        }
        let state = self.state.clone();
        tokio::spawn(async move {
            match state.purge_expired().await {
                Ok(rows) => tracing::debug!(rows, "expired rate-limit rows deleted"),
                Err(error) => {
                    let error = cause_chain(&error);
                    tracing::warn!(%error, "could not delete expired rate-limit rows");
                }
            }
        });
    }
}
