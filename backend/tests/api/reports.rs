//! Reports (API.md, "Moderation"): `POST /post/{id}/report`, one per client and post, the
//! hide at `REPORTS_TO_HIDE` different clients, and a hidden post gone from every public
//! route and every replica's live board; bad reports change nothing.

use std::time::Duration;

use postboard::{
    config::Config,
    domain::{RateLimit, TrustedProxies},
};
use serde_json::{Value, json};

use crate::support::*;

const WITHIN_A_SECOND: Duration = Duration::from_secs(1);

/// Reports hide a post at `hide_at` clients; the clients are told apart by X-Forwarded-For
/// from the test's loopback address, a trusted proxy.
fn board(hide_at: u32) -> impl FnOnce(&mut Config) {
    move |config| {
        config.reports_to_hide = hide_at;
        config.trusted_proxies = TrustedProxies::parse("127.0.0.0/8, ::1").unwrap();
    }
}

async fn report_from(app: &TestApp, client: &str, post_id: i64, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/post/{post_id}/report")))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .expect("request sent")
}

async fn spam_from(app: &TestApp, client: &str, post_id: i64) -> u16 {
    report_from(app, client, post_id, json!({"reason": "spam"}))
        .await
        .status()
        .as_u16()
}

async fn reports_of(app: &TestApp, post_id: i64) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT reason, note FROM reports WHERE post_id = $1 ORDER BY created_at")
        .bind(post_id)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

async fn state_of(app: &TestApp, post_id: i64) -> String {
    sqlx::query_scalar("SELECT state FROM posts WHERE id = $1")
        .bind(post_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn mod_log(app: &TestApp) -> Vec<(String, i64, String, Option<String>)> {
    sqlx::query_as("SELECT action, post_id, reason, moderator FROM mod_log ORDER BY id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

fn id_of(created: &Value) -> i64 {
    created["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_report_is_accepted_and_counted_once_per_client() {
    let app = spawn_app_with(board(2)).await;
    let id = id_of(&app.create_ok("reported").await);

    let first = report_from(
        &app,
        "203.0.113.1",
        id,
        json!({"reason": "abuse", "note": "  name-calling  "}),
    )
    .await;
    assert_eq!(first.status(), 202);
    assert!(first.bytes().await.unwrap().is_empty());
    // The same client again, with another reason: accepted, and nothing changes.
    assert_eq!(spam_from(&app, "203.0.113.1", id).await, 202);
    assert_eq!(
        reports_of(&app, id).await,
        [("abuse".to_owned(), Some("name-calling".to_owned()))]
    );
    assert_eq!(state_of(&app, id).await, "visible");
    assert_eq!(app.get(&format!("/post/{id}")).await.status(), 200);
}

#[tokio::test]
async fn the_threshold_of_different_clients_hides_the_post_from_every_public_route() {
    let app = spawn_app_with(board(3)).await;
    let created = app.create_ok("harbour spam").await;
    let id = id_of(&created);
    let other = app.create_ok("harbour news").await;

    assert_eq!(spam_from(&app, "203.0.113.1", id).await, 202);
    assert_eq!(spam_from(&app, "203.0.113.2", id).await, 202);
    assert_eq!(state_of(&app, id).await, "visible");
    assert_eq!(spam_from(&app, "203.0.113.3", id).await, 202);
    assert_eq!(state_of(&app, id).await, "hidden");
    assert_eq!(
        mod_log(&app).await,
        [(
            "hide".to_owned(),
            id,
            "Reported by 3 readers".to_owned(),
            None
        )]
    );

    let listed = |path: &'static str| {
        let app = &app;
        async move { ids(&app.get(path).await.json::<Value>().await.unwrap()) }
    };
    let others = vec![id_of(&other)];
    assert_eq!(listed("/post").await, others);
    assert_eq!(listed("/post?sort=top").await, others);
    assert_eq!(listed("/post?sort=hot").await, others);
    assert_eq!(listed("/post?q=harbour").await, others);
    assert_error(app.get(&format!("/post/{id}")).await, 404).await;
    assert_error(app.vote(id, 1).await, 404).await;
    let feed = app.get("/feed.atom").await.text().await.unwrap();
    assert!(!feed.contains(&format!("/p/{id}<")), "{feed}");
    // A hidden post can't be reported any more (it is not visible), and its author can still
    // take it back with the delete token.
    assert_error(
        report_from(&app, "203.0.113.4", id, json!({"reason": "spam"})).await,
        404,
    )
    .await;
    assert_eq!(app.delete_created(&created).await.status(), 204);
    assert!(
        reports_of(&app, id).await.is_empty(),
        "reports go with their post"
    );
}

#[tokio::test]
async fn a_hide_leaves_the_live_board_of_another_replica_at_once() {
    let (app, mut replicas) = spawn_fleet_with(board(1), 1)
        .await
        .expect("the fleet starts");
    let other = replicas.remove(0);
    let id = id_of(&app.create_ok("going").await);
    let mut events = EventStream::connect(&other.address, None).await;

    assert_eq!(spam_from(&app, "203.0.113.1", id).await, 202);
    let deleted = events.next_of("delete", WITHIN_A_SECOND).await;
    assert_eq!(deleted.data, json!({"id": id}));
    let listed: Value = app
        .client
        .get(other.url("/post"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ids(&listed).is_empty(), "{listed}");
}

#[tokio::test]
async fn simultaneous_reports_hide_the_post_exactly_once() {
    let app = spawn_app_with(board(5)).await;
    let id = id_of(&app.create_ok("piled on").await);
    let clients: Vec<String> = (1..=20).map(|n| format!("203.0.113.{n}")).collect();
    let statuses =
        futures::future::join_all(clients.iter().map(|client| spam_from(&app, client, id))).await;
    // Every report either counted (202) or came after the hide (404): none failed.
    assert!(
        statuses.iter().all(|s| *s == 202 || *s == 404),
        "{statuses:?}"
    );
    assert!(statuses.iter().filter(|s| **s == 202).count() >= 5);
    assert_eq!(state_of(&app, id).await, "hidden");
    let hides = mod_log(&app).await;
    assert_eq!(hides.len(), 1, "{hides:?}");
    assert_eq!(
        reports_of(&app, id).await.len(),
        5,
        "no report after the hide"
    );
}

#[tokio::test]
async fn bad_reports_are_refused_and_record_nothing() {
    let app = spawn_app_with(board(1)).await;
    let id = id_of(&app.create_ok("fine").await);
    let refused = [
        (json!({}), 422, "A reason is required."),
        (json!({"reason": "rude"}), 422, "The reason must be one of"),
        (
            json!({"reason": "spam", "note": "é".repeat(501)}),
            422,
            "at most 500 characters",
        ),
        (
            json!({"reason": "spam", "note": "a\u{0}b"}),
            422,
            "control characters",
        ),
        (json!({"reason": "spam", "extra": 1}), 422, ""),
        (json!(["spam"]), 422, ""),
    ];
    for (body, status, message) in refused {
        let response = report_from(&app, "203.0.113.1", id, body.clone()).await;
        let user_message = assert_error(response, status).await;
        assert!(user_message.contains(message), "{body}: {user_message}");
    }
    let not_json = app
        .client
        .post(app.url(&format!("/post/{id}/report")))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(not_json, 400).await;
    assert_error(app.get(&format!("/post/{id}/report")).await, 405).await;
    let bad_id = app
        .client
        .post(app.url("/post/abc/report"))
        .json(&json!({"reason": "spam"}))
        .send()
        .await
        .unwrap();
    assert_error(bad_id, 400).await;
    assert_error(
        report_from(&app, "203.0.113.1", id + 1000, json!({"reason": "spam"})).await,
        404,
    )
    .await;

    assert!(reports_of(&app, id).await.is_empty());
    assert_eq!(state_of(&app, id).await, "visible");
}

#[tokio::test]
async fn reports_past_the_limit_are_429_and_record_nothing() {
    let app = spawn_app_with(|config| {
        board(100)(config);
        config.rate_limit_reports = RateLimit::parse("2/10m").unwrap();
    })
    .await;
    let posts: Vec<i64> = [
        app.create_ok("one").await,
        app.create_ok("two").await,
        app.create_ok("three").await,
    ]
    .iter()
    .map(id_of)
    .collect();
    assert_eq!(spam_from(&app, "203.0.113.1", posts[0]).await, 202);
    assert_eq!(spam_from(&app, "203.0.113.1", posts[1]).await, 202);
    let limited = report_from(&app, "203.0.113.1", posts[2], json!({"reason": "spam"})).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    let message = assert_error(limited, 429).await;
    assert!(
        message.starts_with("You are reporting posts too often."),
        "{message}"
    );
    assert!(reports_of(&app, posts[2]).await.is_empty());
    // Another client has its own budget.
    assert_eq!(spam_from(&app, "203.0.113.2", posts[2]).await, 202);
}
