//! `GET /feed.atom`: the first page as Atom 1.0, read back by a feed reader's parser
//! (feed-rs), with its ETag and 304.

use feed_rs::model::FeedType;
use serde_json::Value;

use crate::support::*;

const PUBLIC_URL: &str = "https://board.example";

async fn spawn() -> TestApp {
    spawn_app_with(|config| {
        config.public_url = postboard::domain::PublicUrl::parse(PUBLIC_URL).unwrap();
    })
    .await
}

struct Fetched {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

async fn fetch(app: &TestApp, path: &str) -> Fetched {
    let response = app.get(path).await;
    Fetched {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

#[tokio::test]
async fn the_feed_is_valid_atom_with_every_required_element() {
    let app = spawn().await;
    let plain = app.create_ok("First & <best>").await;
    let with_image: Value = app
        .create(
            PostForm::new("With a picture", "Look.")
                .username("ann")
                .file(png(5), "a.png", "image/png"),
        )
        .await
        .json()
        .await
        .unwrap();

    let Fetched {
        status,
        headers,
        body,
    } = fetch(&app, "/feed.atom").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(
        text.contains("xmlns=\"http://www.w3.org/2005/Atom\""),
        "{text}"
    );

    let feed = feed_rs::parser::parse(&body[..]).expect("a feed reader reads it");
    assert_eq!(feed.feed_type, FeedType::Atom);
    // RFC 4287 §4.1.1: a feed has an id, a title and updated; entries, or the feed, authors.
    assert_eq!(feed.id, format!("{PUBLIC_URL}/feed.atom"));
    assert_eq!(feed.title.unwrap().content, "Postboard: new posts");
    assert!(feed.updated.is_some());
    assert!(
        feed.links.iter().any(
            |l| l.rel.as_deref() == Some("self") && l.href == format!("{PUBLIC_URL}/feed.atom")
        )
    );

    assert_eq!(feed.entries.len(), 2);
    let (newest, oldest) = (&feed.entries[0], &feed.entries[1]);
    let id = with_image["id"].as_i64().unwrap();
    assert_eq!(newest.id, format!("{PUBLIC_URL}/p/{id}"));
    assert_eq!(newest.title.as_ref().unwrap().content, "With a picture");
    assert_eq!(newest.authors[0].name.as_deref(), Some("ann"));
    assert!(newest.published.is_some() && newest.updated.is_some());
    assert_eq!(
        newest.content.as_ref().unwrap().body.as_deref(),
        Some("Look.")
    );
    let hash = with_image["image_hash"].as_str().unwrap();
    let enclosure = newest
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("enclosure"))
        .expect("the image as an enclosure");
    assert_eq!(
        enclosure.href,
        format!("{PUBLIC_URL}/image/{hash}?width=1280")
    );
    assert!(
        newest
            .links
            .iter()
            .any(|l| l.rel.as_deref() == Some("alternate")
                && l.href == format!("{PUBLIC_URL}/p/{id}"))
    );

    assert_eq!(oldest.title.as_ref().unwrap().content, "First & <best>");
    assert_eq!(oldest.authors[0].name.as_deref(), Some("anonymous"));
    assert_eq!(oldest.id, format!("{PUBLIC_URL}/p/{}", plain["id"]));
    assert!(
        oldest
            .links
            .iter()
            .all(|l| l.rel.as_deref() != Some("enclosure"))
    );
}

#[tokio::test]
async fn the_etag_answers_304_until_the_feed_changes() {
    let app = spawn().await;
    app.create_ok("one").await;
    let etag = fetch(&app, "/feed.atom").await.headers["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let if_none_match = |etag: String| {
        app.client
            .get(app.url("/feed.atom"))
            .header("if-none-match", etag)
            .send()
    };
    let again = if_none_match(etag.clone()).await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    app.create_ok("two").await;
    let changed = if_none_match(etag.clone()).await.unwrap();
    assert_eq!(changed.status(), 200);
    let changed_etag = changed.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(changed_etag, etag);
    // The feed written for the first ETag is not the one sent for the new one.
    let feed = feed_rs::parser::parse(&changed.bytes().await.unwrap()[..]).unwrap();
    assert_eq!(feed.entries.len(), 2);

    // Another replica, which has written no feed yet, gives the same ETag for the same posts:
    // a reader's 304 holds whichever replica it reaches.
    let replica = app.spawn_replica().await;
    let from_replica = app
        .client
        .get(replica.url("/feed.atom"))
        .header("if-none-match", &changed_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(from_replica.status(), 304);
}

#[tokio::test]
async fn each_sort_has_its_feed_and_bad_sorts_are_refused() {
    let app = spawn().await;
    let low = app.create_ok("low").await;
    let high = app.create_ok("high").await;
    let low_id = low["id"].as_i64().unwrap();
    let before = fetch(&app, "/feed.atom?sort=top").await.body;
    let feed = feed_rs::parser::parse(&before[..]).unwrap();
    assert_eq!(feed.entries[0].id, format!("{PUBLIC_URL}/p/{}", high["id"]));
    assert_eq!(app.vote(low_id, 1).await.status(), 200);

    let body = fetch(&app, "/feed.atom?sort=top").await.body;
    let feed = feed_rs::parser::parse(&body[..]).unwrap();
    assert_eq!(feed.id, format!("{PUBLIC_URL}/feed.atom?sort=top"));
    assert_eq!(feed.entries[0].id, format!("{PUBLIC_URL}/p/{low_id}"));
    assert_eq!(feed.entries[1].id, format!("{PUBLIC_URL}/p/{}", high["id"]));
    assert_eq!(fetch(&app, "/feed.atom?sort=hot").await.status, 200);

    assert_error(app.get("/feed.atom?sort=best").await, 422).await;
}

#[tokio::test]
async fn a_deleted_post_leaves_the_feed_at_once() {
    let app = spawn().await;
    let created = app.create_ok("going").await;
    app.create_ok("staying").await;
    // Read once before, so that this replica has written the feed with the post in it.
    let before = fetch(&app, "/feed.atom").await.body;
    assert_eq!(
        feed_rs::parser::parse(&before[..]).unwrap().entries.len(),
        2
    );
    let deleted = app.delete_created(&created).await;
    assert_eq!(deleted.status(), 204);
    let body = fetch(&app, "/feed.atom").await.body;
    let feed = feed_rs::parser::parse(&body[..]).unwrap();
    assert_eq!(feed.entries.len(), 1);
    assert_eq!(feed.entries[0].title.as_ref().unwrap().content, "staying");
}
