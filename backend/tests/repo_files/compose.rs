//! docker-compose.yml: its services, their health checks and dependencies, and the variables
//! it gives the apps.

use super::*;

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
