//! The Makefile, scripts/ and bench/: documented targets whose scripts exist, the backend
//! variables and defaults the scripts use, and docs/configuration.md's generated table.

use super::{
    ci::{check_command, makefile_targets, npm_scripts, simple_commands},
    *,
};

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
