//! Support for the tests of moderation and bans: moderators made with the binary, requests
//! with a moderator token, reports from told-apart clients, and an app that trusts loopback's
//! X-Forwarded-For (so a test can speak as many clients).

use postboard::domain::TrustedProxies;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::support::*;

/// `postboard moderator ARGS` against the app's database: (exit code, stdout, stderr). Run
/// without blocking: the app, and the proxy to its database, live on this test's runtime.
pub async fn operator(app: &TestApp, args: &[&str]) -> (i32, String, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_postboard"));
    command
        .arg("moderator")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", app.config.database_url.expose_secret());
    // Through PgBouncer (TEST_VIA_PGBOUNCER=1), as the app's.
    if app.config.database_pooler == postboard::config::DatabasePooler::Transaction {
        command.env("DATABASE_POOLER", "transaction");
    }
    if let Some(url) = &app.config.database_listen_url {
        command.env("DATABASE_LISTEN_URL", url.expose_secret());
    }
    let output = command.output().await.expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A new moderator's token, as `postboard moderator add` prints it (its last line).
pub async fn add_moderator(app: &TestApp, name: &str) -> String {
    let (code, stdout, stderr) = operator(app, &["add", name]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    stdout.lines().last().unwrap().to_owned()
}

pub async fn as_moderator(
    app: &TestApp,
    base: &str,
    token: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request sent")
}

pub fn id_of(created: &Value) -> i64 {
    created["id"].as_i64().unwrap()
}

pub async fn report(app: &TestApp, client: &str, id: i64, reason: &str, note: Option<&str>) {
    let response = app
        .client
        .post(app.url(&format!("/post/{id}/report")))
        .header("x-forwarded-for", client)
        .json(&json!({"reason": reason, "note": note}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
}

pub async fn spawn() -> TestApp {
    spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.0/8, ::1").unwrap();
        config.reports_to_hide = 3;
    })
    .await
}
