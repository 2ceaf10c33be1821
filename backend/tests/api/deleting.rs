//! Taking a post back with its delete token (API.md, "Deleting"), and the image objects that
//! go with the last post using them, also while a create of the same image races the delete.

use std::time::{Duration, Instant};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::*;

async fn delete(app: &TestApp, id: i64, authorization: Option<&str>) -> reqwest::Response {
    send_delete(&app.client, &app.url(&format!("/post/{id}")), authorization).await
}

async fn send_delete(
    client: &reqwest::Client,
    url: &str,
    authorization: Option<&str>,
) -> reqwest::Response {
    let mut request = client.delete(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("request sent")
}

fn bearer(post: &Value) -> String {
    format!("Bearer {}", post["delete_token"].as_str().unwrap())
}

async fn create_with_image(app: &TestApp, title: &str, image: Vec<u8>) -> Value {
    let response = app
        .create(PostForm::new(title, "p").file(image, "i.png", "image/png"))
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

fn id(post: &Value) -> i64 {
    post["id"].as_i64().unwrap()
}

async fn listed_ids(app: &TestApp) -> Vec<i64> {
    let posts: Value = app.get("/post").await.json().await.unwrap();
    posts.as_array().unwrap().iter().map(id).collect()
}

fn object_exists(app: &TestApp, hash: &str) -> bool {
    app.s3
        .objects("images")
        .iter()
        .any(|path| path.file_name().unwrap() == hash)
}

/// The response's body must not contain `secret`; the response is handed back unread.
async fn without(response: reqwest::Response, secret: &str) -> reqwest::Response {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    assert!(
        !String::from_utf8_lossy(&body).contains(secret),
        "the answer shows the token"
    );
    let mut rebuilt = axum::http::Response::builder().status(status);
    for (name, value) in &headers {
        rebuilt = rebuilt.header(name, value);
    }
    reqwest::Response::from(rebuilt.body(body).unwrap())
}

#[tokio::test]
async fn the_delete_token_is_shown_once_and_stored_only_as_a_hash() {
    let app = spawn_app().await;
    let first = app.create_ok("first").await;
    let second = create_with_image(&app, "second", png(11)).await;

    let tokens: Vec<&str> = [&first, &second]
        .map(|post| post["delete_token"].as_str().unwrap())
        .to_vec();
    for token in &tokens {
        assert_eq!(token.len(), 43, "{token}");
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "base64url without padding: {token}"
        );
        assert_eq!(URL_SAFE_NO_PAD.decode(token).unwrap().len(), 32, "256 bits");
    }
    assert_ne!(tokens[0], tokens[1]);

    // Never listed, never in a vote's answer.
    for path in ["/post", "/post?sort=top", "/post?limit=1"] {
        let listed = app.get(path).await.text().await.unwrap();
        assert!(!listed.contains("delete_token"), "{path}: {listed}");
        for token in &tokens {
            assert!(!listed.contains(token), "{path} shows a token");
        }
    }
    let voted = app.vote(id(&first), 1).await.text().await.unwrap();
    assert!(
        !voted.contains("delete_token") && !voted.contains(tokens[0]),
        "{voted}"
    );

    // Stored as its SHA-256 only: no column of any row holds the token's text.
    for (post, token) in [&first, &second].into_iter().zip(&tokens) {
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT delete_token_hash FROM posts WHERE id = $1")
                .bind(id(post))
                .fetch_one(&app.db.pool)
                .await
                .unwrap();
        assert_eq!(stored, Sha256::digest(token.as_bytes()).as_slice());
    }
    let rows: Vec<String> = sqlx::query_scalar("SELECT p::text FROM posts p")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    for token in &tokens {
        let raw = hex::encode(URL_SAFE_NO_PAD.decode(token).unwrap());
        for row in &rows {
            assert!(!row.contains(token) && !row.contains(&raw), "{row}");
        }
    }
}

#[tokio::test]
async fn deleting_with_the_token_answers_204_and_the_post_is_gone() {
    let app = spawn_app().await;
    let kept = app.create_ok("kept").await;
    let post = app.create_ok("to delete").await;

    let response = delete(&app, id(&post), Some(&bearer(&post))).await;
    assert_eq!(response.status(), 204);
    assert!(response.headers().contains_key("x-request-id"));
    assert!(response.bytes().await.unwrap().is_empty());

    assert_eq!(listed_ids(&app).await, vec![id(&kept)]);
    assert_eq!(app.post_count().await, 1);
    assert_error(app.vote(id(&post), 1).await, 404).await;
    // Gone is gone: the same token again finds nothing.
    assert_error(delete(&app, id(&post), Some(&bearer(&post))).await, 404).await;
    // The scheme's name is case-insensitive (RFC 7235).
    let lower = format!("bearer {}", kept["delete_token"].as_str().unwrap());
    assert_eq!(delete(&app, id(&kept), Some(&lower)).await.status(), 204);
}

#[tokio::test]
async fn deleting_without_a_token_is_401() {
    let app = spawn_app().await;
    let post = app.create_ok("mine").await;
    for authorization in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some("Bearer two words"),
        Some("Basic dXNlcjpwYXNzd29yZA=="),
        Some(post["delete_token"].as_str().unwrap()),
    ] {
        let response = delete(&app, id(&post), authorization).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let message = assert_error(response, 401).await;
        assert_eq!(message, "Deleting a post needs its delete token.");
    }
    assert_eq!(
        listed_ids(&app).await,
        vec![id(&post)],
        "nothing was deleted"
    );
}

#[tokio::test]
async fn deleting_with_a_wrong_token_is_403() {
    let app = spawn_app().await;
    let post = app.create_ok("mine").await;
    let other = app.create_ok("theirs").await;
    let token = post["delete_token"].as_str().unwrap();
    let mut altered = token.to_owned();
    altered.replace_range(42.., if token.ends_with('A') { "B" } else { "A" });

    for authorization in [
        bearer(&other),
        format!("Bearer {altered}"),
        format!("Bearer {}", URL_SAFE_NO_PAD.encode([0u8; 32])),
        "Bearer abc".to_owned(),
        format!("Bearer {token}="),
    ] {
        let response = delete(&app, id(&post), Some(&authorization)).await;
        let response = without(response, token).await;
        let message = assert_error(response, 403).await;
        assert_eq!(message, "This delete token does not belong to this post.");
    }
    assert_eq!(app.post_count().await, 2, "nothing was deleted");
    assert_eq!(
        delete(&app, id(&post), Some(&bearer(&post))).await.status(),
        204
    );
}

#[tokio::test]
async fn deleting_an_unknown_post_is_404() {
    let app = spawn_app().await;
    let post = app.create_ok("mine").await;
    let message = assert_error(delete(&app, 424242, Some(&bearer(&post))).await, 404).await;
    assert_eq!(message, "This post does not exist.");
    // Not an id at all: malformed.
    let response = send_delete(&app.client, &app.url("/post/abc"), Some(&bearer(&post))).await;
    assert_error(response, 400).await;
    assert_eq!(app.post_count().await, 1);
}

#[tokio::test]
async fn posts_from_before_delete_tokens_cannot_be_deleted() {
    let app = spawn_app().await;
    // As the migration left the posts that existed before it: no token hash.
    let old: i64 =
        sqlx::query_scalar("INSERT INTO posts (title, post) VALUES ('old', 'post') RETURNING id")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let post = app.create_ok("new").await;
    assert_error(delete(&app, old, Some(&bearer(&post))).await, 403).await;
    assert_eq!(app.post_count().await, 2);
}

#[tokio::test]
async fn an_image_object_goes_with_the_last_post_that_uses_it() {
    let app = spawn_app().await;
    let (shared, alone) = (png(3), png(4));
    let (shared_hash, alone_hash) = (sha256_hex(&shared), sha256_hex(&alone));
    let first = create_with_image(&app, "first", shared.clone()).await;
    let second = create_with_image(&app, "second", shared.clone()).await;
    let other = create_with_image(&app, "other", alone).await;
    assert_eq!(app.s3.objects("images").len(), 2);

    // Another post still uses it: the object stays.
    assert_eq!(
        delete(&app, id(&first), Some(&bearer(&first)))
            .await
            .status(),
        204
    );
    assert!(object_exists(&app, &shared_hash));
    let image = app.get(&format!("/image/{shared_hash}")).await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.bytes().await.unwrap(), shared);

    // The last one goes: so does the object.
    assert_eq!(
        delete(&app, id(&second), Some(&bearer(&second)))
            .await
            .status(),
        204
    );
    assert!(!object_exists(&app, &shared_hash));
    assert_error(app.get(&format!("/image/{shared_hash}")).await, 404).await;

    // Unrelated images and posts without images are untouched.
    assert!(object_exists(&app, &alone_hash));
    let plain = app.create_ok("plain").await;
    assert_eq!(
        delete(&app, id(&plain), Some(&bearer(&plain)))
            .await
            .status(),
        204
    );
    assert!(object_exists(&app, &alone_hash));
    assert_eq!(listed_ids(&app).await, vec![id(&other)]);

    // Posting the same bytes again stores the object again.
    create_with_image(&app, "again", shared).await;
    assert!(object_exists(&app, &shared_hash));
}

#[tokio::test]
async fn a_storage_outage_during_a_delete_leaves_an_unused_object_never_a_broken_post() {
    let app = spawn_app().await;
    let image = png(5);
    let hash = sha256_hex(&image);
    let post = create_with_image(&app, "doomed", image).await;

    app.s3_proxy.cut().await;
    assert_eq!(
        delete(&app, id(&post), Some(&bearer(&post))).await.status(),
        204
    );
    app.s3_proxy.restore().await;

    assert_eq!(app.post_count().await, 0, "the post is gone");
    assert!(object_exists(&app, &hash), "its object stays, unused");
}

/// The advisory lock key of an image, as (classid, objid) in `pg_locks`: its first 8 bytes.
fn lock_ids(hash: &str) -> (i64, i64) {
    let key = u64::from_str_radix(&hash[..16], 16).unwrap();
    ((key >> 32) as i64, (key & 0xffff_ffff) as i64)
}

/// Waits until some session holds (`granted`) or waits for (`!granted`) the image's lock in
/// `mode` (`ShareLock` or `ExclusiveLock`).
async fn wait_for_image_lock(app: &TestApp, hash: &str, mode: &str, granted: bool) {
    let (classid, objid) = lock_ids(hash);
    let started = Instant::now();
    loop {
        let found: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks
             WHERE locktype = 'advisory' AND objsubid = 1
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND classid::bigint = $1 AND objid::bigint = $2 AND mode = $3 AND granted = $4",
        )
        .bind(classid)
        .bind(objid)
        .bind(mode)
        .bind(granted)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if found > 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no {mode} (granted: {granted}) on the image's lock"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The delete of the last post using an image is removing the object (held up in storage)
/// when a create with the same bytes comes in. The create waits for the delete, finds no post
/// using the image, and uploads it again: the new post's image is there.
#[tokio::test]
async fn a_create_racing_the_delete_of_its_image_never_points_at_a_missing_object() {
    let app = spawn_app().await;
    let image = png(42);
    let hash = sha256_hex(&image);
    let doomed = create_with_image(&app, "doomed", image.clone()).await;

    app.s3_proxy.pause();
    let deleting = tokio::spawn({
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/post/{}", id(&doomed))),
        );
        let authorization = bearer(&doomed);
        async move { send_delete(&client, &url, Some(&authorization)).await }
    });
    // The delete holds the image's lock while its object deletion is on the way.
    wait_for_image_lock(&app, &hash, "ExclusiveLock", true).await;

    let creating = tokio::spawn({
        let (client, url) = (app.client.clone(), app.url("/post"));
        let form = PostForm::new("reborn", "p").file(image.clone(), "i.png", "image/png");
        async move {
            client
                .post(url)
                .multipart(form.into_multipart())
                .send()
                .await
        }
    });
    // The create waits for that lock before it looks at storage.
    wait_for_image_lock(&app, &hash, "ShareLock", false).await;

    app.s3_proxy.resume();
    assert_eq!(deleting.await.unwrap().status(), 204);
    let created = creating.await.unwrap().unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["image_hash"], hash.as_str());

    assert!(
        object_exists(&app, &hash),
        "uploaded again after the delete"
    );
    let served = app.get(&format!("/image/{hash}")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap(), image);
    assert_eq!(listed_ids(&app).await, vec![id(&created)]);
}

/// The other order: a create of the same image is between its check and its commit (here the
/// test's own transaction plays it, holding the image's lock shared) when the last post using
/// the image is deleted. The delete waits, then sees the new post and keeps the object.
#[tokio::test]
async fn a_delete_waits_for_a_create_in_flight_and_keeps_the_image_it_uses() {
    let app = spawn_app().await;
    let image = png(43);
    let hash = sha256_hex(&image);
    let doomed = create_with_image(&app, "doomed", image.clone()).await;
    let (classid, objid) = lock_ids(&hash);
    let key = ((classid as u64) << 32 | objid as u64) as i64;

    let mut creator = app.db.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind(key)
        .execute(&mut *creator)
        .await
        .unwrap();

    let deleting = tokio::spawn({
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/post/{}", id(&doomed))),
        );
        let authorization = bearer(&doomed);
        async move { send_delete(&client, &url, Some(&authorization)).await }
    });
    // The row is gone (committed), and the delete waits to decide about the object.
    wait_for_image_lock(&app, &hash, "ExclusiveLock", false).await;
    assert_eq!(app.post_count().await, 0);

    let reborn: i64 = sqlx::query_scalar(
        "INSERT INTO posts (title, post, image_hash) VALUES ('reborn', 'p', $1) RETURNING id",
    )
    .bind(&hash)
    .fetch_one(&mut *creator)
    .await
    .unwrap();
    creator.commit().await.unwrap();

    assert_eq!(deleting.await.unwrap().status(), 204);
    assert!(object_exists(&app, &hash), "the new post still uses it");
    let served = app.get(&format!("/image/{hash}")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap(), image);
    assert_eq!(listed_ids(&app).await, vec![reborn]);
}
