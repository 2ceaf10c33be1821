//! The Dockerfile and .dockerignore: a slim non-root runtime built from the repository's own
//! files, with only the variables the server reads.

use super::*;

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
pub(super) fn dockerfile_uid() -> u64 {
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
