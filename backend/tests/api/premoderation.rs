//! `PREMODERATE_IMAGES=on`: a post with an image waits hidden for a moderator, and a
//! moderator's name is never a post's username.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{moderator_support::*, support::*};

const WITHIN: Duration = Duration::from_secs(2);

#[tokio::test]
async fn with_premoderation_an_image_post_waits_hidden_until_a_moderator_restores_it() {
    let app = spawn_app_with(|config| config.premoderate_images = true).await;
    let token = add_moderator(&app, "ivy").await;
    let mut events = EventStream::connect(&app.address, None).await;

    let response = app
        .create(PostForm::new("a photo", "waits").file(png(21), "a.png", "image/png"))
        .await;
    assert_eq!(response.status(), 201);
    let held: Value = response.json().await.unwrap();
    assert_eq!(held["state"], "hidden");
    let text_only: Value = app
        .create(PostForm::new("just words", "shown at once"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(text_only["state"], "visible");

    // Only the text post is public, and announced.
    let listed: Value = app.get("/post").await.json().await.unwrap();
    assert_eq!(ids(&listed), [id_of(&text_only)]);
    assert_eq!(
        events.next_of("post", WITHIN).await.data["id"],
        id_of(&text_only)
    );
    assert_error(app.get(&format!("/post/{}", id_of(&held))).await, 404).await;
    let image = format!("/image/{}", held["image_hash"].as_str().unwrap());
    assert_error(app.get(&image).await, 404).await;
    // Moderators see the picture they judge, and no shared cache keeps it.
    for path in [format!("/mod{image}"), format!("/mod{image}?width=320")] {
        let seen = as_moderator(
            &app,
            &app.address,
            Some(&token),
            reqwest::Method::GET,
            &path,
            None,
        )
        .await;
        assert_eq!(seen.status(), 200, "{path}");
        assert_eq!(seen.headers()["cache-control"], "private, no-store");
        assert!(
            seen.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/")
        );
    }

    // The queue holds it; a restore publishes it, live.
    let queue: Value = as_moderator(
        &app,
        &app.address,
        Some(&token),
        reqwest::Method::GET,
        "/mod/queue",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(queue[0]["id"], id_of(&held));
    assert_eq!(queue[0]["state"], "hidden");
    let restored = as_moderator(
        &app,
        &app.address,
        Some(&token),
        reqwest::Method::POST,
        &format!("/mod/post/{}/restore", id_of(&held)),
        Some(json!({"reason": "Looks fine"})),
    )
    .await;
    assert_eq!(restored.status(), 200);
    assert_eq!(
        events.next_of("post", WITHIN).await.data["id"],
        id_of(&held)
    );
    // Served again within the second that replicas may keep "not shown".
    let restored_at = std::time::Instant::now();
    while app.get(&image).await.status() != 200 {
        assert!(restored_at.elapsed() < WITHIN, "the image is still refused");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_moderators_name_is_never_a_posts_username_and_the_other_way_round() {
    let app = spawn().await;
    add_moderator(&app, "dana").await;
    let posts_before = app.post_count().await;
    for name in ["dana", "Dana", "DANA"] {
        let response = app
            .create(PostForm::new("hello", "from me").username(name))
            .await;
        assert_eq!(
            assert_error(response, 422).await,
            "This name belongs to a moderator of this board. Choose another.",
            "{name}"
        );
    }
    let with_image = app
        .create(PostForm::new("hello", "from me").username("dana").file(
            png(22),
            "a.png",
            "image/png",
        ))
        .await;
    assert_error(with_image, 422).await;
    assert_eq!(app.post_count().await, posts_before, "nothing inserted");
    assert!(
        app.s3.objects(&app.config.s3.bucket).is_empty(),
        "nothing stored"
    );
    let other = app
        .create(PostForm::new("hello", "from me").username("dana2"))
        .await;
    assert_eq!(other.status(), 201);

    // A name that posts carry can't become a moderator's, nor can "anonymous".
    app.create(PostForm::new("hi", "it's me").username("Erin"))
        .await;
    let (code, _, stderr) = operator(&app, &["add", "erin"]).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("posts on this board are signed erin"),
        "{stderr}"
    );
    let (code, _, stderr) = operator(&app, &["add", "anonymous"]).await;
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("anonymous"), "{stderr}");
}
