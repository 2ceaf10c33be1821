//! Server configuration from the environment (and a `.env` file), as in API.md's table.
//! Defaults match `docker-compose.yml` so a plain `postboard` talks to the compose services.
//!
//! Each variable is declared once, as a [`Setting`] constant named like the variable: its
//! default and its documentation. [`Config::from_lookup`] reads every variable through its
//! constant (a misspelt name does not compile), and docs/configuration.md's table is generated
//! from [`ENV_VARS`].

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::SecretString;

use crate::{
    domain::{PublicUrl, RateLimit, TrustedProxies},
    service::StreamLimits,
};

/// One environment variable the server reads: its default, and its row in
/// docs/configuration.md's table, which is generated from this list
/// (`postboard config --markdown`; `tests/repo_files.rs` fails when the two differ).
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    /// The value taken when the variable is unset.
    pub default: &'static str,
    /// How the table shows the default, when not as `` `default` `` (`empty (off)`).
    pub shown_default: Option<&'static str>,
    /// What it does, in Markdown.
    pub meaning: &'static str,
}

/// Every environment variable the server reads, in the order of the docs' table. The repo-file
/// tests also check `docker-compose.yml`, the Dockerfile and the scripts against this list.
pub const ENV_VARS: &[Setting] = &[
    DATABASE_URL,
    DATABASE_POOLER,
    DATABASE_LISTEN_URL,
    DATABASE_MAX_CONNECTIONS,
    DATABASE_REPLICA_URL,
    REPLICA_MAX_LAG,
    S3_ENDPOINT,
    S3_BUCKET,
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    S3_REGION,
    BIND_ADDR,
    MAX_IMAGE_BYTES,
    CORS_ORIGINS,
    STATIC_DIR,
    RUST_LOG,
    RATE_LIMIT_POSTS,
    RATE_LIMIT_VOTES,
    TRUSTED_PROXIES,
    HSTS_MAX_AGE,
    IMAGE_CACHE_BYTES,
    RATE_LIMIT_REPORTS,
    REPORTS_TO_HIDE,
    PREMODERATE_IMAGES,
    PUBLIC_URL,
    STREAMS_PER_CLIENT,
    STREAMS_PER_REPLICA,
    STREAM_BACKLOG_BYTES,
    METRICS_ADDR,
];

pub const DATABASE_URL: Setting = Setting {
    name: "DATABASE_URL",
    default: "postgres://app:secret@localhost:5432/appdb",
    shown_default: None,
    meaning: "PostgreSQL",
};

pub const DATABASE_POOLER: Setting = Setting {
    name: "DATABASE_POOLER",
    default: "none",
    shown_default: None,
    meaning: "what `DATABASE_URL` leads to: `none` for PostgreSQL itself, or a pooler in session mode that accepts the `options` startup parameter (PgBouncer refuses it unless its `ignore_startup_parameters` lists `options`, and then the settings below are lost); `transaction` for a pooler in transaction mode (PgBouncer `pool_mode = transaction`). With `transaction`, the connections send no `options` startup parameter and keep no prepared statements, and every statement runs in a transaction of its own that begins with `SET LOCAL statement_timeout = '5s'; SET LOCAL plan_cache_mode = force_generic_plan; DEALLOCATE ALL` (see \"Through a pooler in transaction mode\" below). Requires `DATABASE_LISTEN_URL` (the server refuses to start without it)",
};

pub const DATABASE_LISTEN_URL: Setting = Setting {
    name: "DATABASE_LISTEN_URL",
    default: "",
    shown_default: Some("empty (`DATABASE_URL`)"),
    meaning: "a connection to the same database that keeps its session: PostgreSQL itself, or a pooler in session mode (a PgBouncer entry with `pool_mode=session`), never a transaction pooler. Each replica LISTENs on it for live events (one connection) and applies the migrations on it at startup (they hold a session advisory lock; no `statement_timeout` applies, and no `options` startup parameter is sent). Empty: `DATABASE_URL`, which `DATABASE_POOLER=transaction` does not allow",
};

pub const DATABASE_MAX_CONNECTIONS: Setting = Setting {
    name: "DATABASE_MAX_CONNECTIONS",
    default: "32",
    shown_default: None,
    meaning: "connections the pool may keep open to PostgreSQL (each replica also holds one more, to listen for live events); with N replicas, keep N × (this + 1) under the server's `max_connections`",
};

pub const DATABASE_REPLICA_URL: Setting = Setting {
    name: "DATABASE_REPLICA_URL",
    default: "",
    shown_default: Some("empty (none)"),
    meaning: "a streaming replica (hot standby) of the same database: the board's lists, searches, feeds and post pages are read from it while its replay lag is within `REPLICA_MAX_LAG`, and from the primary otherwise, or when it fails a read. The lag is measured by the server (the primary's WAL position against the replica's replay position, several times a second), never assumed. A writer's next reads show their write (a `postboard_wrote` cookie; see \"Read replica\" below). Reached like `DATABASE_URL` (`DATABASE_POOLER` applies to both); it opens up to `DATABASE_MAX_CONNECTIONS` connections of its own",
};

pub const REPLICA_MAX_LAG: Setting = Setting {
    name: "REPLICA_MAX_LAG",
    default: "2s",
    shown_default: None,
    meaning: "how far behind the primary the replica may be and still serve reads: a number with `ms` or `s` (`500ms`, `2s`, at most `60s`)",
};

pub const S3_ENDPOINT: Setting = Setting {
    name: "S3_ENDPOINT",
    default: "http://localhost:9000",
    shown_default: None,
    meaning: "S3-compatible endpoint (MinIO in compose, s3s-fs with `make run`)",
};

pub const S3_BUCKET: Setting = Setting {
    name: "S3_BUCKET",
    default: "images",
    shown_default: None,
    meaning: "bucket for images; created at startup if missing",
};

pub const S3_ACCESS_KEY: Setting = Setting {
    name: "S3_ACCESS_KEY",
    default: "minioadmin",
    shown_default: None,
    meaning: "credentials: the access key",
};

pub const S3_SECRET_KEY: Setting = Setting {
    name: "S3_SECRET_KEY",
    default: "minioadmin",
    shown_default: None,
    meaning: "credentials: the secret key",
};

pub const S3_REGION: Setting = Setting {
    name: "S3_REGION",
    default: "us-east-1",
    shown_default: None,
    meaning: "region for request signing",
};

pub const BIND_ADDR: Setting = Setting {
    name: "BIND_ADDR",
    default: "127.0.0.1:8000",
    shown_default: None,
    meaning: "listen address (`0.0.0.0:8000` in the container)",
};

pub const MAX_IMAGE_BYTES: Setting = Setting {
    name: "MAX_IMAGE_BYTES",
    default: "10485760",
    shown_default: None,
    meaning: "image size limit (10 MiB)",
};

pub const CORS_ORIGINS: Setting = Setting {
    name: "CORS_ORIGINS",
    default: "http://localhost:4200",
    shown_default: None,
    meaning: "comma-separated allowed origins",
};

pub const STATIC_DIR: Setting = Setting {
    name: "STATIC_DIR",
    default: "frontend/dist/postboard/browser",
    shown_default: Some(
        "`frontend/dist/postboard/browser` (relative to the working directory; `/app/static` in the container)",
    ),
    meaning: "the built Angular app; when the folder exists, served at `/` with SPA fallback",
};

pub const RUST_LOG: Setting = Setting {
    name: "RUST_LOG",
    default: "info",
    shown_default: None,
    meaning: "log filter",
};

pub const RATE_LIMIT_POSTS: Setting = Setting {
    name: "RATE_LIMIT_POSTS",
    default: "20/10m",
    shown_default: None,
    meaning: "creates per client: `N/period`, the period a whole number of `s`, `m` or `h` (`6/10m`, `1/1s`, `100/24h`; at most `1000000/168h`), or `off`. `N` at once, then one every period/`N`. Past it: 429 with `Retry-After`. Held for all replicas together (the state is in PostgreSQL); see docs/API.md, \"Rate limits\"",
};

pub const RATE_LIMIT_VOTES: Setting = Setting {
    name: "RATE_LIMIT_VOTES",
    default: "300/1m",
    shown_default: None,
    meaning: "votes per client, same syntax",
};

pub const TRUSTED_PROXIES: Setting = Setting {
    name: "TRUSTED_PROXIES",
    default: "",
    shown_default: Some("empty (none)"),
    meaning: "comma-separated CIDRs (`10.0.0.0/8, fd00::/8`; a bare address is itself) of the proxies in front of the server. From such a peer, the client is the rightmost address of `X-Forwarded-For` that is not a trusted proxy; from any other, the peer. Set it only to your own proxies: a trusted peer can claim any client address",
};

pub const HSTS_MAX_AGE: Setting = Setting {
    name: "HSTS_MAX_AGE",
    default: "0",
    shown_default: Some("`0` (off)"),
    meaning: "when > 0, every response carries `Strict-Transport-Security: max-age=<value>; includeSubDomains`. Turn it on only when browsers reach the server over HTTPS (a TLS-terminating proxy in front of it), e.g. `HSTS_MAX_AGE=31536000`; over plain HTTP it would lock browsers out of the site. The proxy may set the header instead.",
};

pub const IMAGE_CACHE_BYTES: Setting = Setting {
    name: "IMAGE_CACHE_BYTES",
    default: "67108864",
    shown_default: Some("`67108864` (64 MiB)"),
    meaning: "bound, in bytes, of the in-process cache of small image objects (originals and variants up to 1 MiB each; larger ones always stream from S3). A popular image is then served with no trip to S3. `0` turns it off. Each replica has its own; they need no coordination, since an object never changes once stored (see API.md, \"Images\"). Budget the process's memory for it.",
};

pub const RATE_LIMIT_REPORTS: Setting = Setting {
    name: "RATE_LIMIT_REPORTS",
    default: "10/10m",
    shown_default: None,
    meaning: "reports (`POST /post/{id}/report`) per client, same syntax",
};

pub const REPORTS_TO_HIDE: Setting = Setting {
    name: "REPORTS_TO_HIDE",
    default: "5",
    shown_default: None,
    meaning: "reports from this many different clients hide a post at once, until a moderator decides (a whole number, at least 1)",
};

pub const PREMODERATE_IMAGES: Setting = Setting {
    name: "PREMODERATE_IMAGES",
    default: "off",
    shown_default: None,
    meaning: "`on`: every new post with an image waits hidden until a moderator restores it from the queue (text-only posts are shown at once); `off`: posts are shown at once. See docs/API.md, \"Moderators\"",
};

pub const PUBLIC_URL: Setting = Setting {
    name: "PUBLIC_URL",
    default: "http://localhost:8000",
    shown_default: None,
    meaning: "the board's address as its users reach it (`https://board.example`, or with a path prefix `https://example.org/board`), for the absolute URLs that leave the app: the Atom feed's ids and links, and a post page's canonical link and Open Graph / Twitter tags (`og:url`, `og:image`). `http` or `https`, no query, fragment or credentials; a trailing slash is ignored. Behind a proxy, set it to the public address, not the app's own",
};

pub const STREAMS_PER_CLIENT: Setting = Setting {
    name: "STREAMS_PER_CLIENT",
    default: "1000",
    shown_default: None,
    meaning: "live streams (`GET /events`) one client (an IPv4 address, an IPv6 /64) may hold open on one replica; past it: 429 with `Retry-After: 30`. Generous on purpose: a school or an office behind one NAT is one client. The count is per replica (it guards the replica's own descriptors and memory), so behind a load balancer a client gets this much on each",
};

pub const STREAMS_PER_REPLICA: Setting = Setting {
    name: "STREAMS_PER_REPLICA",
    default: "10000",
    shown_default: None,
    meaning: "live streams one replica holds open in all; past it: 503 with `Retry-After: 5`, so that a browser tries again (another replica, behind a load balancer). Each stream is an open file: at start the server raises its soft open-files limit to the hard one and warns when this cap (plus about 512) does not fit under it; raise the hard limit (`ulimit -Hn`, systemd's `LimitNOFILE`, the container runtime's `nofile`) for more. An idle stream costs the replica about 15 KiB of memory (BENCHMARKS.md: 19 000 streams in 291 MiB)",
};

pub const STREAM_BACKLOG_BYTES: Setting = Setting {
    name: "STREAM_BACKLOG_BYTES",
    default: "1048576",
    shown_default: None,
    meaning: "how far (in bytes of events, about as sent) a live stream may fall behind the newest event before it is cut; the client resumes with `Last-Event-ID`. A client that reads nothing at all is cut after 60 s without a write",
};

pub const METRICS_ADDR: Setting = Setting {
    name: "METRICS_ADDR",
    default: "",
    shown_default: Some("empty (off)"),
    meaning: "listen address of a second listener serving `GET /metrics` in Prometheus' text format (see \"Metrics\" below), e.g. `127.0.0.1:9100`, or `0.0.0.0:9100` in a container whose port is not published. It is not the public port, and the public port has no `/metrics`: bind it where only your Prometheus reaches it. Unset or empty: no listener, nothing is recorded",
};

/// docs/configuration.md's table of variables, from [`ENV_VARS`].
pub fn settings_markdown() -> String {
    let mut table = String::from("| variable | default | meaning |\n|---|---|---|\n");
    for setting in ENV_VARS {
        let default = match setting.shown_default {
            Some(shown) => shown.to_owned(),
            None => format!("`{}`", setting.default),
        };
        table.push_str(&format!(
            "| `{}` | {default} | {} |\n",
            setting.name, setting.meaning
        ));
    }
    table
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
    /// A streaming replica that serves the board's reads while fresh enough (`None`: none).
    pub database_replica_url: Option<SecretString>,
    /// How far behind the replica may be and still serve reads (`REPLICA_MAX_LAG`).
    pub replica_max_lag: Duration,
    pub s3: S3Config,
    pub bind_addr: SocketAddr,
    pub max_image_bytes: usize,
    pub cors_origins: Vec<String>,
    pub static_dir: PathBuf,
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

/// What `DATABASE_URL` leads to (`DATABASE_POOLER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabasePooler {
    /// PostgreSQL itself, or a pooler in session mode: a connection is one server session.
    None,
    /// A pooler in transaction mode (PgBouncer `pool_mode = transaction`): only a
    /// transaction is sure to stay on one server session. See `startup::connect_options`.
    Transaction,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {name}={value:?}: {reason}")]
pub struct ConfigError {
    name: &'static str,
    value: String,
    reason: String,
}

impl Config {
    /// Reads the process environment, after loading `.env` (real environment wins).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable lookup; unset variables take their default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&lookup);
        let pooler = vars.parse(&DATABASE_POOLER, |value| match value.trim() {
            "none" => Ok(DatabasePooler::None),
            "transaction" => Ok(DatabasePooler::Transaction),
            _ => Err("must be none or transaction".into()),
        })?;
        let database_listen_url = vars.optional_secret(&DATABASE_LISTEN_URL);
        // LISTEN and the migrations' session lock cannot work through a transaction pooler:
        // such a configuration is refused at start, not discovered later.
        if pooler == DatabasePooler::Transaction && database_listen_url.is_none() {
            return Err(ConfigError {
                name: DATABASE_LISTEN_URL.name,
                value: String::new(),
                reason:
                    "must be a direct connection to PostgreSQL when DATABASE_POOLER=transaction"
                        .into(),
            });
        }
        Ok(Config {
            database_url: vars.get(&DATABASE_URL).into(),
            database_pooler: pooler,
            database_listen_url,
            database_max_connections: vars.count(&DATABASE_MAX_CONNECTIONS)?,
            database_replica_url: vars.optional_secret(&DATABASE_REPLICA_URL),
            replica_max_lag: vars.parse(&REPLICA_MAX_LAG, |value| {
                parse_lag(value).ok_or_else(|| "must be like 500ms or 2s, at most 60s".into())
            })?,
            s3: S3Config {
                endpoint: vars.get(&S3_ENDPOINT),
                bucket: vars.get(&S3_BUCKET),
                access_key: vars.get(&S3_ACCESS_KEY).into(),
                secret_key: vars.get(&S3_SECRET_KEY).into(),
                region: vars.get(&S3_REGION),
            },
            bind_addr: vars.parse(&BIND_ADDR, from_str)?,
            max_image_bytes: vars.parse(&MAX_IMAGE_BYTES, from_str)?,
            cors_origins: vars
                .get(&CORS_ORIGINS)
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            static_dir: PathBuf::from(vars.get(&STATIC_DIR)),
            startup_timeout: STARTUP_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            header_timeout: HEADER_TIMEOUT,
            send_timeout: SEND_TIMEOUT,
            body_idle_timeout: BODY_IDLE_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            hsts_max_age: vars.parse(&HSTS_MAX_AGE, |value| {
                from_str::<u64>(value).map(|seconds| (seconds > 0).then_some(seconds))
            })?,
            rate_limit_posts: vars.parse(&RATE_LIMIT_POSTS, rate_limit)?,
            rate_limit_votes: vars.parse(&RATE_LIMIT_VOTES, rate_limit)?,
            rate_limit_reports: vars.parse(&RATE_LIMIT_REPORTS, rate_limit)?,
            reports_to_hide: vars.parse(&REPORTS_TO_HIDE, |value| match value.parse::<u32>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err("must be a whole number of at least 1".into()),
            })?,
            premoderate_images: vars.parse(&PREMODERATE_IMAGES, |value| match value.trim() {
                "on" => Ok(true),
                "off" => Ok(false),
                _ => Err("must be on or off".into()),
            })?,
            stream_limits: StreamLimits {
                per_client: vars.count(&STREAMS_PER_CLIENT)?,
                per_replica: vars.count(&STREAMS_PER_REPLICA)?,
                backlog_bytes: vars.count(&STREAM_BACKLOG_BYTES)?,
            },
            trusted_proxies: vars.parse(&TRUSTED_PROXIES, |value| {
                TrustedProxies::parse(value).map_err(|e| e.to_string())
            })?,
            image_cache_bytes: vars.parse(&IMAGE_CACHE_BYTES, from_str)?,
            metrics_addr: vars.parse(&METRICS_ADDR, |value| match value.trim() {
                "" => Ok(None),
                addr => from_str(addr).map(Some),
            })?,
            public_url: vars.parse(&PUBLIC_URL, |value| {
                PublicUrl::parse(value).map_err(|e| e.to_string())
            })?,
        })
    }
}

/// The variables as a lookup gives them, read through their [`Setting`]s: an unset one takes
/// the setting's default, and a value that does not parse is an error naming the variable.
struct Vars<'a, L: Fn(&str) -> Option<String>>(&'a L);

impl<L: Fn(&str) -> Option<String>> Vars<'_, L> {
    fn get(&self, setting: &Setting) -> String {
        (self.0)(setting.name).unwrap_or_else(|| setting.default.to_owned())
    }

    fn parse<T>(
        &self,
        setting: &Setting,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let value = self.get(setting);
        parse(&value).map_err(|reason| ConfigError {
            name: setting.name,
            value,
            reason,
        })
    }

    /// A whole number of at least 1.
    fn count(&self, setting: &Setting) -> Result<usize, ConfigError> {
        self.parse(setting, |value| match value.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err("must be a whole number of at least 1".into()),
        })
    }

    /// A secret that may be left empty (`None`).
    fn optional_secret(&self, setting: &Setting) -> Option<SecretString> {
        match self.get(setting).trim() {
            "" => None,
            value => Some(value.to_owned().into()),
        }
    }
}

fn from_str<T: std::str::FromStr<Err: std::fmt::Display>>(value: &str) -> Result<T, String> {
    value.parse().map_err(|e: T::Err| e.to_string())
}

fn rate_limit(value: &str) -> Result<RateLimit, String> {
    RateLimit::parse(value).map_err(|e| e.to_string())
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

/// `500ms`, `2s`: a whole number of milliseconds or seconds, more than zero and at most 60 s.
fn parse_lag(value: &str) -> Option<Duration> {
    let value = value.trim();
    let lag = if let Some(millis) = value.strip_suffix("ms") {
        Duration::from_millis(millis.parse().ok()?)
    } else {
        Duration::from_secs(value.strip_suffix('s')?.parse().ok()?)
    };
    (!lag.is_zero() && lag <= Duration::from_secs(60)).then_some(lag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(config.max_image_bytes, 10 * 1024 * 1024);
        assert_eq!(config.s3.bucket, "images");
        assert_eq!(config.cors_origins, vec!["http://localhost:4200"]);
        assert_eq!(config.image_cache_bytes, 64 * 1024 * 1024);
        assert_eq!(config.metrics_addr, None);
    }

    #[test]
    fn metrics_are_off_unless_an_address_is_given() {
        let with = |value: &'static str| {
            Config::from_lookup(move |name| (name == "METRICS_ADDR").then(|| value.into()))
        };
        assert_eq!(with("").unwrap().metrics_addr, None);
        assert_eq!(with("  ").unwrap().metrics_addr, None);
        assert_eq!(
            with("0.0.0.0:9100").unwrap().metrics_addr,
            Some("0.0.0.0:9100".parse().unwrap())
        );
        let error = with("localhost:9100").unwrap_err();
        assert!(error.to_string().contains("METRICS_ADDR"), "{error}");
    }

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_named() {
        let config = Config::from_lookup(|name| match name {
            "CORS_ORIGINS" => Some("http://a.test, http://b.test,".into()),
            "MAX_IMAGE_BYTES" => Some("42".into()),
            "IMAGE_CACHE_BYTES" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.cors_origins, vec!["http://a.test", "http://b.test"]);
        assert_eq!(config.max_image_bytes, 42);
        assert_eq!(config.image_cache_bytes, 0);
        let err = Config::from_lookup(|name| (name == "IMAGE_CACHE_BYTES").then(|| "64M".into()))
            .unwrap_err();
        assert!(err.to_string().contains("IMAGE_CACHE_BYTES"), "{err}");

        let err =
            Config::from_lookup(|name| (name == "BIND_ADDR").then(|| "nope".into())).unwrap_err();
        assert!(err.to_string().contains("BIND_ADDR"), "{err}");
    }

    #[test]
    fn rate_limits_are_on_by_default_and_bad_values_fail_clearly() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.rate_limit_posts.to_string(), "20/10m");
        assert_eq!(config.rate_limit_votes.to_string(), "300/1m");
        assert!(config.trusted_proxies.is_empty());

        let config = Config::from_lookup(|name| match name {
            "RATE_LIMIT_POSTS" => Some("off".into()),
            "RATE_LIMIT_VOTES" => Some("6/10m".into()),
            "TRUSTED_PROXIES" => Some("10.0.0.0/8, fd00::/8".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.rate_limit_posts, crate::domain::RateLimit::Off);
        assert_eq!(config.rate_limit_votes.to_string(), "6/10m");
        assert_eq!(config.trusted_proxies.to_string(), "10.0.0.0/8,fd00::/8");

        for (name, value) in [
            ("RATE_LIMIT_POSTS", "20 per minute"),
            ("RATE_LIMIT_VOTES", "0/1m"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,localhost"),
        ] {
            let error = Config::from_lookup(|n| (n == name).then(|| value.into())).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(name) && message.contains(value),
                "{message}"
            );
        }
        let error =
            Config::from_lookup(|n| (n == "RATE_LIMIT_POSTS").then(|| "20/10".into())).unwrap_err();
        assert!(error.to_string().contains("N/period"), "{error}");
    }

    #[test]
    fn the_replica_is_off_by_default_and_its_lag_takes_ms_or_s() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert!(config.database_replica_url.is_none());
        assert_eq!(config.replica_max_lag, Duration::from_secs(2));
        for (value, lag) in [("500ms", 500), ("3s", 3000), (" 60s ", 60_000)] {
            let config =
                Config::from_lookup(|name| (name == "REPLICA_MAX_LAG").then(|| value.into()))
                    .unwrap();
            assert_eq!(
                config.replica_max_lag,
                Duration::from_millis(lag),
                "{value}"
            );
        }
        for value in ["0s", "61s", "2", "1.5s", "2m", "", "-1s"] {
            let error =
                Config::from_lookup(|name| (name == "REPLICA_MAX_LAG").then(|| value.into()))
                    .unwrap_err();
            assert!(
                error.to_string().contains("REPLICA_MAX_LAG"),
                "{value}: {error}"
            );
        }
    }

    #[test]
    fn the_pooler_is_none_or_transaction_and_the_listen_url_defaults_to_the_database_url() {
        use secrecy::ExposeSecret;

        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.database_pooler, DatabasePooler::None);
        assert!(config.database_listen_url.is_none());
        let config = Config::from_lookup(|name| match name {
            "DATABASE_POOLER" => Some("transaction".into()),
            "DATABASE_LISTEN_URL" => Some("postgres://app:secret@db:5432/appdb".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.database_pooler, DatabasePooler::Transaction);
        let listen = config.database_listen_url.unwrap();
        assert_eq!(
            listen.expose_secret(),
            "postgres://app:secret@db:5432/appdb"
        );
        let error =
            Config::from_lookup(|name| (name == "DATABASE_POOLER").then(|| "session".into()))
                .unwrap_err();
        assert!(error.to_string().contains("DATABASE_POOLER"), "{error}");
        let error =
            Config::from_lookup(|name| (name == "DATABASE_POOLER").then(|| "transaction".into()))
                .unwrap_err();
        assert!(error.to_string().contains("DATABASE_LISTEN_URL"), "{error}");
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
        let shown = format!("{:?}", Config::from_lookup(|_| None).unwrap());
        assert!(
            !shown.contains(":secret@") && !shown.contains("minioadmin"),
            "{shown}"
        );
    }
}
