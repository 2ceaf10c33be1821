//! What the server logs, at the most verbose level, while it creates, votes, refuses and
//! deletes: never a client's address, never a delete token.
//!
//! A test binary of its own: the log subscriber is this thread's, and tracing decides once per
//! call site whether anyone listens; tests of other threads in the same process, starting or
//! ending their own, could make it miss lines.

mod support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use postboard::domain::{RateLimit, TrustedProxies};
use serde_json::Value;

use support::*;

async fn create_from(app: &TestApp, forwarded_for: &str, form: PostForm) -> reqwest::Response {
    app.client
        .post(app.url("/post"))
        .header("x-forwarded-for", forwarded_for)
        .multipart(form.into_multipart())
        .send()
        .await
        .expect("request sent")
}

async fn vote_status(app: &TestApp, forwarded_for: Option<&str>, post_id: i64) -> u16 {
    let mut request = app
        .client
        .post(app.url("/update-post-score"))
        .json(&serde_json::json!({"post_id": post_id, "score_increase": 1}));
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    request
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

/// Log lines written while the test runs (a subscriber of this thread only; the test's
/// runtime runs the server on this thread too).
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The first "request failed" line (a 5xx).
    fn failure_line(&self) -> String {
        let text = self.text();
        text.lines()
            .find(|line| line.contains("request failed"))
            .unwrap_or_else(|| panic!("no failure logged: {text}"))
            .to_owned()
    }
}

/// One test at a time: each installs its own subscriber, and a callsite's interest is decided
/// across all subscribers alive when it is first hit.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Captures this thread's log lines through `filter` (as `RUST_LOG` would set it) until the
/// guard is dropped.
fn capture(filter: &str) -> (CapturedLogs, tracing::subscriber::DefaultGuard) {
    let logs = CapturedLogs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_ansi(false)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn neither_client_addresses_nor_delete_tokens_reach_the_logs() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (logs, _guard) = capture("trace");

    // Requests come from 127.0.0.9, an address nothing else in a test uses (the test's
    // servers all listen on 127.0.0.1, the configuration names only its /30): the proxy,
    // trusted, and a client when it sends no X-Forwarded-For.
    let mut app = spawn_app_with(|config| {
        config.rate_limit_posts = RateLimit::parse("10/1m").unwrap();
        config.rate_limit_votes = RateLimit::parse("1/1h").unwrap();
        config.trusted_proxies = TrustedProxies::parse("127.0.0.8/30").unwrap();
    })
    .await;
    app.client = reqwest::Client::builder()
        .local_address("127.0.0.9".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let created = create_from(
        &app,
        "203.0.113.77",
        PostForm::new("t", "p").file(png(8), "a.png", "image/png"),
    )
    .await;
    assert_eq!(created.status(), 201);
    let post: Value = created.json().await.unwrap();
    let (id, token) = (
        post["id"].as_i64().unwrap(),
        post["delete_token"].as_str().unwrap(),
    );
    assert_eq!(vote_status(&app, Some("2001:db8:77:1::77"), id).await, 200);
    assert_eq!(vote_status(&app, Some("2001:db8:77:1::78"), id).await, 429);
    assert_eq!(
        vote_status(&app, None, id).await,
        200,
        "the proxy as the client"
    );
    assert_eq!(vote_status(&app, None, id).await, 429);
    let wrong = app
        .client
        .delete(app.url(&format!("/post/{id}")))
        .header("authorization", format!("Bearer {}", &token[1..]))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let deleted = app
        .client
        .delete(app.url(&format!("/post/{id}")))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    let text = logs.text();
    assert!(
        text.contains("finished processing request"),
        "the request log is captured"
    );
    for secret in [
        "203.0.113.77",
        "2001:db8:77",
        "127.0.0.9",
        token,
        &token[1..],
    ] {
        let line = text.lines().find(|line| line.contains(secret));
        assert!(line.is_none(), "the log shows {secret}: {line:?}");
    }
}

/// Operators often log at `warn`: a failure's line still names its request, so it can be
/// found from the `X-Request-Id` a client reports.
#[tokio::test]
async fn a_failures_log_line_carries_the_request_id_at_warn_level() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (logs, _guard) = capture("warn");
    let app = spawn_app().await;
    app.s3_proxy.cut().await;

    let response = app
        .create(PostForm::new("t", "p").file(png(5), "a.png", "image/png"))
        .await;
    assert_eq!(response.status(), 503);
    let line = logs.failure_line();
    assert!(line.contains(" WARN "), "{line}");
    assert!(
        line.contains(&format!("request_id={}", request_id(&response))),
        "{line}"
    );
}

/// A request that outlives the whole-request deadline (the database stopped answering) is the
/// server's failure too: logged at `warn` with its request id, though nothing below the HTTP
/// layer reported an error.
#[tokio::test]
async fn a_timed_out_request_is_logged_at_warn_with_its_request_id() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let (logs, _guard) = capture("warn");
    let app = spawn_app_with(|config| config.request_timeout = Duration::from_millis(300)).await;
    app.db_proxy.pause();

    let response = app.get("/post").await;
    assert_eq!(response.status(), 503);
    app.db_proxy.resume();

    let line = logs.failure_line();
    assert!(line.contains(" WARN "), "{line}");
    assert!(line.contains("status=503"), "{line}");
    assert!(
        line.contains(&format!("request_id={}", request_id(&response))),
        "{line}"
    );
}

fn request_id(response: &reqwest::Response) -> &str {
    response.headers()["x-request-id"].to_str().unwrap()
}
