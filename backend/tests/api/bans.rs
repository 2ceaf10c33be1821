//! Bans (API.md, "Moderation"): a moderator bans the client that made a post, at the width of
//! its address or of its network; its creates, votes and reports are refused on every replica
//! at once, with or without rate limits, until the ban ends or is lifted; the log records it
//! and never shows a key.

use std::time::Duration;

use postboard::domain::{RateLimit, TrustedProxies};
use serde_json::{Value, json};

use crate::{moderator_support::*, support::*};

const WITHIN_A_SECOND: Duration = Duration::from_secs(1);
const A: &str = "203.0.113.5";
const A_NEIGHBOUR: &str = "203.0.113.77";
const B: &str = "198.51.100.7";

async fn create_as(base: &str, client: &str, title: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/post"))
        .header("x-forwarded-for", client)
        .multipart(PostForm::new(title, "some text").into_multipart())
        .send()
        .await
        .expect("request sent")
}

async fn created_as(base: &str, client: &str, title: &str) -> Value {
    let response = create_as(base, client, title).await;
    assert_eq!(response.status(), 201, "{client} creates {title:?}");
    response.json().await.unwrap()
}

async fn vote_as(base: &str, client: &str, id: i64) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/update-post-score"))
        .header("x-forwarded-for", client)
        .json(&json!({"post_id": id, "score_increase": 1}))
        .send()
        .await
        .expect("request sent")
}

async fn report_as(base: &str, client: &str, id: i64) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/post/{id}/report"))
        .header("x-forwarded-for", client)
        .json(&json!({"reason": "spam"}))
        .send()
        .await
        .expect("request sent")
}

async fn moderate(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    as_moderator(app, &app.address, Some(token), method, path, body).await
}

async fn ban(app: &TestApp, token: &str, body: Value) -> Value {
    let response = moderate(app, token, reqwest::Method::POST, "/mod/ban", Some(body)).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn ban_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM bans")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Creates, votes and reports of `client` on `base` are all refused as banned; the message.
async fn assert_banned(base: &str, client: &str, other_post: i64) -> String {
    let message = assert_error(create_as(base, client, "again").await, 403).await;
    assert_eq!(
        assert_error(vote_as(base, client, other_post).await, 403).await,
        message
    );
    assert_eq!(
        assert_error(report_as(base, client, other_post).await, 403).await,
        message
    );
    message
}

async fn ban_refuses_on_both_replicas_until_lifted(app: TestApp) {
    let replica = app.spawn_replica().await;
    let token = add_moderator(&app, "fay").await;
    let spam = created_as(&app.address, A, "spam").await;
    let other = id_of(&created_as(&app.address, B, "fine").await);

    let made = ban(
        &app,
        &token,
        json!({"post_id": id_of(&spam), "scope": "address", "days": 1, "reason": "Spam"}),
    )
    .await;
    assert_eq!(made["scope"], "address");
    assert_eq!(made["post_id"], id_of(&spam));
    assert_eq!(made["moderator"], "fay");
    assert_eq!(made["removed_posts"], json!([]));
    let until: chrono::DateTime<chrono::Utc> = made["until"].as_str().unwrap().parse().unwrap();
    let in_a_day = chrono::Utc::now() + chrono::Duration::days(1);
    assert!((until - in_a_day).num_seconds().abs() < 60, "{until}");

    for base in [&app.address, &replica.address] {
        let message = assert_banned(base, A, other).await;
        assert!(
            message.contains("until") && message.contains(&until.format("%Y-%m-%d").to_string()),
            "{message}"
        );
        // An address ban: the next address, and any other client, go on as ever.
        assert_eq!(
            create_as(base, A_NEIGHBOUR, "neighbour").await.status(),
            201
        );
        assert_eq!(vote_as(base, B, other).await.status(), 200);
    }
    // The banned client's own posts can still be deleted with their tokens.
    assert!(app.delete_created(&spam).await.status().is_success());

    let bans = moderate(&app, &token, reqwest::Method::GET, "/mod/bans", None).await;
    assert_eq!(bans.status(), 200);
    let bans: Value = bans.json().await.unwrap();
    assert_eq!(bans.as_array().unwrap().len(), 1);
    assert_eq!(bans[0]["id"], made["id"]);
    let stored_key: Vec<u8> = sqlx::query_scalar("SELECT client_key FROM bans")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!bans.to_string().contains(&hex::encode(&stored_key)[..12]));

    let lift = format!("/mod/ban/{}", made["id"]);
    let lifted = moderate(&app, &token, reqwest::Method::DELETE, &lift, None).await;
    assert_eq!(lifted.status(), 200);
    assert_eq!(create_as(&replica.address, A, "back").await.status(), 201);
    assert_eq!(vote_as(&replica.address, A, other).await.status(), 200);
    let again = moderate(&app, &token, reqwest::Method::DELETE, &lift, None).await;
    assert_eq!(assert_error(again, 404).await, "There is no such ban.");

    let log: Value = app.get("/modlog").await.json().await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["moderator"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(actions, [("unban", "fay"), ("ban", "fay")]);
    assert_eq!(log[1]["reason"], "Spam");
    assert!(!log.to_string().contains(&hex::encode(&stored_key)[..12]));
    replica.stop().await;
}

#[tokio::test]
async fn a_ban_refuses_creates_votes_and_reports_on_both_replicas_until_lifted() {
    ban_refuses_on_both_replicas_until_lifted(spawn().await).await;
}

/// The same with every rate limit on: then the ban is read by the statement that charges the
/// limit, which must neither let the client through nor charge it.
#[tokio::test]
async fn a_ban_holds_as_well_when_the_rate_limits_are_on() {
    let app = spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.0/8, ::1").unwrap();
        config.rate_limit_posts = RateLimit::parse("100/1m").unwrap();
        config.rate_limit_votes = RateLimit::parse("100/1m").unwrap();
        config.rate_limit_reports = RateLimit::parse("100/1m").unwrap();
    })
    .await;
    ban_refuses_on_both_replicas_until_lifted(app).await;
}

/// Votes are written in batches, and a batch reads its voters' bans: a banned voter's votes are
/// left out of the very statement that counts the others' votes on the same post.
#[tokio::test]
async fn a_banned_voter_is_refused_within_a_batch_that_counts_the_others() {
    let app = spawn().await;
    let token = add_moderator(&app, "ida").await;
    let spam = id_of(&created_as(&app.address, A, "spam").await);
    let target = id_of(&created_as(&app.address, B, "target").await);
    ban(
        &app,
        &token,
        json!({"post_id": spam, "scope": "address", "days": null, "reason": "Spam"}),
    )
    .await;

    let votes = (0..100).map(|i| {
        let voter = if i % 2 == 0 { A } else { B };
        let address = app.address.clone();
        async move { (voter, vote_as(&address, voter, target).await.status()) }
    });
    let answers = futures::future::join_all(votes).await;
    for (voter, status) in &answers {
        let expected = if *voter == A { 403 } else { 200 };
        assert_eq!(status.as_u16(), expected, "a vote of {voter}");
    }
    let post: Value = app
        .get(&format!("/post/{target}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["score"], 50);
}

/// Creates without an image are inserted in batches too, and the batch's insert leaves out
/// the rows of banned posters: each of 100 creates at once, half of them by a banned client, is
/// answered for itself, with its own post (its own delete token deletes it) or with 403.
#[tokio::test]
async fn a_banned_posters_creates_are_refused_within_a_batch_that_inserts_the_others() {
    let app = spawn().await;
    let token = add_moderator(&app, "ida").await;
    let spam = id_of(&created_as(&app.address, A, "spam").await);
    ban(
        &app,
        &token,
        json!({"post_id": spam, "scope": "address", "days": null, "reason": "Spam"}),
    )
    .await;

    let creates = (0..100).map(|i| {
        let poster = if i % 2 == 0 { A } else { B };
        let address = app.address.clone();
        async move {
            let title = format!("create {i}");
            let response = create_as(&address, poster, &title).await;
            (
                poster,
                title,
                response.status(),
                response.json::<Value>().await.ok(),
            )
        }
    });
    let answers = futures::future::join_all(creates).await;
    let mut inserted = Vec::new();
    for (poster, title, status, body) in answers {
        if poster == A {
            assert_eq!(status, 403, "{title} by the banned poster");
        } else {
            assert_eq!(status, 201, "{title}");
            let body = body.unwrap();
            assert_eq!(
                body["title"],
                title.as_str(),
                "each caller gets its own post"
            );
            inserted.push(body);
        }
    }
    assert_eq!(inserted.len(), 50);
    let ids: std::collections::HashSet<_> = inserted.iter().map(id_of).collect();
    assert_eq!(ids.len(), 50, "50 different posts");
    for created in &inserted[..5] {
        assert_eq!(app.delete_created(created).await.status(), 204);
    }
}

/// A banned client's image post is refused before its image reaches the bucket (the limits are
/// off here: the statement that checks the upload reads the ban).
#[tokio::test]
async fn a_banned_clients_image_is_never_stored() {
    let app = spawn().await;
    let token = add_moderator(&app, "jon").await;
    let spam = id_of(&created_as(&app.address, A, "spam").await);
    ban(
        &app,
        &token,
        json!({"post_id": spam, "scope": "network", "days": 3, "reason": "Spam"}),
    )
    .await;
    let stored_before = app.s3.objects(&app.config.s3.bucket);

    let form = PostForm::new("with a picture", "text").file(png(42), "a.png", "image/png");
    let refused = reqwest::Client::new()
        .post(format!("{}/post", app.address))
        .header("x-forwarded-for", A_NEIGHBOUR)
        .multipart(form.into_multipart())
        .send()
        .await
        .unwrap();
    let message = assert_error(refused, 403).await;
    assert!(message.contains("until"), "{message}");
    assert_eq!(app.s3.objects(&app.config.s3.bucket), stored_before);
    assert_eq!(app.post_count().await, 1);
}

#[tokio::test]
async fn a_network_ban_holds_for_the_whole_network_and_can_remove_its_posts() {
    let app = spawn().await;
    let replica = app.spawn_replica().await;
    let token = add_moderator(&app, "gus").await;
    let first = id_of(&created_as(&app.address, A, "one").await);
    let second = id_of(&created_as(&app.address, A, "two").await);
    let neighbours = id_of(&created_as(&app.address, A_NEIGHBOUR, "three").await);
    let other = id_of(&created_as(&app.address, B, "stays").await);
    report(&app, B, first, "spam", None).await;
    let mut stream = EventStream::connect(&replica.address, None).await;

    let made = ban(
        &app,
        &token,
        json!({"post_id": first, "scope": "network", "days": null, "reason": "Spam ring",
               "remove_posts": true}),
    )
    .await;
    assert_eq!(made["scope"], "network");
    assert_eq!(made["until"], Value::Null);
    assert_eq!(made["removed_posts"], json!([first, second, neighbours]));

    for _ in 0..3 {
        let event = stream.next_of("delete", WITHIN_A_SECOND).await;
        assert!([first, second, neighbours].contains(&event.data["id"].as_i64().unwrap()));
    }
    let listed: Value = reqwest::get(format!("{}/post", replica.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&listed), [other]);
    let message = assert_banned(&replica.address, A_NEIGHBOUR, other).await;
    assert!(message.contains("any more"), "{message}");
    assert_eq!(create_as(&app.address, B, "fine").await.status(), 201);

    // The removed posts' reports are settled, and each removal is logged.
    let queue: Value = moderate(&app, &token, reqwest::Method::GET, "/mod/queue", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue, json!([]));
    let log: Value = app.get("/modlog").await.json().await.unwrap();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["remove", "remove", "remove", "ban"]);
    replica.stop().await;
}

#[tokio::test]
async fn an_expired_ban_no_longer_holds_and_stays_listed_until_lifted() {
    let app = spawn().await;
    let token = add_moderator(&app, "hal").await;
    let id = id_of(&created_as(&app.address, A, "spam").await);
    let made = ban(
        &app,
        &token,
        json!({"post_id": id, "scope": "address", "days": 1, "reason": "Spam"}),
    )
    .await;
    assert_eq!(create_as(&app.address, A, "no").await.status(), 403);
    sqlx::query(
        "UPDATE bans SET created_at = now() - interval '2 days', until = now() - interval '1 day'",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(create_as(&app.address, A, "yes").await.status(), 201);
    let bans: Value = moderate(&app, &token, reqwest::Method::GET, "/mod/bans", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bans[0]["id"], made["id"]);
}

#[tokio::test]
async fn the_queue_shows_a_short_poster_key_the_same_for_one_client() {
    let app = spawn().await;
    let token = add_moderator(&app, "ivy").await;
    let posts = [
        id_of(&created_as(&app.address, A, "one").await),
        id_of(&created_as(&app.address, A, "two").await),
        id_of(&created_as(&app.address, B, "three").await),
    ];
    let mut posters = Vec::new();
    for id in posts {
        let path = format!("/mod/post/{id}");
        let post: Value = moderate(&app, &token, reqwest::Method::GET, &path, None)
            .await
            .json()
            .await
            .unwrap();
        posters.push(post["poster"].as_str().unwrap().to_owned());
    }
    assert_eq!(posters[0], posters[1]);
    assert_ne!(posters[0], posters[2]);
    assert_eq!(posters[0].len(), 12, "{posters:?}");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT poster_address FROM posts WHERE id = $1")
        .bind(posts[0])
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        stored.len(),
        32,
        "the whole keyed hash is stored, never the address"
    );
    assert!(!String::from_utf8_lossy(&stored).contains(A));
}

#[tokio::test]
async fn every_ban_route_wants_a_valid_token() {
    let app = spawn().await;
    let id = id_of(&app.create_ok("a post").await);
    let body = json!({"post_id": id, "scope": "address", "days": 1, "reason": "x"});
    let routes = [
        (reqwest::Method::POST, "/mod/ban", Some(body)),
        (reqwest::Method::GET, "/mod/bans", None),
        (reqwest::Method::DELETE, "/mod/ban/1", None),
    ];
    let unknown = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE";
    for (method, path, body) in routes {
        let missing = as_moderator(&app, &app.address, None, method.clone(), path, body.clone());
        assert_error(missing.await, 401).await;
        let wrong = as_moderator(&app, &app.address, Some(unknown), method, path, body);
        assert_error(wrong.await, 403).await;
    }
    assert_eq!(ban_count(&app).await, 0);
}

#[tokio::test]
async fn bad_bans_are_refused_and_change_nothing() {
    let app = spawn().await;
    let token = add_moderator(&app, "joe").await;
    let id = id_of(&created_as(&app.address, A, "a post").await);
    let post = |changes: Value| {
        let mut body = json!({"post_id": id, "scope": "address", "days": 1, "reason": "Spam"});
        for (key, value) in changes.as_object().unwrap() {
            if value == "<missing>" {
                body.as_object_mut().unwrap().remove(key);
            } else {
                body[key] = value.clone();
            }
        }
        let (app, token) = (&app, token.clone());
        async move { moderate(app, &token, reqwest::Method::POST, "/mod/ban", Some(body)).await }
    };
    for days in [json!(0), json!(3651), json!(-1)] {
        let message = assert_error(post(json!({"days": days})).await, 422).await;
        assert!(message.contains("1 to 3650 days"), "{message}");
    }
    let message = assert_error(post(json!({"days": "<missing>"})).await, 422).await;
    assert!(message.contains("null for good"), "{message}");
    assert_error(post(json!({"days": 1.5})).await, 422).await;
    assert_error(post(json!({"scope": "everyone"})).await, 422).await;
    assert_error(post(json!({"reason": "<missing>"})).await, 422).await;
    assert_error(post(json!({"reason": "   "})).await, 422).await;
    assert_error(post(json!({"until": "tomorrow"})).await, 422).await;
    let message = assert_error(post(json!({"post_id": id + 1000})).await, 404).await;
    assert_eq!(message, "This post does not exist.");

    sqlx::query("UPDATE posts SET poster_address = NULL, poster_network = NULL")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let message = assert_error(post(json!({})).await, 422).await;
    assert!(message.contains("older than bans"), "{message}");
    assert_eq!(ban_count(&app).await, 0);
    let log: Value = app.get("/modlog").await.json().await.unwrap();
    assert_eq!(log, json!([]), "nothing was logged");
    let bad_id = moderate(&app, &token, reqwest::Method::DELETE, "/mod/ban/abc", None).await;
    assert_error(bad_id, 400).await;
}
