//! Wiring: connect to PostgreSQL and S3 (waiting for them to come up), apply migrations,
//! ensure the bucket, bind the listener (and the metrics listener, when `METRICS_ADDR` is set)
//! and serve until asked to stop.

use std::{future::Future, net::SocketAddr, str::FromStr, sync::Arc, time::Duration};

use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};
use tokio::{net::TcpListener, task::JoinSet, time::Instant};
use tokio_util::sync::CancellationToken;

use secrecy::{ExposeSecret, SecretString};

use crate::{
    config::{Config, DatabasePooler, redact_url},
    domain::{CLOCK_MARGIN, ClientKeyer},
    http::{self, AppState, ConnectionDeadlines, Services},
    imaging::ImageProcessor,
    observe::{
        metrics::{Metrics, ReplicaSample, Sample},
        telemetry::cause_chain,
    },
    repository::{
        CreateBatcher, DbPool, EventRepository, ModeratorRepository, PostRepository,
        RateLimitRepository, Replica, RepositoryError, SETTINGS, VoteBatcher,
    },
    service::{LiveEvents, ModerationRules, PostService, RateLimiter, StreamCaps},
    storage::{ImageCache, ImageStore},
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATABASE_URL is invalid: {0}")]
    DatabaseUrl(sqlx::Error),
    #[error("{what} did not come up within {timeout:?}: {last_error}")]
    GaveUpWaiting {
        what: &'static str,
        timeout: Duration,
        last_error: String,
    },
    #[error("migrations failed: {0}")]
    Migrations(#[from] sqlx::migrate::MigrateError),
    #[error("cannot read the event log: {0}")]
    EventLog(#[source] crate::service::ServiceError),
    #[error("cannot read the rate-limit key (table rate_limit_secret): {0}")]
    RateLimitSecret(RepositoryError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// `Config::header_timeout` and `Config::send_timeout`.
    deadlines: ConnectionDeadlines,
    /// Cancelled as soon as the server is asked to stop: ends the live streams, which would
    /// otherwise keep the graceful shutdown waiting.
    streams_end: CancellationToken,
    /// Cancelled once no request is left: ends the background loops (the score flusher
    /// announces the last votes first). The vote and create writers end by themselves when
    /// the last handle to each is dropped, after writing everything they were given.
    background_stop: CancellationToken,
    /// The replica's background work: the vote and create writers, the event relay and
    /// numbering, score announcements, pruning, filling in image sizes, following purges,
    /// merging new posts' search entries.
    background: JoinSet<()>,
    /// `GET /metrics` on a port of its own, when `METRICS_ADDR` is set.
    metrics: Option<(TcpListener, axum::Router)>,
}

/// How long after its commit an event reaches the clients at most, about (events are numbered
/// ten times a second, then relayed).
const RELAY_DELAY: Duration = Duration::from_secs(1);

/// How long the background work may take to finish once the server stops (writing the last
/// votes, announcing their scores).
const BACKGROUND_GRACE: Duration = Duration::from_secs(10);

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let listen_options = migrated_database(&config, config.startup_timeout)
            .await?
            .application_name("postboard-listener");
        // One recorder per application, not the process's global one (see `metrics`).
        let metrics = match config.metrics_addr {
            Some(_) => Metrics::prometheus(),
            None => Metrics::disabled(),
        };
        let pool = database_pool(
            &config,
            &config.database_url,
            config.database_max_connections,
            Duration::from_secs(3),
        )?
        .with_metrics(metrics.clone());
        // A replica that hangs must not hold a read for long: after a second the read goes
        // to the primary.
        let replica = match &config.database_replica_url {
            Some(url) => Some(Replica::new(
                database_pool(
                    &config,
                    url,
                    config.database_max_connections,
                    Duration::from_secs(1),
                )?,
                config.replica_max_lag,
            )),
            None => None,
        };
        let sampled_pool = pool.clone();

        let images = ImageStore::new(&config.s3)
            .with_cache(ImageCache::new(config.image_cache_bytes))
            .with_metrics(metrics.clone());
        wait_for("object storage", config.startup_timeout, || {
            images.ensure_bucket()
        })
        .await?;

        let limit_state = RateLimitRepository::new(pool.clone());
        let secret = limit_state
            .secret()
            .await
            .map_err(StartupError::RateLimitSecret)?;
        let client_keys = ClientKeyer::new(secret);
        let limits = RateLimiter::new(
            limit_state,
            client_keys.clone(),
            config.rate_limit_posts,
            config.rate_limit_votes,
            config.rate_limit_reports,
        )
        .with_metrics(metrics.clone());
        let streams_end = CancellationToken::new();
        let background_stop = CancellationToken::new();
        let mut live = LiveEvents::new(
            EventRepository::new(pool.clone(), listen_options),
            StreamCaps::new(config.stream_limits, client_keys.clone()),
            streams_end.clone(),
        );
        let (votes, vote_writer) = VoteBatcher::start(pool.clone(), config.batch_writers);
        let (creates, create_writer) = CreateBatcher::start(pool.clone(), config.batch_writers);
        let mut posts = PostRepository::new(pool.clone(), votes, creates);
        let mut background = JoinSet::new();
        if let Some(replica) = &replica {
            posts = posts.with_replica(replica.clone());
            // A board read from the replica may be this far behind (see `with_catch_up`).
            live = live.with_catch_up(config.replica_max_lag + CLOCK_MARGIN + RELAY_DELAY);
            background.spawn(replica.clone().watch(pool.clone(), background_stop.clone()));
        }
        let service = PostService::new(
            posts,
            images,
            ImageProcessor::default(),
            live.clone(),
            ModeratorRepository::new(pool),
            client_keys,
            ModerationRules {
                reports_to_hide: config.reports_to_hide,
                premoderate_images: config.premoderate_images,
            },
        );
        let relay_from = live
            .newest_event_id()
            .await
            .map_err(StartupError::EventLog)?;
        background.spawn(vote_writer);
        background.spawn(create_writer);
        background.spawn(live.clone().relay(relay_from, background_stop.clone()));
        background.spawn(live.clone().flush_scores(background_stop.clone()));
        background.spawn(live.clone().sequence(background_stop.clone()));
        background.spawn(live.clone().prune(background_stop.clone()));
        background.spawn(fill_in_image_sizes(service.clone()));
        background.spawn(service.clone().follow_purges(background_stop.clone()));
        background.spawn(
            service
                .clone()
                .merge_search_entries(background_stop.clone()),
        );
        background.spawn(metrics.clone().upkeep(background_stop.clone()));
        let sampler = sampler(sampled_pool, replica, &live, &service);
        let state = AppState::new(Services {
            post_service: service,
            live,
            max_image_bytes: config.max_image_bytes,
            limits,
            trusted_proxies: config.trusted_proxies.clone(),
            public_url: config.public_url.clone(),
            feeds: Default::default(),
        });
        let router = http::router(state, &config, &metrics);
        let listener = bind(config.bind_addr).await?;
        let metrics = match config.metrics_addr {
            Some(addr) => Some((bind(addr).await?, http::metrics_router(metrics, sampler))),
            None => None,
        };
        // Secrets are `SecretString`s: `Config`'s Debug output shows `[REDACTED]` for them.
        let database = redact_url(config.database_url.expose_secret());
        tracing::info!(config = ?config, %database, "postboard is ready");
        Ok(Self {
            listener,
            router,
            deadlines: ConnectionDeadlines {
                head: config.header_timeout,
                send: config.send_timeout,
            },
            streams_end,
            background_stop,
            background,
            metrics,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `GET /metrics` is served, when `METRICS_ADDR` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(listener, _)| {
            listener
                .local_addr()
                .expect("a bound listener has an address")
        })
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight (live streams
    /// end at once: a browser reconnects to another replica and resumes), and gives the
    /// background work a moment to finish: every vote handed in is written and announced.
    pub async fn run_until_stopped(mut self, shutdown: impl Future<Output = ()> + Send + 'static) {
        tracing::info!(address = %self.local_addr(), "listening");
        let streams_end = self.streams_end.clone();
        // Scrapes are answered until no request is left; then the task ends with the rest of
        // the background work (its handle on the service lets the vote writer finish).
        if let Some((listener, router)) = self.metrics.take() {
            let stop = self.background_stop.clone();
            let deadlines = self.deadlines;
            self.background.spawn(async move {
                if let Ok(address) = listener.local_addr() {
                    tracing::info!(%address, "serving metrics at /metrics");
                }
                http::serve(listener, router, deadlines, stop.cancelled_owned()).await;
            });
        }
        http::serve(self.listener, self.router, self.deadlines, async move {
            shutdown.await;
            streams_end.cancel();
        })
        .await;
        self.streams_end.cancel();
        self.background_stop.cancel();
        let finished = tokio::time::timeout(BACKGROUND_GRACE, async {
            while self.background.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!("background work did not finish in time; stopping it");
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Bind { addr, source })
}

/// What a scrape of `/metrics` reads from this replica's parts (clones sharing their state).
fn sampler(
    pool: DbPool,
    replica: Option<Replica>,
    live: &LiveEvents,
    service: &PostService,
) -> http::Sampler {
    use std::sync::atomic::{AtomicU64, Ordering};

    let (live, service) = (live.clone(), service.clone());
    Arc::new(move || {
        let connections = pool.status();
        let stats = live.stats();
        let cache = service.image_cache_stats();
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Sample {
            db_pool_max: connections.max_size,
            db_pool_open: connections.size,
            db_pool_idle: connections.available,
            db_pool_waiting: connections.waiting,
            sse_clients: live.open_streams() as u64,
            sse_events_sent_total: count(&stats.events_sent),
            sse_clients_dropped_total: count(&stats.clients_dropped),
            sse_replay_pages_read_total: count(&stats.replay_pages_read),
            event_listener_reconnects_total: count(&stats.listener_reconnects),
            image_cache_capacity_bytes: cache.capacity_bytes,
            image_cache_bytes: cache.bytes,
            image_cache_entries: cache.entries,
            image_cache_hits_total: cache.hits,
            image_cache_misses_total: cache.misses,
            image_variants_made_total: service.variants_made(),
            replica: replica.as_ref().map(|replica| {
                let stats = replica.stats();
                ReplicaSample {
                    lag: stats.lag,
                    reads_total: stats.reads,
                    reads_moved_total: stats.reads_moved,
                }
            }),
        }
    })
}

async fn fill_in_image_sizes(service: PostService) {
    match service.fill_in_image_sizes().await {
        Ok(0) => {}
        Ok(filled) => tracing::info!(filled, "recorded the size of older images"),
        Err(error) => {
            let error = cause_chain(&error);
            tracing::warn!(%error, "could not record the size of older images");
        }
    }
}

/// The database once it answers (within `timeout`) and its migrations are applied, on the
/// direct connection (`DATABASE_LISTEN_URL`, or else `DATABASE_URL`): the options of that
/// connection, for LISTEN. The migrator holds a session advisory lock while it works, which
/// a pooler in transaction mode would leave on whichever server session took it.
async fn migrated_database(
    config: &Config,
    timeout: Duration,
) -> Result<PgConnectOptions, StartupError> {
    let direct_url = config
        .database_listen_url
        .as_ref()
        .unwrap_or(&config.database_url);
    // Without the pool's SETTINGS: a migration may take longer than a statement of a request
    // should (`statement_timeout`), and a pooler in session mode in front of PostgreSQL (as
    // after a failover, where the direct connection is repointed too) refuses `options`.
    let options = PgConnectOptions::from_str(direct_url.expose_secret())
        .map_err(StartupError::DatabaseUrl)?
        .application_name("postboard");
    let mut connection = wait_for("PostgreSQL", timeout, || {
        PgConnection::connect_with(&options)
    })
    .await?;
    MIGRATOR.run(&mut connection).await?;
    // The pool opens its own connections; a failed goodbye to this one changes nothing.
    let _ = connection.close().await;
    Ok(options)
}

/// A pool of connections to `url` (`DATABASE_URL`, for every statement but LISTEN, or
/// `DATABASE_REPLICA_URL`), reached as `DATABASE_POOLER` says.
fn database_pool(
    config: &Config,
    url: &SecretString,
    max_size: usize,
    wait_timeout: Duration,
) -> Result<DbPool, StartupError> {
    let options = connect_options(url.expose_secret(), config.database_pooler)
        .map_err(StartupError::DatabaseUrl)?;
    let pool = DbPool::new(options, max_size, wait_timeout);
    Ok(match config.database_pooler {
        DatabasePooler::None => pool,
        DatabasePooler::Transaction => pool.through_transaction_pooler(),
    })
}

/// One connection to the migrated database, for the operator's commands (`postboard
/// moderator ...`), which should fail within seconds, not wait as a starting server does.
pub async fn operator_pool(config: &Config) -> Result<DbPool, StartupError> {
    migrated_database(config, Duration::from_secs(10)).await?;
    database_pool(config, &config.database_url, 1, Duration::from_secs(10))
}

/// The options of a connection to `database_url`, which leads to PostgreSQL or to a pooler.
///
/// Straight to PostgreSQL, the [`SETTINGS`] are given once for the session, in the `options`
/// startup parameter, and sqlx keeps each statement prepared (a named statement, parsed and
/// planned once per connection).
///
/// Through a pooler in transaction mode, neither works: PgBouncer refuses `options`
/// ("unsupported startup parameter: options"), and a named statement prepared in one
/// transaction is on a server session the next transaction may not get (PgBouncer 1.18 has
/// no `max_prepared_statements`). So no `options` and no statement cache, and the pool runs
/// each statement in a transaction of its own, whose `BEGIN` sets the [`SETTINGS`] with
/// `SET LOCAL` and clears the session's prepared statements, in one round trip (see
/// `repository::pool`).
/// Role or database settings (`ALTER ROLE ... SET`) would need the operator's privileges and
/// could silently be missing; a session `SET` (an after-connect hook) would reach only one of
/// the pooler's server sessions and then leak to its other clients.
fn connect_options(
    database_url: &str,
    pooler: DatabasePooler,
) -> Result<PgConnectOptions, sqlx::Error> {
    let options = PgConnectOptions::from_str(database_url)?.application_name("postboard");
    Ok(match pooler {
        DatabasePooler::None => options.options(SETTINGS.iter().copied()),
        DatabasePooler::Transaction => options.statement_cache_capacity(0),
    })
}

/// Retries `attempt` with exponential backoff until it succeeds or `timeout` passes,
/// logging what it is waiting for. Returns what the successful attempt returned.
async fn wait_for<T, F, Fut, E>(
    what: &'static str,
    timeout: Duration,
    mut attempt: F,
) -> Result<T, StartupError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::error::Error + 'static,
{
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(100);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) if Instant::now() + delay < deadline => {
                let error = cause_chain(&error);
                tracing::warn!(%error, retry_in = ?delay, "waiting for {what}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(error) => {
                return Err(StartupError::GaveUpWaiting {
                    what,
                    timeout,
                    last_error: cause_chain(&error),
                });
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
