//! The repository's infrastructure files checked against the code: docker-compose.yml, the
//! Dockerfile, .gitlab-ci.yml, the Makefile and scripts/. A renamed environment variable, a
//! missing build path, or a CI job calling a target or script that does not exist fails here.

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

#[test]
fn compose_has_its_services_with_healthchecks() {
    let compose = yaml("docker-compose.yml");
    let apps: Vec<String> = app_services(&compose).into_iter().map(|(n, _)| n).collect();
    for name in ["db", "minio", "proxy"]
        .into_iter()
        .chain(apps.iter().map(String::as_str))
    {
        let svc = service(&compose, name);
        let test = svc
            .get("healthcheck")
            .and_then(|h| h.get("test"))
            .unwrap_or_else(|| panic!("service `{name}` has no healthcheck test"));
        assert!(
            !matches!(test, Value::Null) && test != &Value::Sequence(vec![]),
            "service `{name}` has an empty healthcheck"
        );
    }
    let db_image = str_of(
        service(&compose, "db")
            .get("image")
            .expect("db has an image"),
    );
    assert!(
        db_image.starts_with("postgres:16"),
        "db image is {db_image}"
    );
    let minio_image = str_of(
        service(&compose, "minio")
            .get("image")
            .expect("minio image"),
    );
    assert!(
        minio_image.contains("minio") && minio_image.contains(":RELEASE."),
        "minio must be a pinned release, found {minio_image}"
    );
    assert!(
        compose.get("volumes").is_some(),
        "named volumes are declared"
    );
}

#[test]
fn compose_apps_build_from_files_that_exist_and_only_the_proxy_publishes() {
    let compose = yaml("docker-compose.yml");
    for (name, app) in app_services(&compose) {
        let build = app
            .get("build")
            .unwrap_or_else(|| panic!("{name} has a build section"));
        let (context, dockerfile) = match build {
            Value::String(ctx) => (ctx.clone(), "Dockerfile".to_owned()),
            _ => (
                build
                    .get("context")
                    .map(str_of)
                    .unwrap_or_else(|| ".".into()),
                build
                    .get("dockerfile")
                    .map(str_of)
                    .unwrap_or_else(|| "Dockerfile".into()),
            ),
        };
        let context_dir = repo_root().join(&context);
        assert!(
            context_dir.is_dir(),
            "build context {context} does not exist"
        );
        let dockerfile_path = context_dir.join(&dockerfile);
        assert!(
            dockerfile_path.is_file(),
            "{} does not exist",
            dockerfile_path.display()
        );
        assert!(
            context_dir.join(".dockerignore").is_file(),
            "the build context has a .dockerignore"
        );
        assert_eq!(
            published_ports(app),
            Vec::<String>::new(),
            "{name} is reached through the proxy only (its metrics port is not public either)"
        );

        let env = env_map(app);
        let bind = env.get("BIND_ADDR").expect("BIND_ADDR is set");
        assert_eq!(
            bind, "0.0.0.0:8000",
            "{name} accepts the proxy's connections on 8000"
        );
    }
    let proxy = service(&compose, "proxy");
    assert!(
        published_ports(proxy)
            .iter()
            .any(|p| p == "8000:8000" || p.ends_with(":8000:8000")),
        "the proxy publishes 8000:8000, found {:?}",
        published_ports(proxy)
    );
}

#[test]
fn compose_app_variables_are_the_ones_the_server_reads() {
    let compose = yaml("docker-compose.yml");
    for (name, app) in app_services(&compose) {
        let env = env_map(app);
        let known = known_vars();
        for var in env.keys() {
            assert!(
                known.contains(var.as_str()),
                "docker-compose.yml sets {var} on {name}, but the server reads no such variable \
                 (postboard::config::Settings: {known:?})"
            );
        }
        for var in REQUIRED_APP_VARS {
            assert!(
                env.contains_key(*var),
                "docker-compose.yml must set {var} on {name}"
            );
        }

        // The database URL matches the db service.
        let db_env = env_map(service(&compose, "db"));
        let (user, password, host, db) = parse_pg_url(&env["DATABASE_URL"]);
        assert_eq!(host, "db", "DATABASE_URL must point at the db service");
        assert_eq!(
            Some(&user),
            db_env.get("POSTGRES_USER"),
            "DATABASE_URL user"
        );
        assert_eq!(
            Some(&password),
            db_env.get("POSTGRES_PASSWORD"),
            "DATABASE_URL password"
        );
        assert_eq!(
            Some(&db),
            db_env.get("POSTGRES_DB"),
            "DATABASE_URL database"
        );

        // The S3 endpoint and credentials match the minio service.
        let minio_env = env_map(service(&compose, "minio"));
        assert_eq!(env.get("S3_ACCESS_KEY"), minio_env.get("MINIO_ROOT_USER"));
        assert_eq!(
            env.get("S3_SECRET_KEY"),
            minio_env.get("MINIO_ROOT_PASSWORD")
        );
        assert!(
            env["S3_ENDPOINT"].starts_with("http://minio:9000"),
            "S3_ENDPOINT must point at the minio service: {}",
            env["S3_ENDPOINT"]
        );

        // STATIC_DIR is where the Dockerfile puts the SPA.
        let dockerfile = read("Dockerfile");
        assert!(
            dockerfile.contains(&env["STATIC_DIR"]),
            "the Dockerfile never mentions STATIC_DIR={}",
            env["STATIC_DIR"]
        );
    }
}

#[test]
fn compose_apps_wait_for_healthy_dependencies_and_the_proxy_for_the_apps() {
    let compose = yaml("docker-compose.yml");
    let apps = app_services(&compose);
    for (name, app) in &apps {
        for dep in ["db", "minio"] {
            depends_on_healthy(app, name, dep);
        }
    }
    let proxy = service(&compose, "proxy");
    for (name, _) in &apps {
        depends_on_healthy(proxy, "proxy", name);
    }
}

#[test]
fn compose_proxy_is_a_pinned_nginx_with_its_config_mounted_read_only() {
    let compose = yaml("docker-compose.yml");
    let proxy = service(&compose, "proxy");
    let image = str_of(proxy.get("image").expect("proxy has an image"));
    let pinned = regex::Regex::new(r"^nginx:\d+\.\d+\.\d+(-[a-z0-9.]+)?$").unwrap();
    assert!(
        pinned.is_match(&image),
        "the proxy is nginx at an exact version, found {image}"
    );
    let volumes: Vec<String> = proxy
        .get("volumes")
        .and_then(Value::as_sequence)
        .expect("the proxy mounts its configuration")
        .iter()
        .map(str_of)
        .collect();
    assert!(
        volumes
            .iter()
            .any(|v| v == "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro"),
        "deploy/nginx.conf replaces the image's default server, read-only: {volumes:?}"
    );
    assert!(repo_root().join("deploy/nginx.conf").is_file());
}

/// The text of a `{ ... }` block of nginx.conf that starts with `opening` (comments removed).
fn nginx_block<'a>(conf: &'a str, opening: &str) -> &'a str {
    let start = conf
        .find(opening)
        .unwrap_or_else(|| panic!("deploy/nginx.conf has no `{opening}` block"));
    let body = start + conf[start..].find('{').expect("a block") + 1;
    let mut depth = 1;
    for (i, c) in conf[body..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return &conf[body..body + i];
        }
    }
    panic!("`{opening}` is not closed");
}

/// `60s`, `1m`, `1h` (nginx time) in seconds.
fn nginx_seconds(value: &str) -> u64 {
    let (number, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len()),
    );
    let number: u64 = number.parse().expect("a number of seconds");
    number
        * match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            other => panic!("unexpected time unit {other}"),
        }
}

#[test]
fn nginx_conf_spreads_over_every_app_and_streams_events_unbuffered() {
    let compose = yaml("docker-compose.yml");
    let conf: String = read("deploy/nginx.conf")
        .lines()
        .map(|line| line.split('#').next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let directive = |block: &str, name: &str| -> Option<String> {
        block.lines().map(str::trim).find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(' ')?;
            Some(rest.trim_end_matches(';').trim().to_owned())
        })
    };

    let upstream = nginx_block(&conf, "upstream postboard");
    let servers: BTreeSet<String> = upstream
        .lines()
        .filter_map(|line| line.trim().strip_prefix("server "))
        .map(|server| server.split_whitespace().next().unwrap().to_owned())
        .collect();
    let apps: BTreeSet<String> = app_services(&compose)
        .into_iter()
        .map(|(name, _)| format!("{name}:8000"))
        .collect();
    assert_eq!(servers, apps, "the upstream lists every app replica");

    let server = nginx_block(&conf, "server {");
    assert_eq!(directive(server, "listen").as_deref(), Some("8000"));
    assert_eq!(
        directive(server, "proxy_http_version").as_deref(),
        Some("1.1")
    );
    assert!(
        server.contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"),
        "the proxy appends the client's address to X-Forwarded-For"
    );
    // The app's own limit on a request is MAX_IMAGE_BYTES + 1 MiB: larger requests get its
    // JSON 413, not an HTML one from nginx.
    let body = directive(server, "client_max_body_size").expect("client_max_body_size");
    let mib: u64 = body
        .strip_suffix('m')
        .expect("client_max_body_size in MiB")
        .parse()
        .unwrap();
    let max_image: u64 = setting("MAX_IMAGE_BYTES").default.parse().unwrap();
    assert!(
        mib << 20 > max_image + (1 << 20),
        "client_max_body_size {body} <= MAX_IMAGE_BYTES + 1 MiB"
    );
    // What nginx answers itself (a body over its own limit, no replica answering, a replica
    // timing out) has the contract's JSON shape too (tests/api/behind_nginx.rs sees it).
    let error_page = directive(server, "error_page").expect("error_page");
    let words: Vec<&str> = error_page.split_whitespace().collect();
    for code in ["413", "502", "504"] {
        assert!(
            words.contains(&code),
            "error_page {error_page} covers {code}"
        );
    }
    let page = nginx_block(&conf, &format!("location = {}", words.last().unwrap()));
    assert_eq!(
        directive(page, "default_type").as_deref(),
        Some("application/json"),
        "{page}"
    );

    let events = nginx_block(&conf, "location = /events");
    assert_eq!(directive(events, "proxy_buffering").as_deref(), Some("off"));
    let read_timeout = directive(events, "proxy_read_timeout").expect("proxy_read_timeout");
    assert!(
        nginx_seconds(&read_timeout) > 15,
        "/events sends a keep-alive every 15 s; proxy_read_timeout {read_timeout} must be longer"
    );
}

#[test]
fn the_apps_trust_exactly_the_proxy() {
    use std::net::IpAddr;

    use postboard::domain::TrustedProxies;

    let compose = yaml("docker-compose.yml");
    let proxy_addr: IpAddr = service(&compose, "proxy")
        .get("networks")
        .and_then(|n| n.get("default"))
        .and_then(|n| n.get("ipv4_address"))
        .map(str_of)
        .expect("the proxy has a fixed address on the default network")
        .parse()
        .unwrap();
    let ipam = compose
        .get("networks")
        .and_then(|n| n.get("default"))
        .and_then(|n| n.get("ipam"))
        .and_then(|i| i.get("config"))
        .and_then(Value::as_sequence)
        .and_then(|c| c.first())
        .expect("the default network has a fixed subnet");
    let net = |key: &str| -> ipnet::IpNet {
        str_of(
            ipam.get(key)
                .unwrap_or_else(|| panic!("ipam config has {key}")),
        )
        .parse()
        .unwrap()
    };
    let (subnet, dynamic) = (net("subnet"), net("ip_range"));
    assert!(subnet.contains(&proxy_addr), "{proxy_addr} is in {subnet}");
    assert!(
        !dynamic.contains(&proxy_addr),
        "no other container may be given the proxy's address {proxy_addr} (ip_range {dynamic})"
    );

    let others = [
        subnet.hosts().next().unwrap(), // the gateway: connections from the host
        dynamic.hosts().next().unwrap(),
        dynamic.hosts().last().unwrap(),
    ];
    for (name, app) in app_services(&compose) {
        let env = env_map(app);
        let raw = env
            .get("TRUSTED_PROXIES")
            .unwrap_or_else(|| panic!("{name} sets TRUSTED_PROXIES"));
        let trusted = TrustedProxies::parse(raw).expect("TRUSTED_PROXIES parses");
        assert!(
            trusted.contains(proxy_addr),
            "{name} trusts the proxy at {proxy_addr}"
        );
        for other in others {
            assert!(
                !trusted.contains(other),
                "{name} trusts {other}, which is not the proxy: a client there could claim any address"
            );
        }
    }
}

#[test]
fn dockerfile_runtime_stage_is_slim_non_root_and_uses_known_variables() {
    let dockerfile = read("Dockerfile");
    let froms: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM "))
        .collect();
    assert!(
        froms.len() >= 3,
        "multi-stage: node, rust, runtime; found {froms:?}"
    );
    assert!(
        froms.iter().any(|f| f.contains("node:20")),
        "an SPA stage on node:20"
    );
    assert!(
        froms.iter().any(|f| f.contains("rust:1.95")),
        "a backend stage on rust:1.95"
    );

    // The last stage: the runtime image.
    let runtime = &dockerfile[dockerfile.rfind("\nFROM ").expect("a final FROM")..];
    assert!(
        runtime.contains("debian:bookworm-slim"),
        "slim runtime image"
    );
    assert!(
        runtime.contains("\nUSER "),
        "the runtime runs as a non-root user"
    );
    assert!(runtime.contains("EXPOSE 8000"), "the runtime exposes 8000");
    assert!(
        runtime.contains("CMD [\"postboard\"]"),
        "the runtime starts postboard"
    );

    // Variables set with ENV in the runtime stage must be ones the server reads.
    let known = known_vars();
    let mut env_block = String::new();
    let mut in_env = false;
    for line in runtime.lines() {
        let trimmed = line.trim();
        if let Some(assignments) = trimmed.strip_prefix("ENV ") {
            in_env = true;
            env_block.push_str(assignments);
        } else if in_env {
            env_block.push(' ');
            env_block.push_str(trimmed);
        }
        if in_env && !trimmed.ends_with('\\') {
            in_env = false;
            env_block.push(' ');
        }
    }
    let names: Vec<&str> = env_block
        .split_whitespace()
        .filter_map(|tok| tok.split_once('=').map(|(k, _)| k))
        .collect();
    assert!(names.contains(&"STATIC_DIR"), "the runtime sets STATIC_DIR");
    assert!(names.contains(&"BIND_ADDR"), "the runtime sets BIND_ADDR");
    for name in names {
        assert!(
            known.contains(name),
            "Dockerfile sets {name}, which the server never reads"
        );
    }
}

/// The Dockerfile's stages: (name after `AS`, text), in order.
fn dockerfile_stages(dockerfile: &str) -> Vec<(String, String)> {
    let mut stages: Vec<(String, String)> = Vec::new();
    for line in dockerfile.lines() {
        if let Some(from) = line.strip_prefix("FROM ") {
            let name = from
                .split_whitespace()
                .skip_while(|w| !w.eq_ignore_ascii_case("AS"))
                .nth(1)
                .unwrap_or_default();
            stages.push((name.to_owned(), String::new()));
        }
        if let Some((_, text)) = stages.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    stages
}

/// The sources of a stage's `COPY` lines that copy from the build context (not `--from`).
fn context_copy_sources(stage: &str) -> Vec<String> {
    stage
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|args| !args.contains("--from="))
        .flat_map(|args| {
            let words: Vec<&str> = args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| (*w).to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The uid of the runtime stage's `USER uid:gid`, which must be numeric.
fn dockerfile_uid() -> u64 {
    let dockerfile = read("Dockerfile");
    let runtime = &dockerfile[dockerfile.rfind("\nFROM ").expect("a final FROM")..];
    let user = runtime
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("the runtime stage sets USER");
    let (uid, gid) = user.trim().split_once(':').expect("USER uid:gid");
    assert!(
        gid.parse::<u64>().is_ok(),
        "USER's group must be numeric, found {gid}"
    );
    uid.parse().unwrap_or_else(|_| {
        panic!("USER must be a numeric uid (runAsNonRoot checks it), found {uid}")
    })
}

#[test]
fn dockerfile_builds_the_backend_from_its_own_files_and_runs_checked() {
    let dockerfile = read("Dockerfile");
    let stages = dockerfile_stages(&dockerfile);
    let (_, backend) = stages
        .iter()
        .find(|(name, _)| name == "backend")
        .expect("a stage `AS backend`");
    let sources = context_copy_sources(backend);
    for source in &sources {
        assert!(
            !(source == "." || source.starts_with("frontend")),
            "the backend stage copies {source}: a frontend change would rebuild the Rust layer"
        );
        assert!(
            repo_root().join(source).exists(),
            "COPY {source}: no such path"
        );
    }
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "backend/",
        "migrations/",
        ".sqlx/",
        ".cargo/",
    ] {
        assert!(
            sources.iter().any(|s| s == needed),
            "the backend stage must copy {needed}, found {sources:?}"
        );
    }

    assert!(dockerfile_uid() > 0, "the runtime does not run as root");
    let runtime = &stages.last().expect("stages").1;
    let healthcheck = runtime
        .lines()
        .position(|l| l.starts_with("HEALTHCHECK "))
        .map(|i| runtime.lines().skip(i).take(2).collect::<String>())
        .expect("the runtime stage has a HEALTHCHECK");
    assert!(
        healthcheck.contains("/ready"),
        "the HEALTHCHECK asks GET /ready: {healthcheck}"
    );
    let exposed: BTreeSet<&str> = runtime
        .lines()
        .filter_map(|l| l.strip_prefix("EXPOSE "))
        .flat_map(str::split_whitespace)
        .collect();
    let compose = yaml("docker-compose.yml");
    for (name, app) in app_services(&compose) {
        let metrics = env_map(app)["METRICS_ADDR"].clone();
        let port = metrics
            .rsplit_once(':')
            .expect("METRICS_ADDR has a port")
            .1
            .to_owned();
        assert!(
            exposed.contains(port.as_str()),
            "{name} serves metrics on {port}, which the Dockerfile does not EXPOSE ({exposed:?})"
        );
    }
}

/// `.dockerignore` patterns as (lets back in, regex), in order.
fn dockerignore_patterns() -> Vec<(bool, regex::Regex)> {
    read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
            let mut re = String::from("^");
            let mut chars = pattern.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '*' if chars.peek() == Some(&'*') => {
                        chars.next();
                        if chars.peek() == Some(&'/') {
                            chars.next();
                            re.push_str("(.*/)?");
                        } else {
                            re.push_str(".*");
                        }
                    }
                    '*' => re.push_str("[^/]*"),
                    '?' => re.push_str("[^/]"),
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
            }
            re.push('$');
            (negated, regex::Regex::new(&re).unwrap())
        })
        .collect()
}

/// Docker's rule: the last pattern that matches the path, or a folder it is in, decides.
fn dockerignored(patterns: &[(bool, regex::Regex)], path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let mut ignored = false;
    for (negated, re) in patterns {
        if (1..=parts.len()).any(|n| re.is_match(&parts[..n].join("/"))) {
            ignored = !negated;
        }
    }
    ignored
}

#[test]
fn dockerignore_keeps_build_output_dependencies_data_tools_and_git_out() {
    let patterns = dockerignore_patterns();
    for path in [
        "target/release/postboard",
        "backend/target/debug/postboard",
        "frontend/node_modules/@angular/core/package.json",
        "frontend/dist/postboard/browser/index.html",
        "frontend/.angular/cache/x",
        ".data/postgres/PG_VERSION",
        ".tools/bin/s3s-fs",
        ".tools/venv/bin/hadolint",
        ".git/HEAD",
        ".env",
        "backend/.env",
    ] {
        assert!(
            dockerignored(&patterns, path),
            ".dockerignore lets {path} into the build context"
        );
    }
    // Everything the Dockerfile copies from the context gets there.
    let dockerfile = read("Dockerfile");
    let mut needed: Vec<String> = dockerfile_stages(&dockerfile)
        .iter()
        .flat_map(|(_, stage)| context_copy_sources(stage))
        .map(|s| s.trim_end_matches('/').to_owned())
        .collect();
    needed.extend(
        [
            "frontend/angular.json",
            "frontend/src/main.ts",
            "backend/src/main.rs",
            ".cargo/config.toml",
        ]
        .map(str::to_owned),
    );
    for folder in ["migrations", ".sqlx"] {
        let first = fs::read_dir(repo_root().join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .min()
            .unwrap_or_else(|| panic!("{folder}/ is empty"));
        needed.push(format!("{folder}/{first}"));
    }
    for path in needed {
        assert!(repo_root().join(&path).exists(), "{path} does not exist");
        assert!(
            !dockerignored(&patterns, &path),
            ".dockerignore keeps {path}, which the image needs, out"
        );
    }
}

// ------------------------------------------------------------------------------ Kubernetes

const K8S_DIR: &str = "deploy/k8s";
/// Not applied by kustomization.yaml: real credentials never live in the repository.
const K8S_EXAMPLE_SECRET: &str = "secret.example.yaml";

/// Every object in deploy/k8s/*.yaml (a file may hold several, separated by `---`), with its
/// file name; kustomization.yaml left out.
fn k8s_objects() -> Vec<(String, Value)> {
    use serde::Deserialize;

    let mut files: Vec<String> = fs::read_dir(repo_root().join(K8S_DIR))
        .expect("deploy/k8s/ exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".yaml") && f != "kustomization.yaml")
        .collect();
    files.sort();
    let mut objects = Vec::new();
    for file in files {
        let text = read(&format!("{K8S_DIR}/{file}"));
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{K8S_DIR}/{file} is not valid YAML: {e}"));
            if !value.is_null() {
                objects.push((file.clone(), value));
            }
        }
    }
    objects
}

fn k8s_object<'a>(objects: &'a [(String, Value)], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .map(|(_, o)| o)
        .find(|o| {
            o.get("kind").map(str_of).as_deref() == Some(kind)
                && o.get("metadata")
                    .and_then(|m| m.get("name"))
                    .map(str_of)
                    .as_deref()
                    == Some(name)
        })
        .unwrap_or_else(|| panic!("{K8S_DIR} has no {kind} {name}"))
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_mapping)
        .map(|m| m.iter().map(|(k, v)| (str_of(k), str_of(v))).collect())
        .unwrap_or_default()
}

/// The app's container in the Deployment.
fn k8s_container(objects: &[(String, Value)]) -> &Value {
    k8s_object(objects, "Deployment", "postboard")["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .and_then(|c| c.iter().find(|c| c["name"].as_str() == Some("postboard")))
        .expect("the Deployment has a container `postboard`")
}

/// The ConfigMap's and the example Secret's variables, as the pod's environment.
fn k8s_environment(
    objects: &[(String, Value)],
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let container = k8s_container(objects);
    let from: Vec<&Value> = container["envFrom"]
        .as_sequence()
        .expect("envFrom")
        .iter()
        .collect();
    let named = |key: &str| -> String {
        from.iter()
            .find_map(|f| f.get(key).map(|r| str_of(&r["name"])))
            .unwrap_or_else(|| panic!("the container takes its environment from a {key}"))
    };
    let config = string_map(k8s_object(objects, "ConfigMap", &named("configMapRef")).get("data"));
    let secret = string_map(k8s_object(objects, "Secret", &named("secretRef")).get("stringData"));
    (config, secret)
}

fn port_of(addr: &str) -> u64 {
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {addr}"))
}

fn container_port(container: &Value, name: &str) -> u64 {
    container["ports"]
        .as_sequence()
        .and_then(|ports| ports.iter().find(|p| p["name"].as_str() == Some(name)))
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("the container has no port named {name}"))
}

#[test]
fn k8s_kustomization_applies_every_manifest_but_the_example_secret() {
    let kustomization = yaml(&format!("{K8S_DIR}/kustomization.yaml"));
    let resources: BTreeSet<String> = kustomization["resources"]
        .as_sequence()
        .expect("kustomization.yaml lists resources")
        .iter()
        .map(str_of)
        .collect();
    let files: BTreeSet<String> = k8s_objects()
        .into_iter()
        .map(|(file, _)| file)
        .filter(|f| f != K8S_EXAMPLE_SECRET)
        .collect();
    assert_eq!(
        resources, files,
        "kustomization.yaml applies every manifest but {K8S_EXAMPLE_SECRET}"
    );
}

#[test]
fn k8s_configuration_is_one_the_server_reads_and_accepts() {
    let objects = k8s_objects();
    let (config, secret) = k8s_environment(&objects);
    let known = known_vars();
    let container = k8s_container(&objects);
    let direct: Vec<String> = container
        .get("env")
        .and_then(Value::as_sequence)
        .map(|env| env.iter().map(|e| str_of(&e["name"])).collect())
        .unwrap_or_default();
    for name in config.keys().chain(secret.keys()).chain(&direct) {
        assert!(
            known.contains(name.as_str()),
            "{K8S_DIR} sets {name}, but the server reads no such variable ({known:?})"
        );
    }
    for name in config.keys() {
        assert!(
            !secret.contains_key(name),
            "{name} is both in the ConfigMap and the Secret"
        );
    }
    for name in ["DATABASE_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY"] {
        assert!(
            secret.contains_key(name),
            "{name} is a credential: it belongs in the Secret"
        );
    }
    for name in REQUIRED_APP_VARS {
        assert!(
            config.contains_key(*name) || secret.contains_key(*name),
            "{K8S_DIR} must set {name}"
        );
    }
    let parsed = postboard::config::Config::from_lookup(|name| {
        config.get(name).or_else(|| secret.get(name)).cloned()
    })
    .unwrap_or_else(|e| panic!("the server refuses {K8S_DIR}'s configuration: {e}"));
    assert_eq!(
        container_port(container, "http"),
        u64::from(parsed.bind_addr.port()),
        "the container port `http` is BIND_ADDR's"
    );
    let metrics = parsed
        .metrics_addr
        .expect("METRICS_ADDR is set: Prometheus scrapes every pod");
    assert_eq!(
        container_port(container, "metrics"),
        u64::from(metrics.port())
    );
    assert_eq!(
        port_of(&config["BIND_ADDR"]),
        u64::from(parsed.bind_addr.port())
    );
    assert!(
        read("Dockerfile").contains(&config["STATIC_DIR"]),
        "STATIC_DIR={} is not where the Dockerfile puts the SPA",
        config["STATIC_DIR"]
    );
    let service = k8s_object(&objects, "Service", "postboard");
    for port in service["spec"]["ports"]
        .as_sequence()
        .expect("Service ports")
    {
        container_port(container, &str_of(&port["targetPort"]));
    }
}

#[test]
fn k8s_deployment_probes_drains_and_runs_locked_down() {
    let objects = k8s_objects();
    let deployment = k8s_object(&objects, "Deployment", "postboard");
    assert_eq!(deployment["spec"]["replicas"].as_u64(), Some(2));
    let pod = &deployment["spec"]["template"]["spec"];
    let container = k8s_container(&objects);
    for (probe, path) in [("readinessProbe", "/ready"), ("livenessProbe", "/health")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe} asks {path}");
        assert_eq!(
            get["port"].as_str(),
            Some("http"),
            "{probe} on the port `http`"
        );
    }

    // The grace period covers the preStop pause and the app's drain: requests in flight (at
    // most the request timeout) and then the background work (10 s, startup::BACKGROUND_GRACE).
    let pause: u64 = container["lifecycle"]["preStop"]["exec"]["command"]
        .as_sequence()
        .and_then(|c| (c.len() == 2 && c[0].as_str() == Some("sleep")).then(|| str_of(&c[1])))
        .expect("preStop is `sleep N`")
        .parse()
        .unwrap();
    let (config, secret) = k8s_environment(&objects);
    let parsed = postboard::config::Config::from_lookup(|name| {
        config.get(name).or_else(|| secret.get(name)).cloned()
    })
    .unwrap();
    let grace = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    assert!(
        grace > pause + parsed.request_timeout.as_secs() + 10,
        "terminationGracePeriodSeconds {grace} must outlast the pause ({pause} s) and the drain"
    );

    for level in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                !container["resources"][level][resource].is_null(),
                "the container sets resources.{level}.{resource}"
            );
        }
    }
    let uid = dockerfile_uid();
    for (what, context) in [
        ("pod", &pod["securityContext"]),
        ("container", &container["securityContext"]),
    ] {
        assert_eq!(
            context["runAsNonRoot"].as_bool(),
            Some(true),
            "{what} runAsNonRoot"
        );
        assert_eq!(
            context["runAsUser"].as_u64(),
            Some(uid),
            "{what} runs as the Dockerfile's USER"
        );
        assert_eq!(
            context["seccompProfile"]["type"].as_str(),
            Some("RuntimeDefault")
        );
    }
    let context = &container["securityContext"];
    assert_eq!(context["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(context["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(
        context["capabilities"]["drop"]
            .as_sequence()
            .map(|d| d.iter().map(str_of).collect::<Vec<_>>()),
        Some(vec!["ALL".to_owned()])
    );
}

#[test]
fn k8s_ingress_lets_the_app_answer_uploads_and_streams_events() {
    let objects = k8s_objects();
    let (config, secret) = k8s_environment(&objects);
    let parsed = postboard::config::Config::from_lookup(|name| {
        config.get(name).or_else(|| secret.get(name)).cloned()
    })
    .unwrap();
    let ingresses: Vec<&Value> = objects
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o["kind"].as_str() == Some("Ingress"))
        .collect();
    let annotation = |ingress: &Value, name: &str| -> Option<String> {
        ingress["metadata"]["annotations"]
            .get(format!("nginx.ingress.kubernetes.io/{name}"))
            .map(str_of)
    };
    let serves = |ingress: &Value, path: &str| -> bool {
        ingress["spec"]["rules"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|rule| {
                rule["http"]["paths"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|p| p["path"].as_str() == Some(path))
            })
    };
    let events = ingresses
        .iter()
        .find(|i| serves(i, "/events"))
        .expect("an Ingress for /events");
    let rest = ingresses
        .iter()
        .find(|i| serves(i, "/"))
        .expect("an Ingress for /");
    assert_eq!(
        annotation(events, "proxy-buffering").as_deref(),
        Some("off")
    );
    let read_timeout: u64 = annotation(events, "proxy-read-timeout")
        .expect("proxy-read-timeout")
        .parse()
        .unwrap();
    assert!(
        read_timeout > 15,
        "/events sends a keep-alive every 15 s; {read_timeout} s is too short"
    );
    let read_timeout: u64 = annotation(rest, "proxy-read-timeout")
        .expect("proxy-read-timeout")
        .parse()
        .unwrap();
    assert!(
        read_timeout > parsed.request_timeout.as_secs(),
        "the app answers a slow request itself (503) within its timeout; the proxy waits longer"
    );
    // As with nginx.conf: the app's own limit on a request is MAX_IMAGE_BYTES + 1 MiB.
    let body = annotation(rest, "proxy-body-size").expect("proxy-body-size");
    let mib: usize = body
        .strip_suffix('m')
        .expect("proxy-body-size in MiB")
        .parse()
        .unwrap();
    assert!(
        mib << 20 >= parsed.max_image_bytes + (1 << 20),
        "proxy-body-size {body} < MAX_IMAGE_BYTES + 1 MiB"
    );
}

// ------------------------------------------------------------------------------- GitLab CI

const GITLAB_RESERVED: &[&str] = &[
    "stages",
    "variables",
    "default",
    "include",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "pages",
];

/// (job name, job) for every real job (hidden `.templates` and global keywords left out).
fn gitlab_jobs(ci: &Value) -> Vec<(String, &Value)> {
    ci.as_mapping()
        .expect(".gitlab-ci.yml is a map")
        .iter()
        .map(|(k, v)| (str_of(k), v))
        .filter(|(k, _)| !k.starts_with('.') && !GITLAB_RESERVED.contains(&k.as_str()))
        .collect()
}

/// Every command line of a job's before_script, script and after_script.
fn job_commands(job: &Value) -> Vec<String> {
    fn flatten(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Sequence(items) => items.iter().for_each(|i| flatten(i, out)),
            Value::String(s) => out.push(s.clone()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for key in ["before_script", "script", "after_script"] {
        if let Some(v) = job.get(key) {
            flatten(v, &mut out);
        }
    }
    out
}

/// Splits a shell line into simple commands (on `&&`, `||`, `;`, `|`) of whitespace tokens.
fn simple_commands(line: &str) -> Vec<Vec<String>> {
    line.replace("&&", ";")
        .replace("||", ";")
        .replace('|', ";")
        .split([';', '\n'])
        .map(|cmd| {
            cmd.split_whitespace()
                .map(|t| t.trim_matches(|c| c == '"' || c == '\'').to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty())
        .collect()
}

fn makefile_targets() -> BTreeSet<String> {
    read("Makefile")
        .lines()
        .filter(|l| !l.starts_with('\t') && !l.starts_with('#') && !l.starts_with('.'))
        .filter_map(|l| {
            let (head, rest) = l.split_once(':')?;
            if rest.starts_with('=') || head.contains('=') || head.trim().is_empty() {
                return None; // a variable assignment
            }
            Some(
                head.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

fn npm_scripts() -> Option<BTreeSet<String>> {
    let path = repo_root().join("frontend/package.json");
    let text = fs::read_to_string(path).ok()?;
    let json: serde_json::Value =
        serde_json::from_str(&text).expect("frontend/package.json is JSON");
    Some(
        json.get("scripts")
            .and_then(|s| s.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
    )
}

#[test]
fn gitlab_ci_has_the_four_stages_in_order_and_every_job_uses_one() {
    let ci = yaml(".gitlab-ci.yml");
    let stages: Vec<String> = ci
        .get("stages")
        .and_then(Value::as_sequence)
        .expect("stages is a list")
        .iter()
        .map(str_of)
        .collect();
    assert_eq!(stages, ["hello", "lint", "test", "format"]);

    let jobs = gitlab_jobs(&ci);
    assert!(
        jobs.len() >= 8,
        "a job per half and stage, found {}",
        jobs.len()
    );
    let names: BTreeSet<&str> = jobs.iter().map(|(n, _)| n.as_str()).collect();
    for half in ["backend", "frontend"] {
        for stage in ["hello", "lint", "test", "format"] {
            let job = format!("{half}-{stage}");
            assert!(names.contains(job.as_str()), "missing CI job {job}");
        }
    }
    for (name, job) in &jobs {
        let stage = job
            .get("stage")
            .map(str_of)
            .unwrap_or_else(|| "test".into());
        assert!(
            stages.contains(&stage),
            "job {name} uses unknown stage {stage}"
        );
        assert!(!job_commands(job).is_empty(), "job {name} runs nothing");
    }
}

#[test]
fn gitlab_ci_calls_only_targets_scripts_and_npm_scripts_that_exist() {
    let ci = yaml(".gitlab-ci.yml");
    let targets = makefile_targets();
    assert!(
        targets.contains("test") && targets.contains("help"),
        "{targets:?}"
    );
    let npm = npm_scripts();
    if npm.is_none() {
        eprintln!("note: frontend/package.json does not exist yet; `npm run` names not checked");
    }

    let mut checked = 0;
    for (name, job) in gitlab_jobs(&ci) {
        for line in job_commands(job) {
            for cmd in simple_commands(&line) {
                checked += check_command(&name, &cmd, &targets, npm.as_ref())
                    .unwrap_or_else(|problem| panic!("{problem}"));
            }
        }
    }
    assert!(
        checked >= 5,
        "expected to check several make/npm/script calls, checked {checked}"
    );
}

/// Checks one simple command; returns how many references it verified, or what is wrong.
fn check_command(
    job: &str,
    cmd: &[String],
    targets: &BTreeSet<String>,
    npm: Option<&BTreeSet<String>>,
) -> Result<usize, String> {
    let mut checked = 0;
    // Skip leading `VAR=value` assignments.
    let words: Vec<&str> = cmd
        .iter()
        .map(String::as_str)
        .skip_while(|w| w.contains('=') && !w.starts_with('-'))
        .collect();
    let Some(&program) = words.first() else {
        return Ok(0);
    };
    if program == "make" {
        let mut dir_flag = false;
        for word in &words[1..] {
            if dir_flag {
                dir_flag = false;
                continue;
            }
            if *word == "-C" || *word == "-f" {
                dir_flag = true;
                continue;
            }
            if word.starts_with('-') || word.contains('=') {
                continue;
            }
            if !targets.contains(*word) {
                return Err(format!(
                    "job {job} runs `make {word}`: no such Makefile target"
                ));
            }
            checked += 1;
        }
    }
    if program == "npm"
        && let Some(pos) = words.iter().position(|w| *w == "run" || *w == "run-script")
        && let Some(script) = words[pos + 1..].iter().find(|w| !w.starts_with('-'))
        && let Some(scripts) = npm
    {
        if !scripts.contains(*script) {
            return Err(format!(
                "job {job} runs `npm run {script}`: frontend/package.json has no such script"
            ));
        }
        checked += 1;
    }
    if program == "npm"
        && words.get(1) == Some(&"test")
        && let Some(scripts) = npm
    {
        if !scripts.contains("test") {
            return Err(format!(
                "job {job} runs `npm test`: package.json has no test script"
            ));
        }
        checked += 1;
    }
    for word in &words {
        let path = word.trim_start_matches("./");
        if path.starts_with("scripts/")
            || path.starts_with("bench/")
            || path.starts_with(".ci/")
            || path.starts_with("target/")
        {
            if path.starts_with("target/") {
                continue; // build output, made by the job itself
            }
            if !repo_root().join(path).is_file() {
                return Err(format!("job {job} calls {path}, which does not exist"));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[test]
fn the_command_parser_sees_what_the_checks_rely_on() {
    let cmds = simple_commands("cd frontend && npm ci && CI=true npm run e2e; make -C . e2e");
    assert_eq!(cmds.len(), 4);
    let targets: BTreeSet<String> = ["e2e".to_owned()].into();
    let npm: BTreeSet<String> = ["e2e".to_owned()].into();
    assert_eq!(check_command("t", &cmds[2], &targets, Some(&npm)), Ok(1));
    assert_eq!(check_command("t", &cmds[3], &targets, Some(&npm)), Ok(1));
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let unknown_target = check_command("t", &words("make nope"), &targets, Some(&npm));
    assert!(unknown_target.unwrap_err().contains("make nope"));
    let unknown_script = check_command("t", &words("npm run nope"), &targets, Some(&npm));
    assert!(unknown_script.unwrap_err().contains("npm run nope"));
    let missing_file = check_command("t", &words("./scripts/nope.sh"), &targets, Some(&npm));
    assert!(missing_file.unwrap_err().contains("scripts/nope.sh"));
}

// ----------------------------------------------------------------------- Makefile, scripts

#[test]
fn makefile_has_the_documented_targets_and_their_scripts_exist() {
    let targets = makefile_targets();
    for t in [
        "help",
        "run",
        "test",
        "bench",
        "test-backend",
        "test-frontend",
        "e2e",
        "lint",
    ] {
        assert!(
            targets.contains(t),
            "Makefile has no `{t}` target: {targets:?}"
        );
    }
    let makefile = read("Makefile");
    assert!(
        makefile.contains(".DEFAULT_GOAL := help") || makefile.starts_with("help:"),
        "help is the default target"
    );
    for word in makefile.split(|c: char| c.is_whitespace() || c == ';') {
        let path = word.trim_start_matches("./").trim_start_matches('@');
        if path.starts_with("scripts/") && path.ends_with(".sh") {
            assert!(
                repo_root().join(path).is_file(),
                "the Makefile calls missing {path}"
            );
        }
    }
    // Recipes call only npm scripts, targets and scripts that exist.
    let npm = npm_scripts();
    for line in makefile.lines().filter_map(|l| l.strip_prefix('\t')) {
        let line = line.trim_start_matches(['@', '-']);
        for cmd in simple_commands(line) {
            check_command("Makefile", &cmd, &targets, npm.as_ref())
                .unwrap_or_else(|problem| panic!("{problem}"));
        }
    }

    // Every `make <target>` the README tells people to run exists.
    let readme = read("README.md");
    let mut mentioned = 0;
    for (i, _) in readme.match_indices("make ") {
        let before = readme[..i].chars().last();
        if !matches!(before, Some('`') | Some(' ') | Some('\n')) {
            continue;
        }
        let target: String = readme[i + 5..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if target.is_empty() || !readme[i + 5 + target.len()..].starts_with(['`', ' ', '\n']) {
            continue;
        }
        if readme[i..].starts_with("make sure") {
            continue;
        }
        assert!(
            targets.contains(&target),
            "README.md mentions `make {target}`: no such target"
        );
        mentioned += 1;
    }
    assert!(mentioned >= 2, "README.md shows `make run` and `make test`");
    assert!(repo_root().join(".ci/run").is_file(), ".ci/run exists");
    assert!(
        read(".ci/run").contains("make test"),
        ".ci/run runs make test"
    );
}

/// Every `backend_var NAME value` in scripts/, scripts/lib/ (the parts of scripts/lib.sh) and
/// bench/ (the only way the scripts set the backend's environment, see scripts/lib.sh), and
/// every `backend_var(env, "NAME", value)` in their Python files (bench/harness.py, for
/// bench/run.py), keyed by "folder/file".
fn script_backend_vars() -> BTreeMap<String, BTreeSet<String>> {
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    for folder in ["scripts", "scripts/lib", "bench"] {
        let Ok(entries) = fs::read_dir(repo_root().join(folder)) else {
            assert_ne!(folder, "scripts", "scripts/ exists");
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if matches!(path.extension().and_then(|e| e.to_str()), Some("sh" | "py")) {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.push((format!("{folder}/{name}"), path));
            }
        }
    }
    for (file, path) in files {
        let python = file.ends_with(".py");
        for line in fs::read_to_string(&path).unwrap().lines() {
            let line = line.trim();
            if python {
                // The name is the first string literal of the call.
                for (at, _) in line.match_indices("backend_var(") {
                    let args = line[at..].split(')').next().unwrap_or_default();
                    if let Some(name) = args.split('"').nth(1) {
                        found
                            .entry(file.clone())
                            .or_default()
                            .insert(name.to_owned());
                    }
                }
            } else if let Some(rest) = line.strip_prefix("backend_var ") {
                let name = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                found.entry(file.clone()).or_default().insert(name);
            }
        }
    }
    found
}

#[test]
fn scripts_give_the_backend_only_variables_it_reads() {
    let known = known_vars();
    let found = script_backend_vars();
    // `make run` and `make fleet` set the server's environment themselves; e2e and bench runs
    // use `test_backend_env` of scripts/lib.sh, in scripts/lib/app.sh.
    for script in ["scripts/run.sh", "scripts/fleet.sh", "scripts/lib/app.sh"] {
        let vars = found
            .get(script)
            .unwrap_or_else(|| panic!("{script} sets no backend_var"));
        for name in vars {
            assert!(
                known.contains(name.as_str()),
                "{script} sets {name} for the backend, but the server reads no such \
                 variable (postboard::config::Settings: {known:?})"
            );
        }
        for name in REQUIRED_APP_VARS {
            assert!(
                vars.contains(*name),
                "{script} must set {name} for the backend"
            );
        }
    }
    for (script, vars) in &found {
        for name in vars {
            assert!(
                known.contains(name.as_str()),
                "{script}: unknown variable {name}"
            );
        }
    }
}

/// scripts/lib.sh is the one file the scripts source: it sources every part in scripts/lib/,
/// `backend_var` is defined in scripts/lib/app.sh, and the scripts' copies of the server's
/// defaults (`DEFAULT_<VARIABLE>` and the app's database in scripts/lib/defaults.sh) are the
/// server's.
#[test]
fn script_defaults_are_the_servers_and_lib_sh_sources_every_part() {
    let lib = read("scripts/lib.sh");
    let mut parts = 0;
    for entry in fs::read_dir(repo_root().join("scripts/lib")).expect("scripts/lib/ exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".sh") {
            assert!(
                lib.contains(&format!("/lib/{name}\"")),
                "scripts/lib.sh does not source scripts/lib/{name}"
            );
            parts += 1;
        }
    }
    assert!(parts >= 2, "scripts/lib/ holds the parts of scripts/lib.sh");
    assert!(
        read("scripts/lib/app.sh").contains("\nbackend_var() {"),
        "scripts/lib/app.sh defines backend_var"
    );

    let defaults_sh = read("scripts/lib/defaults.sh");
    let mut values: BTreeMap<&str, &str> = BTreeMap::new();
    for line in defaults_sh.lines() {
        let Some((name, rest)) = line.split_once('=') else {
            continue;
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let value = rest.split(" #").next().unwrap().trim();
        values.insert(name, value.trim_matches('"'));
    }
    let mut checked = BTreeSet::new();
    for (name, value) in &values {
        let Some(var) = name.strip_prefix("DEFAULT_") else {
            continue;
        };
        if var == "FLEET_PORTS" {
            continue; // the scripts' own (make fleet)
        }
        let setting = settings()
            .into_iter()
            .find(|s| s.name == var)
            .unwrap_or_else(|| {
                panic!("scripts/lib/defaults.sh: {name}, but the server reads no {var}")
            });
        assert_eq!(
            *value, setting.default,
            "scripts/lib/defaults.sh: {name} differs from the server's default for {var}"
        );
        checked.insert(var);
    }
    for var in [
        "S3_BUCKET",
        "S3_REGION",
        "S3_ACCESS_KEY",
        "S3_SECRET_KEY",
        "BIND_ADDR",
        "RUST_LOG",
    ] {
        assert!(
            checked.contains(var),
            "scripts/lib/defaults.sh has no DEFAULT_{var}"
        );
    }
    let app_db = format!(
        "postgres://{}:{}@localhost:{}/{}",
        values["APP_DB_USER"],
        values["APP_DB_PASSWORD"],
        values["PG_DEFAULT_PORT"],
        values["APP_DB_NAME"]
    );
    let database_url = setting("DATABASE_URL");
    assert_eq!(
        app_db, database_url.default,
        "scripts/lib/defaults.sh: APP_DB_* and PG_DEFAULT_PORT differ from the server's DATABASE_URL"
    );
}

/// The table of variables in docs/configuration.md is `postboard config --markdown`, generated
/// from `config::Settings`: a variable, default or meaning changed in one place only fails here.
#[test]
fn configuration_docs_table_is_the_generated_one() {
    let docs = read("docs/configuration.md");
    let (start, end) = (
        "<!-- variables: generated by `postboard config --markdown` from backend/src/config.rs -->\n",
        "<!-- end of variables -->",
    );
    let table = docs
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table)
        .expect("docs/configuration.md has the generated table between its markers");
    assert_eq!(
        table,
        postboard::config::settings_markdown(),
        "docs/configuration.md's table differs from config::Settings: edit backend/src/config.rs, \
         then paste `cargo run -p postboard -- config --markdown` between the markers"
    );
}
