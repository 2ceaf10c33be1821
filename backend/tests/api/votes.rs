use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn up_then_down_returns_to_zero() {
    let app = spawn_app().await;
    let id = app.create_ok("vote me").await["id"].as_i64().unwrap();

    let up = app.vote(id, 1).await;
    assert_eq!(up.status(), 200);
    let up: Value = up.json().await.unwrap();
    assert_eq!(up["score"], 1);
    assert_eq!(up["id"], id);
    assert_eq!(up["title"], "vote me");

    let down: Value = app.vote(id, -1).await.json().await.unwrap();
    assert_eq!(down["score"], 0);
    let listed: Value = app.get("/post").await.json().await.unwrap();
    assert_eq!(listed[0]["score"], 0);
}

#[tokio::test]
async fn only_plus_or_minus_one_is_a_vote() {
    let app = spawn_app().await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    for bad in [2, 0, -2, 100] {
        let message = assert_error(app.vote(id, bad).await, 422).await;
        assert_eq!(message, "A vote must change the score by exactly 1 or -1.");
    }
    let post: Value = app.get("/post").await.json().await.unwrap();
    assert_eq!(post[0]["score"], 0, "refused votes changed nothing");
}

#[tokio::test]
async fn voting_on_a_missing_post_is_not_found() {
    let app = spawn_app().await;
    let message = assert_error(app.vote(424242, 1).await, 404).await;
    assert_eq!(message, "This post does not exist.");
}

#[tokio::test]
async fn malformed_votes_are_refused_in_the_contracts_shape() {
    let app = spawn_app().await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    let send = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/update-post-score"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // Not JSON at all, or not declared as JSON: 400.
    assert_error(
        send("{\"post_id\": 1,", "application/json").await.unwrap(),
        400,
    )
    .await;
    assert_error(send("{}", "text/plain").await.unwrap(), 400).await;
    // Well-formed JSON breaking the rules: 422.
    assert_error(
        send("{\"post_id\": 1}", "application/json").await.unwrap(),
        422,
    )
    .await;
    assert_error(
        send("{\"score_increase\": 1}", "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_error(
        send(
            "{\"post_id\": \"one\", \"score_increase\": 1}",
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_error(
        send(
            "{\"post_id\": 1, \"score_increase\": 1.5}",
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    let post: Value = app.get("/post").await.json().await.unwrap();
    assert_eq!(post[0]["id"], id);
    assert_eq!(post[0]["score"], 0);

    // JSON Schema counts 1.0 as the integer 1, as a generated client may write it.
    let whole = format!("{{\"post_id\": {id}.0, \"score_increase\": 1.0}}");
    let response = app
        .client
        .post(app.url("/update-post-score"))
        .header("content-type", "application/json")
        .body(whole)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn five_hundred_concurrent_votes_all_count() {
    let app = spawn_app().await;
    let id = app.create_ok("popular").await["id"].as_i64().unwrap();

    let votes = (0..500).map(|_| app.vote(id, 1));
    let responses = futures::future::join_all(votes).await;

    assert!(responses.iter().all(|r| r.status() == 200));
    let score: i64 = sqlx::query_scalar("SELECT score FROM posts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(score, 500);
}
