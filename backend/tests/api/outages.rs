//! PostgreSQL or S3 going away mid-flight: quick 503s that change nothing, and recovery
//! without a restart when they come back.

use std::time::{Duration, Instant};

use crate::support::*;

/// An outage must be reported within a few seconds, not after a client's patience ran out.
const QUICKLY: Duration = Duration::from_secs(8);

#[tokio::test]
async fn without_object_storage_an_image_post_is_refused_and_nothing_is_inserted() {
    let app = spawn_app().await;
    app.s3_proxy.cut().await;

    let started = Instant::now();
    let response = app
        .create(PostForm::new("t", "p").file(png(5), "a.png", "image/png"))
        .await;
    assert_error(response, 503).await;
    assert!(started.elapsed() < QUICKLY, "took {:?}", started.elapsed());
    assert_eq!(app.post_count().await, 0, "no half-written post");
    assert_error(app.get("/ready").await, 503).await;

    // Posts without images do not need storage.
    assert_eq!(app.create(PostForm::new("t", "p")).await.status(), 201);

    app.s3_proxy.restore().await;
    let response = app
        .create(PostForm::new("t", "p").file(png(5), "a.png", "image/png"))
        .await;
    assert_eq!(response.status(), 201, "recovers without a restart");
    assert_eq!(app.get("/ready").await.status(), 200);
}

#[tokio::test]
async fn without_the_database_routes_answer_503_quickly_and_recover() {
    let app = spawn_app().await;
    let id = app.create_ok("before").await["id"].as_i64().unwrap();
    app.db_proxy.cut().await;

    let started = Instant::now();
    assert_error(app.get("/post").await, 503).await;
    assert_error(app.vote(id, 1).await, 503).await;
    assert_error(app.create(PostForm::new("t", "p")).await, 503).await;
    assert_error(app.get("/ready").await, 503).await;
    assert!(
        started.elapsed() < QUICKLY * 4,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "the process still serves"
    );

    app.db_proxy.restore().await;
    assert_eq!(
        app.get("/post").await.status(),
        200,
        "recovers without a restart"
    );
    assert_eq!(app.vote(id, 1).await.status(), 200);
    assert_eq!(app.get("/ready").await.status(), 200);
    assert_eq!(
        app.post_count().await,
        1,
        "the failed create inserted nothing"
    );
}

#[tokio::test]
async fn a_database_connection_that_broke_is_not_lent_again() {
    let app = spawn_app().await;
    let id = app.create_ok("before").await["id"].as_i64().unwrap();
    // A blip: the pooled connection is closed under the app, the database is back at once.
    app.db_proxy.cut().await;
    app.db_proxy.restore().await;

    // The read that finds the connection broken runs again on a new one; the vote is sent
    // only on a connection that has just answered.
    assert_eq!(app.get("/post").await.status(), 200);
    assert_eq!(app.vote(id, 1).await.status(), 200);
    assert_eq!(app.get("/post").await.status(), 200);
}

/// Every connection of the app, terminated by the server (a restart or a failover looks the
/// same to the app): once PostgreSQL answers again, no request fails and every vote counts
/// exactly once.
#[tokio::test]
async fn after_postgres_drops_every_connection_no_request_fails() {
    let app = spawn_app().await;
    let id = app.create_ok("blip").await["id"].as_i64().unwrap();
    // Several pooled connections, all idle for less than the idle-check interval.
    futures::future::join_all((0..8).map(|_| app.get("/post"))).await;
    assert!(
        app_connections(&app).await > 1,
        "the pool holds connections"
    );

    let terminated: Vec<(i32, bool)> = sqlx::query_as(
        "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'postboard'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(terminated.len() > 1 && terminated.iter().all(|&(_, done)| done));
    // Wait for those connections to be gone (not for none at all: the app's background work
    // opens new ones at once, which is the point).
    let pids: Vec<i32> = terminated.iter().map(|&(pid, _)| pid).collect();
    while still_connected(&app, &pids).await {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A write trusts a connection that answered in the last 20 ms without a ping; these last
    // answered before that, as a connection does that a restart drops between two requests.
    tokio::time::sleep(Duration::from_millis(50)).await;

    let reads = futures::future::join_all((0..20).map(|_| app.get("/post")));
    let votes = futures::future::join_all((0..20).map(|_| app.vote(id, 1)));
    let (reads, votes) = tokio::join!(reads, votes);
    for response in reads.iter().chain(&votes) {
        assert_eq!(response.status(), 200, "{}", response.url());
    }
    let score: i64 = sqlx::query_scalar("SELECT score FROM posts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(score, 20, "every vote counted exactly once");
}

async fn still_connected(app: &TestApp, pids: &[i32]) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1))")
        .bind(pids)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn app_connections(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'postboard'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn s3_signatures_are_checked() {
    let started = try_spawn_app_with(|config| {
        config.s3.secret_key = "not-the-secret".into();
        config.startup_timeout = Duration::from_millis(500);
    })
    .await;
    let error = started.err().expect("a wrong secret must not get in");
    assert!(error.to_string().contains("object storage"), "{error}");
    assert!(
        !error.to_string().contains("not-the-secret"),
        "secrets stay out of errors"
    );
}
