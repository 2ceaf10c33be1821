//! The repository's infrastructure files checked against the code: docker-compose.yml, the
//! Dockerfile, .gitlab-ci.yml, the Makefile and scripts/. A renamed environment variable, a
//! missing build path, or a CI job calling a target or script that does not exist fails here.
//! One module per file or folder checked; the helpers they share are here.

mod ci;
mod compose;
mod docker;
mod k8s;
mod nginx;
mod scripts;

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use postboard::config::{Setting, settings};
use serde_yaml::Value;

/// Variables the app service and the scripts must always set for the backend.
const REQUIRED_APP_VARS: &[&str] = &[
    "DATABASE_URL",
    "S3_ENDPOINT",
    "S3_BUCKET",
    "S3_ACCESS_KEY",
    "S3_SECRET_KEY",
    "BIND_ADDR",
    "STATIC_DIR",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the backend crate lives one level below the repository root")
        .to_path_buf()
}

fn read(rel: &str) -> String {
    let path = repo_root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn yaml(rel: &str) -> Value {
    serde_yaml::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel} is not valid YAML: {e}"))
}

fn known_vars() -> BTreeSet<String> {
    settings().into_iter().map(|setting| setting.name).collect()
}

/// The server's declaration of one variable.
fn setting(name: &str) -> Setting {
    settings()
        .into_iter()
        .find(|setting| setting.name == name)
        .unwrap_or_else(|| panic!("the server reads no {name}"))
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, found {other:?}"),
    }
}

/// A compose `environment:` block as a map, whether written as a map or as `KEY=value` items.
fn env_map(service: &Value) -> BTreeMap<String, String> {
    match service.get("environment") {
        None => BTreeMap::new(),
        Some(Value::Mapping(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    str_of(k),
                    if v.is_null() {
                        String::new()
                    } else {
                        str_of(v)
                    },
                )
            })
            .collect(),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|item| {
                let s = str_of(item);
                match s.split_once('=') {
                    Some((k, v)) => (k.to_owned(), v.to_owned()),
                    None => (s, String::new()),
                }
            })
            .collect(),
        Some(other) => panic!("environment must be a map or a list, found {other:?}"),
    }
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    compose
        .get("services")
        .and_then(|s| s.get(name))
        .unwrap_or_else(|| panic!("docker-compose.yml has no service `{name}`"))
}

/// `postgres://user:password@host:port/db` → (user, password, host, db).
fn parse_pg_url(url: &str) -> (String, String, String, String) {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .unwrap_or_else(|| panic!("not a postgres URL: {url}"));
    let (userinfo, hostpart) = rest.rsplit_once('@').expect("URL has user@host");
    let (user, password) = userinfo.split_once(':').expect("URL has user:password");
    let (host, db) = hostpart.split_once('/').expect("URL has /database");
    let host = host.split(':').next().unwrap().to_owned();
    let db = db.split('?').next().unwrap().to_owned();
    (user.to_owned(), password.to_owned(), host, db)
}

/// The image the app services run (built from the Dockerfile).
const APP_IMAGE: &str = "postboard:local";

/// The app replicas: every service that runs the app's image, by name.
fn app_services(compose: &Value) -> Vec<(String, &Value)> {
    let apps: Vec<(String, &Value)> = compose
        .get("services")
        .and_then(Value::as_mapping)
        .expect("docker-compose.yml has services")
        .iter()
        .filter(|(_, svc)| svc.get("image").map(str_of).as_deref() == Some(APP_IMAGE))
        .map(|(name, svc)| (str_of(name), svc))
        .collect();
    assert!(
        apps.len() >= 2,
        "docker-compose.yml runs at least two replicas of {APP_IMAGE}, found {}",
        apps.len()
    );
    apps
}

/// A service's published ports as `host:container` strings.
fn published_ports(svc: &Value) -> Vec<String> {
    svc.get("ports")
        .and_then(Value::as_sequence)
        .map(|ports| {
            ports
                .iter()
                .map(|p| match p {
                    Value::Mapping(_) => format!(
                        "{}:{}",
                        p.get("published").map(str_of).unwrap_or_default(),
                        p.get("target").map(str_of).unwrap_or_default()
                    ),
                    other => str_of(other),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn depends_on_healthy(svc: &Value, name: &str, dep: &str) {
    let cond = svc
        .get("depends_on")
        .and_then(Value::as_mapping)
        .unwrap_or_else(|| panic!("{name}.depends_on is a map with conditions"))
        .get(dep)
        .and_then(|d| d.get("condition"))
        .map(str_of)
        .unwrap_or_else(|| panic!("{name}.depends_on.{dep}.condition is missing"));
    assert_eq!(
        cond, "service_healthy",
        "{name} must wait for {dep} to be healthy"
    );
}

/// A proxy's body limit (`NNm`) is above the app's own, MAX_IMAGE_BYTES + 1 MiB: a larger
/// request then reaches the app and gets its JSON 413, not an HTML one from the proxy.
fn assert_proxy_lets_the_app_refuse_large_bodies(name: &str, limit: &str, max_image_bytes: usize) {
    let mib: usize = limit
        .strip_suffix('m')
        .unwrap_or_else(|| panic!("{name} in MiB: {limit}"))
        .parse()
        .unwrap();
    assert!(
        mib << 20 > max_image_bytes + (1 << 20),
        "{name} {limit} <= MAX_IMAGE_BYTES + 1 MiB"
    );
}
