//! Server configuration: every environment variable the server reads is one field of
//! [`Settings`], declared once, with clap: its variable, default, parser and meaning (the doc
//! comment, in Markdown). The server reads them from the environment (after a `.env` file; the
//! real environment wins), or as flags (`--bind-addr`, ...); [`Config`] is what the rest of the
//! server gets. docs/configuration.md's table is generated from the same declaration
//! (`postboard config --markdown`; `tests/repo_files/` fails when the two differ), and the
//! defaults match `docker-compose.yml`, so a plain `postboard` talks to the compose services.

use std::{ffi::OsString, net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, FromArgMatches, Parser, ValueEnum};
use secrecy::SecretString;

use crate::{
    domain::{PublicUrl, RateLimit, TrustedProxies},
    service::StreamLimits,
};

/// Every environment variable the server reads, in the order of the docs' table. A variable
/// that is unset takes its `default_value`; one that does not parse stops the server with a
/// message that names it. Secrets are never shown by `--help` (`hide_env_values`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Settings (each one also an environment variable)")]
pub struct Settings {
    /// PostgreSQL.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = "postgres://app:secret@localhost:5432/appdb"
    )]
    pub database_url: String,

    /// What `DATABASE_URL` leads to: `none` for PostgreSQL itself, or a pooler in session mode that accepts the `options` startup parameter (PgBouncer refuses it unless its `ignore_startup_parameters` lists `options`, and then the settings below are lost); `transaction` for a pooler in transaction mode (PgBouncer `pool_mode = transaction`).
    ///
    /// With `transaction`, the connections send no `options` startup parameter and keep no prepared statements, and every statement runs in a transaction of its own that begins with `SET LOCAL statement_timeout = '5s'; SET LOCAL plan_cache_mode = force_generic_plan; DEALLOCATE ALL` (see "Through a pooler in transaction mode" below). Requires `DATABASE_LISTEN_URL` (the server refuses to start without it).
    #[arg(long, env = "DATABASE_POOLER", value_enum, default_value = "none")]
    pub database_pooler: DatabasePooler,

    /// A connection to the same database that keeps its session: PostgreSQL itself, or a pooler in session mode (a PgBouncer entry with `pool_mode=session`), never a transaction pooler.
    ///
    /// Each replica LISTENs on it for live events (one connection) and applies the migrations on it at startup (they hold a session advisory lock; no `statement_timeout` applies, and no `options` startup parameter is sent). Empty: `DATABASE_URL`, which `DATABASE_POOLER=transaction` does not allow.
    #[arg(long, env = "DATABASE_LISTEN_URL", hide_env_values = true, default_value = "",
        value_parser = blank_is_none)]
    pub database_listen_url: ::std::option::Option<String>,

    /// Connections the pool may keep open to PostgreSQL (each replica also holds one more, to listen for live events); with N replicas, keep N × (this + 1) under the server's `max_connections`.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value = "32", value_parser = at_least_one::<usize>)]
    pub database_max_connections: usize,

    /// Batches of votes, and of creates without an image, that one replica writes at once (group commit: requests that arrive while its writers are busy go together in the next statement).
    ///
    /// Two keep PostgreSQL's work overlapping with the round trips (more make batches smaller). Several replicas on one database each batch their own share of the load, so their batches are smaller and PostgreSQL pays its cost per statement more often: with two replicas, 1 each keeps the batches as large as one replica's (BENCHMARKS.md).
    #[arg(long, env = "BATCH_WRITERS", default_value = "2", value_parser = at_least_one::<usize>)]
    pub batch_writers: usize,

    /// A streaming replica (hot standby) of the same database: the board's lists, searches, feeds and post pages are read from it while its replay lag is within `REPLICA_MAX_LAG`, and from the primary otherwise, or when it fails a read.
    ///
    /// The lag is measured by the server (the primary's WAL position against the replica's replay position, several times a second), never assumed. A writer's next reads show their write (a `postboard_wrote` cookie; see "Read replica" below). Reached like `DATABASE_URL` (`DATABASE_POOLER` applies to both); it opens up to `DATABASE_MAX_CONNECTIONS` connections of its own. Empty: no replica.
    #[arg(long, env = "DATABASE_REPLICA_URL", hide_env_values = true, default_value = "",
        value_parser = blank_is_none)]
    pub database_replica_url: ::std::option::Option<String>,

    /// How far behind the primary the replica may be and still serve reads: a number with `ms` or `s` (`500ms`, `2s`, at most `60s`).
    #[arg(long, env = "REPLICA_MAX_LAG", default_value = "2s", value_parser = replica_lag)]
    pub replica_max_lag: Duration,

    /// S3-compatible endpoint (MinIO in compose, the tests' s3s-fs server with `make run`).
    #[arg(long, env = "S3_ENDPOINT", default_value = "http://localhost:9000")]
    pub s3_endpoint: String,

    /// Bucket for images; created at startup if missing.
    #[arg(long, env = "S3_BUCKET", default_value = "images")]
    pub s3_bucket: String,

    /// Credentials: the access key.
    #[arg(
        long,
        env = "S3_ACCESS_KEY",
        hide_env_values = true,
        default_value = "minioadmin"
    )]
    pub s3_access_key: String,

    /// Credentials: the secret key.
    #[arg(
        long,
        env = "S3_SECRET_KEY",
        hide_env_values = true,
        default_value = "minioadmin"
    )]
    pub s3_secret_key: String,

    /// Region for request signing.
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// Listen address (`0.0.0.0:8000` in the container).
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind_addr: SocketAddr,

    /// Image size limit in bytes (10 MiB).
    #[arg(long, env = "MAX_IMAGE_BYTES", default_value = "10485760")]
    pub max_image_bytes: usize,

    /// Comma-separated allowed origins.
    #[arg(long, env = "CORS_ORIGINS", default_value = "http://localhost:4200")]
    pub cors_origins: String,

    /// The built Angular app; when the folder exists, served at `/` with SPA fallback. Relative to the working directory (`/app/static` in the container).
    #[arg(
        long,
        env = "STATIC_DIR",
        default_value = "frontend/dist/postboard/browser"
    )]
    pub static_dir: PathBuf,

    /// Log filter (`tracing_subscriber`'s `EnvFilter` syntax: `warn`, `info,postboard=debug`).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub rust_log: String,

    /// Creates per client: `N/period`, the period a whole number of `s`, `m` or `h` (`6/10m`, `1/1s`, `100/24h`; at most `1000000/168h`), or `off`. `N` at once, then one every period/`N`. Past it: 429 with `Retry-After`.
    ///
    /// Held for all replicas together (the state is in PostgreSQL); see docs/API.md, "Rate limits".
    #[arg(long, env = "RATE_LIMIT_POSTS", default_value = "20/10m")]
    pub rate_limit_posts: RateLimit,

    /// Votes per client, same syntax.
    #[arg(long, env = "RATE_LIMIT_VOTES", default_value = "300/1m")]
    pub rate_limit_votes: RateLimit,

    /// Comma-separated CIDRs (`10.0.0.0/8, fd00::/8`; a bare address is itself) of the proxies in front of the server; empty: none.
    ///
    /// From such a peer, the client is the rightmost address of `X-Forwarded-For` that is not a trusted proxy; from any other, the peer. Set it only to your own proxies: a trusted peer can claim any client address.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: TrustedProxies,

    /// When > 0, every response carries `Strict-Transport-Security: max-age=<value>; includeSubDomains`; `0`: off.
    ///
    /// Turn it on only when browsers reach the server over HTTPS (a TLS-terminating proxy in front of it), e.g. `HSTS_MAX_AGE=31536000`; over plain HTTP it would lock browsers out of the site. The proxy may set the header instead.
    #[arg(long, env = "HSTS_MAX_AGE", default_value = "0")]
    pub hsts_max_age: u64,

    /// Bound, in bytes, of the in-process cache of small image objects (64 MiB; originals and variants up to 1 MiB each, larger ones always stream from S3); `0` turns it off.
    ///
    /// A popular image is then served with no trip to S3. Each replica has its own; they need no coordination, since an object never changes once stored (see API.md, "Images"). Budget the process's memory for it.
    #[arg(long, env = "IMAGE_CACHE_BYTES", default_value = "67108864")]
    pub image_cache_bytes: u64,

    /// Reports (`POST /post/{id}/report`) per client, same syntax.
    #[arg(long, env = "RATE_LIMIT_REPORTS", default_value = "10/10m")]
    pub rate_limit_reports: RateLimit,

    /// Reports from this many different clients hide a post at once, until a moderator decides (a whole number, at least 1).
    #[arg(long, env = "REPORTS_TO_HIDE", default_value = "5", value_parser = at_least_one::<u32>)]
    pub reports_to_hide: u32,

    /// `on`: every new post with an image waits hidden until a moderator restores it from the queue (text-only posts are shown at once); `off`: posts are shown at once. See docs/API.md, "Moderators".
    #[arg(long, env = "PREMODERATE_IMAGES", value_enum, default_value = "off")]
    pub premoderate_images: Switch,

    /// The board's address as its users reach it (`https://board.example`, or with a path prefix `https://example.org/board`), for the absolute URLs that leave the app: the Atom feed's ids and links, and a post page's canonical link and Open Graph / Twitter tags (`og:url`, `og:image`).
    ///
    /// `http` or `https`, no query, fragment or credentials; a trailing slash is ignored. Behind a proxy, set it to the public address, not the app's own.
    #[arg(long, env = "PUBLIC_URL", default_value = "http://localhost:8000")]
    pub public_url: PublicUrl,

    /// Live streams (`GET /events`) one client (an IPv4 address, an IPv6 /64) may hold open on one replica; past it: 429 with `Retry-After: 30`.
    ///
    /// Generous on purpose: a school or an office behind one NAT is one client. The count is per replica (it guards the replica's own descriptors and memory), so behind a load balancer a client gets this much on each.
    #[arg(long, env = "STREAMS_PER_CLIENT", default_value = "1000", value_parser = at_least_one::<usize>)]
    pub streams_per_client: usize,

    /// Live streams one replica holds open in all; past it: 503 with `Retry-After: 5`, so that a browser tries again (another replica, behind a load balancer).
    ///
    /// Each stream is an open file: at start the server raises its soft open-files limit to the hard one and warns when this cap (plus about 512) does not fit under it; raise the hard limit (`ulimit -Hn`, systemd's `LimitNOFILE`, the container runtime's `nofile`) for more. An idle stream costs the replica about 3 KiB of memory when the stream opened its connection (EventSource usually does; `deploy/nginx.conf` makes nginx do so) (BENCHMARKS.md: 19 000 streams in 80 MiB), about 15 KiB when it came second on a kept-alive connection (hyper's buffers).
    #[arg(long, env = "STREAMS_PER_REPLICA", default_value = "10000", value_parser = at_least_one::<usize>)]
    pub streams_per_replica: usize,

    /// How far (in bytes of events, about as sent) a live stream may fall behind the newest event before it is cut; the client resumes with `Last-Event-ID`.
    ///
    /// A client that reads nothing at all is cut after 60 s without a write.
    #[arg(long, env = "STREAM_BACKLOG_BYTES", default_value = "1048576", value_parser = at_least_one::<usize>)]
    pub stream_backlog_bytes: usize,

    /// Events a second that the replays of one replica send together (clients that come back with a `Last-Event-ID` and are sent what they missed, from the replica's memory or from the table): each replay's first 200 events go out at once, the pages of 200 after them take turns at this pace.
    ///
    /// A replay's events are all ready at once and cost the replica (and its client) CPU as fast as they are sent; unpaced, a hundred clients replaying the log after a deploy would take the cores from every other request (BENCHMARKS.md, issue 21). At the default, one client 20 000 events behind is replayed in 0.2 s, a hundred in 20 s.
    #[arg(long, env = "STREAM_REPLAY_EVENTS_PER_SECOND", default_value = "100000", value_parser = at_least_one::<u32>)]
    pub stream_replay_events_per_second: u32,

    /// Listen address of a second listener serving `GET /metrics` in Prometheus' text format (see "Metrics" below), e.g. `127.0.0.1:9100`, or `0.0.0.0:9100` in a container whose port is not published; empty: no listener, nothing is recorded.
    ///
    /// It is not the public port, and the public port has no `/metrics`: bind it where only your Prometheus reaches it.
    #[arg(long, env = "METRICS_ADDR", default_value = "", value_parser = optional_addr)]
    pub metrics_addr: ::std::option::Option<SocketAddr>,
}

/// The command line: `postboard` serves; its subcommands are the operator's tools.
#[derive(Debug, Parser)]
#[command(name = "postboard", version, about = "The Postboard server", long_about = None,
    after_help = "Every setting can be given as an environment variable (or in a .env file in the working directory); see docs/configuration.md, or `postboard config --markdown`.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, clap::Subcommand)]
pub enum CliCommand {
    /// The board's moderators (against `DATABASE_URL`)
    Moderator {
        #[command(subcommand)]
        action: ModeratorCommand,
    },
    /// Prints the table of settings, as in docs/configuration.md
    Config {
        /// As a Markdown table (the only form there is)
        #[arg(long, required = true)]
        markdown: bool,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum ModeratorCommand {
    /// Makes a moderator and prints their token, once
    Add { name: String },
    /// Every moderator, revoked ones too
    List,
    /// Their token stops working at once, on every replica
    Revoke { name: String },
}

/// `PREMODERATE_IMAGES`: `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// What `DATABASE_URL` leads to (`DATABASE_POOLER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DatabasePooler {
    /// PostgreSQL itself, or a pooler in session mode: a connection is one server session.
    None,
    /// A pooler in transaction mode (PgBouncer `pool_mode = transaction`): only a
    /// transaction is sure to stay on one server session. See `startup::connect_options`.
    Transaction,
}

// The settings that may be off are typed `::std::option::Option<T>`, spelt out: clap reads a
// plain `Option<T>` as an argument that may be left out and parses its value as a `T`, while
// these always have a value (their default) and a blank one means `None`.

/// A blank value is no value.
fn blank_is_none(value: &str) -> Result<Option<String>, std::convert::Infallible> {
    let value = value.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// A whole number of at least 1.
fn at_least_one<T: std::str::FromStr + PartialOrd + From<u8>>(value: &str) -> Result<T, String> {
    match value.trim().parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        _ => Err("must be a whole number of at least 1".into()),
    }
}

/// A socket address, or blank for none.
fn optional_addr(value: &str) -> Result<Option<SocketAddr>, std::net::AddrParseError> {
    match value.trim() {
        "" => Ok(None),
        addr => addr.parse().map(Some),
    }
}

/// `500ms`, `2s`: a whole number of milliseconds or seconds, more than zero and at most 60 s.
fn replica_lag(value: &str) -> Result<Duration, &'static str> {
    let value = value.trim();
    let lag = if let Some(millis) = value.strip_suffix("ms") {
        millis.parse().ok().map(Duration::from_millis)
    } else {
        value
            .strip_suffix('s')
            .and_then(|secs| secs.parse().ok())
            .map(Duration::from_secs)
    };
    lag.filter(|lag| !lag.is_zero() && *lag <= Duration::from_secs(60))
        .ok_or("must be like 500ms or 2s, at most 60s")
}

/// The deadlines, fixed rather than configured: the contract (docs/API.md, "Slow or stopped
/// requests") states them, and tests shorten them through [`Config`]'s fields.
/// How long startup keeps retrying PostgreSQL and S3 before giving up.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The backstop for producing any one response (answered 503).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
/// A request head must arrive whole within this; an idle keep-alive connection is closed then.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection whose client reads nothing of the response for this long is closed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);
/// A request body that sends nothing for this long is answered 408.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(15);
/// A request body that has not arrived whole after this long is answered 408.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Secrets are `SecretString`s, whose `Debug` prints `[REDACTED]`: the whole configuration
/// can be logged.
#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: SecretString,
    /// What `database_url` leads to: PostgreSQL itself, or a pooler in transaction mode.
    pub database_pooler: DatabasePooler,
    /// A direct connection to PostgreSQL (never through a transaction pooler), for LISTEN
    /// and the migrations; `None` = `database_url`.
    pub database_listen_url: Option<SecretString>,
    /// Connections the pool may hold open (besides the one that listens for events).
    pub database_max_connections: usize,
    /// Batches of writes one replica writes at once (`BATCH_WRITERS`).
    pub batch_writers: usize,
    /// A streaming replica that serves the board's reads while fresh enough (`None`: none).
    pub database_replica_url: Option<SecretString>,
    /// How far behind the replica may be and still serve reads (`REPLICA_MAX_LAG`).
    pub replica_max_lag: Duration,
    pub s3: S3Config,
    pub bind_addr: SocketAddr,
    pub max_image_bytes: usize,
    pub cors_origins: Vec<String>,
    pub static_dir: PathBuf,
    /// The log filter (`RUST_LOG`).
    pub log_filter: String,
    /// How long startup keeps retrying PostgreSQL and S3 before giving up.
    pub startup_timeout: Duration,
    /// Backstop for producing any single response; answered with 503.
    pub request_timeout: Duration,
    /// A request head (request line and headers) must arrive whole within this long, and a
    /// keep-alive connection idle for this long is closed (`http::serve`).
    pub header_timeout: Duration,
    /// A connection whose client reads nothing of the response for this long is closed (a
    /// live-event client that stopped reading; `http::serve`).
    pub send_timeout: Duration,
    /// A request body that sends nothing for this long is answered 408.
    pub body_idle_timeout: Duration,
    /// A request body that has not arrived whole after this long is answered 408.
    pub body_timeout: Duration,
    /// `Strict-Transport-Security: max-age=...` on every response when set (behind TLS only).
    pub hsts_max_age: Option<u64>,
    /// Creates per client (`RATE_LIMIT_POSTS`).
    pub rate_limit_posts: RateLimit,
    /// Votes per client (`RATE_LIMIT_VOTES`).
    pub rate_limit_votes: RateLimit,
    /// Peers whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// Bound of the in-process cache of small image objects, in bytes; 0 turns it off.
    pub image_cache_bytes: u64,
    /// Where the second listener serves `GET /metrics` (`METRICS_ADDR`); `None`: no metrics.
    pub metrics_addr: Option<SocketAddr>,
    /// The board's public address, for absolute URLs in feeds and link previews (`PUBLIC_URL`).
    pub public_url: PublicUrl,
    /// Reports per client (`RATE_LIMIT_REPORTS`).
    pub rate_limit_reports: RateLimit,
    /// Reports from this many different clients hide a post (`REPORTS_TO_HIDE`).
    pub reports_to_hide: u32,
    /// New posts with an image wait hidden for a moderator (`PREMODERATE_IMAGES=on`).
    pub premoderate_images: bool,
    /// Live streams (`GET /events`) one replica holds open, per client and in all
    /// (`STREAMS_PER_CLIENT`, `STREAMS_PER_REPLICA`).
    pub stream_limits: StreamLimits,
}

#[derive(Clone, Debug)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: SecretString,
    pub secret_key: SecretString,
    pub region: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse, in clap's words (it names the variable and the value).
    #[error("invalid configuration: {0}")]
    Parse(#[from] clap::Error),
    #[error("invalid configuration: {name}: {reason}")]
    Conflict {
        name: &'static str,
        reason: &'static str,
    },
}

impl Config {
    /// Builds the configuration from any variable lookup (the tests give their own; the server
    /// parses its `Cli`, environment and flags, instead); unset variables take their default. Every setting is handed to clap as its flag, so that
    /// clap's own reading of the process environment never mixes in.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let command = Settings::augment_args(clap::Command::new("postboard"));
        let mut argv: Vec<OsString> = vec!["postboard".into()];
        for setting in settings_of(&command) {
            let value = lookup(&setting.name).unwrap_or(setting.default);
            argv.push(format!("--{}={value}", setting.flag).into());
        }
        let matches = command.try_get_matches_from(argv)?;
        Self::from_settings(Settings::from_arg_matches(&matches)?)
    }

    /// The configuration the server runs with, from its parsed settings.
    pub fn from_settings(settings: Settings) -> Result<Self, ConfigError> {
        // LISTEN and the migrations' session lock cannot work through a transaction pooler:
        // such a configuration is refused at start, not discovered later.
        if settings.database_pooler == DatabasePooler::Transaction
            && settings.database_listen_url.is_none()
        {
            return Err(ConfigError::Conflict {
                name: "DATABASE_LISTEN_URL",
                reason: "must be a direct connection to PostgreSQL when DATABASE_POOLER=transaction",
            });
        }
        Ok(Config {
            database_url: settings.database_url.into(),
            database_pooler: settings.database_pooler,
            database_listen_url: settings.database_listen_url.map(SecretString::from),
            database_max_connections: settings.database_max_connections,
            batch_writers: settings.batch_writers,
            database_replica_url: settings.database_replica_url.map(SecretString::from),
            replica_max_lag: settings.replica_max_lag,
            s3: S3Config {
                endpoint: settings.s3_endpoint,
                bucket: settings.s3_bucket,
                access_key: settings.s3_access_key.into(),
                secret_key: settings.s3_secret_key.into(),
                region: settings.s3_region,
            },
            bind_addr: settings.bind_addr,
            max_image_bytes: settings.max_image_bytes,
            cors_origins: settings
                .cors_origins
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            static_dir: settings.static_dir,
            log_filter: settings.rust_log,
            startup_timeout: STARTUP_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            header_timeout: HEADER_TIMEOUT,
            send_timeout: SEND_TIMEOUT,
            body_idle_timeout: BODY_IDLE_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            hsts_max_age: (settings.hsts_max_age > 0).then_some(settings.hsts_max_age),
            rate_limit_posts: settings.rate_limit_posts,
            rate_limit_votes: settings.rate_limit_votes,
            rate_limit_reports: settings.rate_limit_reports,
            reports_to_hide: settings.reports_to_hide,
            premoderate_images: settings.premoderate_images == Switch::On,
            stream_limits: StreamLimits {
                per_client: settings.streams_per_client,
                per_replica: settings.streams_per_replica,
                backlog_bytes: settings.stream_backlog_bytes,
                replay_events_per_second: settings.stream_replay_events_per_second,
            },
            trusted_proxies: settings.trusted_proxies,
            image_cache_bytes: settings.image_cache_bytes,
            metrics_addr: settings.metrics_addr,
            public_url: settings.public_url,
        })
    }
}

/// One environment variable as [`Settings`] declares it: for the docs' table and for the
/// repo-file tests, which hold compose, the Dockerfile and the scripts against these.
#[derive(Debug, Clone)]
pub struct Setting {
    pub name: String,
    /// Its flag, without the leading `--`.
    pub flag: String,
    /// The value taken when the variable is unset.
    pub default: String,
    /// What it does, in Markdown.
    pub meaning: String,
}

/// Every variable of [`Settings`], in the order of its fields.
pub fn settings() -> Vec<Setting> {
    settings_of(&Settings::augment_args(clap::Command::new("postboard")))
}

fn settings_of(command: &clap::Command) -> Vec<Setting> {
    command
        .get_arguments()
        .filter_map(|arg| {
            let name = arg.get_env()?.to_string_lossy().into_owned();
            let help = arg.get_long_help().or(arg.get_help())?;
            Some(Setting {
                name,
                flag: arg.get_long()?.to_owned(),
                default: arg
                    .get_default_values()
                    .first()
                    .map(|value| value.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                // Paragraphs become one table cell.
                meaning: help.to_string().replace("\n\n", " "),
            })
        })
        .collect()
}

/// docs/configuration.md's table of variables, from [`Settings`].
pub fn settings_markdown() -> String {
    let mut table = String::from("| variable | default | meaning |\n|---|---|---|\n");
    for setting in settings() {
        let default = match setting.default.as_str() {
            "" => "empty".to_owned(),
            value => format!("`{value}`"),
        };
        table.push_str(&format!(
            "| `{}` | {default} | {} |\n",
            setting.name, setting.meaning
        ));
    }
    table
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db`, for log lines. What does not
/// parse as a URL is not shown at all: a password may hide in it where no parser sees it.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        // `user:secret@host` parses too, as the scheme `user` and the path `secret@host`.
        Ok(mut url) if !url.cannot_be_a_base() => {
            if url.password().is_some() {
                // Fails only for URLs that cannot have a password, which then have none.
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        _ => "<not a URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Config {
        Config::from_lookup(|_| None).unwrap()
    }

    /// The configuration with one variable set.
    fn with(name: &str, value: &str) -> Result<Config, ConfigError> {
        Config::from_lookup(|n| (n == name).then(|| value.to_owned()))
    }

    /// `name=value` is refused with a message that contains `expected`.
    fn assert_refused(name: &str, value: &str, expected: &str) {
        let message = with(name, value).expect_err(value).to_string();
        assert!(message.contains(expected), "{name}={value:?}: {message}");
    }

    /// The configuration with these variables set, all valid.
    fn with_all(vars: &[(&str, &str)]) -> Config {
        let value_of = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        Config::from_lookup(value_of).unwrap()
    }

    #[test]
    fn defaults_match_the_contract() {
        let config = defaults();
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(config.max_image_bytes, 10 * 1024 * 1024);
        assert_eq!(config.s3.bucket, "images");
        assert_eq!(config.cors_origins, vec!["http://localhost:4200"]);
        assert_eq!(config.image_cache_bytes, 64 * 1024 * 1024);
        assert_eq!(config.metrics_addr, None);
    }

    #[test]
    fn metrics_are_off_unless_an_address_is_given() {
        let with = |value| with("METRICS_ADDR", value);
        assert_eq!(with("").unwrap().metrics_addr, None);
        assert_eq!(with("  ").unwrap().metrics_addr, None);
        assert_eq!(
            with("0.0.0.0:9100").unwrap().metrics_addr,
            Some("0.0.0.0:9100".parse().unwrap())
        );
        assert_refused("METRICS_ADDR", "localhost:9100", "METRICS_ADDR");
    }

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_named() {
        let config = with_all(&[
            ("CORS_ORIGINS", "http://a.test, http://b.test,"),
            ("MAX_IMAGE_BYTES", "42"),
            ("IMAGE_CACHE_BYTES", "0"),
        ]);
        assert_eq!(config.cors_origins, vec!["http://a.test", "http://b.test"]);
        assert_eq!(config.max_image_bytes, 42);
        assert_eq!(config.image_cache_bytes, 0);
        assert_refused("IMAGE_CACHE_BYTES", "64M", "IMAGE_CACHE_BYTES");

        assert_refused("BIND_ADDR", "nope", "BIND_ADDR");
    }

    #[test]
    fn rate_limits_are_on_by_default_and_bad_values_fail_clearly() {
        let config = defaults();
        assert_eq!(config.rate_limit_posts.to_string(), "20/10m");
        assert_eq!(config.rate_limit_votes.to_string(), "300/1m");
        assert!(config.trusted_proxies.is_empty());

        let config = with_all(&[
            ("RATE_LIMIT_POSTS", "off"),
            ("RATE_LIMIT_VOTES", "6/10m"),
            ("TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8"),
        ]);
        assert_eq!(config.rate_limit_posts, crate::domain::RateLimit::Off);
        assert_eq!(config.rate_limit_votes.to_string(), "6/10m");
        assert_eq!(config.trusted_proxies.to_string(), "10.0.0.0/8,fd00::/8");

        for (name, value) in [
            ("RATE_LIMIT_POSTS", "20 per minute"),
            ("RATE_LIMIT_VOTES", "0/1m"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,localhost"),
        ] {
            let error = with(name, value).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(name) && message.contains(value),
                "{message}"
            );
        }
        assert_refused("RATE_LIMIT_POSTS", "20/10", "N/period");
    }

    #[test]
    fn the_replica_is_off_by_default_and_its_lag_takes_ms_or_s() {
        let config = defaults();
        assert!(config.database_replica_url.is_none());
        assert_eq!(config.replica_max_lag, Duration::from_secs(2));
        for (value, lag) in [("500ms", 500), ("3s", 3000), (" 60s ", 60_000)] {
            let config = with("REPLICA_MAX_LAG", value).unwrap();
            assert_eq!(
                config.replica_max_lag,
                Duration::from_millis(lag),
                "{value}"
            );
        }
        for value in ["0s", "61s", "2", "1.5s", "2m", "", "-1s"] {
            let error = with("REPLICA_MAX_LAG", value).unwrap_err();
            assert!(
                error.to_string().contains("REPLICA_MAX_LAG"),
                "{value}: {error}"
            );
        }
    }

    #[test]
    fn the_pooler_is_none_or_transaction_and_the_listen_url_defaults_to_the_database_url() {
        use secrecy::ExposeSecret;

        let config = defaults();
        assert_eq!(config.database_pooler, DatabasePooler::None);
        assert!(config.database_listen_url.is_none());
        let config = with_all(&[
            ("DATABASE_POOLER", "transaction"),
            ("DATABASE_LISTEN_URL", "postgres://app:secret@db:5432/appdb"),
        ]);
        assert_eq!(config.database_pooler, DatabasePooler::Transaction);
        let listen = config.database_listen_url.unwrap();
        assert_eq!(
            listen.expose_secret(),
            "postgres://app:secret@db:5432/appdb"
        );
        assert_refused("DATABASE_POOLER", "session", "DATABASE_POOLER");
        assert_refused("DATABASE_POOLER", "transaction", "DATABASE_LISTEN_URL");
    }

    #[test]
    fn passwords_are_redacted_for_logs() {
        assert_eq!(
            redact_url("postgres://app:secret@localhost:5432/appdb"),
            "postgres://app:***@localhost:5432/appdb"
        );
        assert_eq!(
            redact_url("postgres://localhost/db"),
            "postgres://localhost/db"
        );
        assert_eq!(
            redact_url("postgres://app:p%40ss%3Aword@db.internal/appdb?sslmode=require"),
            "postgres://app:***@db.internal/appdb?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres:///appdb?host=/run/postgresql"),
            "postgres:///appdb?host=/run/postgresql"
        );
        assert_eq!(redact_url("app:secret@localhost"), "<not a URL>");
        let shown = format!("{:?}", defaults());
        assert!(
            !shown.contains(":secret@") && !shown.contains("minioadmin"),
            "{shown}"
        );
    }
}
