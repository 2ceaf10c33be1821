//! Server configuration from the environment (and a `.env` file), as in API.md's table.
//! Defaults match `docker-compose.yml` so a plain `postboard` talks to the compose services.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// Every environment variable the server reads, with its default. The repo-file tests check
/// `docker-compose.yml`, the Dockerfile and the scripts against this list.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("DATABASE_URL", "postgres://app:secret@localhost:5432/appdb"),
    ("S3_ENDPOINT", "http://localhost:9000"),
    ("S3_BUCKET", "images"),
    ("S3_ACCESS_KEY", "minioadmin"),
    ("S3_SECRET_KEY", "minioadmin"),
    ("S3_REGION", "us-east-1"),
    ("BIND_ADDR", "127.0.0.1:8000"),
    ("MAX_IMAGE_BYTES", "10485760"),
    ("CORS_ORIGINS", "http://localhost:4200"),
    ("STATIC_DIR", "frontend/dist/postboard/browser"),
    ("RUST_LOG", "info"),
];

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub s3: S3Config,
    pub bind_addr: SocketAddr,
    pub max_image_bytes: usize,
    pub cors_origins: Vec<String>,
    pub static_dir: PathBuf,
    /// How long startup keeps retrying PostgreSQL and S3 before giving up.
    pub startup_timeout: Duration,
    /// Backstop for any single request; answered with 503.
    pub request_timeout: Duration,
}

#[derive(Clone)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

// Hand-written so that secrets never reach a log line through `{:?}`.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database", &redact_url(&self.database_url))
            .field("s3_endpoint", &self.s3.endpoint)
            .field("s3_bucket", &self.s3.bucket)
            .field("s3_region", &self.s3.region)
            .field("bind_addr", &self.bind_addr)
            .field("max_image_bytes", &self.max_image_bytes)
            .field("cors_origins", &self.cors_origins)
            .field("static_dir", &self.static_dir)
            .finish_non_exhaustive()
    }
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
        let get = |name: &'static str| -> String {
            lookup(name).unwrap_or_else(|| default_of(name).to_owned())
        };
        let parse_err = |name: &'static str, value: &str, reason: String| ConfigError {
            name,
            value: value.to_owned(),
            reason,
        };

        let bind = get("BIND_ADDR");
        let bind_addr = bind
            .parse()
            .map_err(|e: std::net::AddrParseError| parse_err("BIND_ADDR", &bind, e.to_string()))?;
        let max = get("MAX_IMAGE_BYTES");
        let max_image_bytes = max.parse().map_err(|e: std::num::ParseIntError| {
            parse_err("MAX_IMAGE_BYTES", &max, e.to_string())
        })?;

        Ok(Config {
            database_url: get("DATABASE_URL"),
            s3: S3Config {
                endpoint: get("S3_ENDPOINT"),
                bucket: get("S3_BUCKET"),
                access_key: get("S3_ACCESS_KEY"),
                secret_key: get("S3_SECRET_KEY"),
                region: get("S3_REGION"),
            },
            bind_addr,
            max_image_bytes,
            cors_origins: get("CORS_ORIGINS")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            static_dir: PathBuf::from(get("STATIC_DIR")),
            startup_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
        })
    }
}

fn default_of(name: &str) -> &'static str {
    ENV_VARS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .expect("every variable read has a default in ENV_VARS")
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db`, for log lines.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
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
    }

    #[test]
    fn environment_overrides_defaults_and_bad_values_are_named() {
        let config = Config::from_lookup(|name| match name {
            "CORS_ORIGINS" => Some("http://a.test, http://b.test,".into()),
            "MAX_IMAGE_BYTES" => Some("42".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.cors_origins, vec!["http://a.test", "http://b.test"]);
        assert_eq!(config.max_image_bytes, 42);

        let err =
            Config::from_lookup(|name| (name == "BIND_ADDR").then(|| "nope".into())).unwrap_err();
        assert!(err.to_string().contains("BIND_ADDR"), "{err}");
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
        let shown = format!("{:?}", Config::from_lookup(|_| None).unwrap());
        assert!(
            !shown.contains("secret") && !shown.contains("minioadmin"),
            "{shown}"
        );
    }
}
