//! PostgreSQL or S3 going away mid-flight: quick 503s that change nothing, and recovery
//! without a restart when they come back.

use std::time::{Duration, Instant};

use crate::helpers::*;

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

    // A connection used less than a second ago is lent without a check, so the next request
    // may be the one that finds it broken: a 503, not a hang.
    let first = app.get("/post").await.status();
    assert!(first == 200 || first == 503, "got {first}");
    // Whoever found it broken closed it: the request after that gets a fresh connection.
    assert_eq!(app.get("/post").await.status(), 200);
    assert_eq!(app.vote(id, 1).await.status(), 200);
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
