//! .gitlab-ci.yml: its stages and jobs, and every command a job runs names a make target, a
//! script or an npm script that exists.

use super::*;

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
pub(super) fn simple_commands(line: &str) -> Vec<Vec<String>> {
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

pub(super) fn makefile_targets() -> BTreeSet<String> {
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

pub(super) fn npm_scripts() -> Option<BTreeSet<String>> {
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
pub(super) fn check_command(
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
