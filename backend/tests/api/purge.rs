//! Purged images: every post with the image removed, the objects gone from the bucket, no
//! replica serving the image or a variant (from storage or from its cache), the picture
//! refused when posted again as the same bytes, with other metadata, or as a copy; and images
//! served only while a visible post shows them.

use std::time::{Duration, Instant};

use image::{DynamicImage, RgbImage, imageops::FilterType};
use postboard::domain::TrustedProxies;
use serde_json::{Value, json};

use postboard_test_fixtures::*;

use crate::{
    metrics::{scrape, value, with_metrics},
    moderator_support::*,
    support::*,
};

/// The contract's "everywhere within 1 s", with room for a loaded test machine.
const WITHIN_A_SECOND: Duration = Duration::from_millis(1500);

/// A picture with structure at every scale (rings over a gradient), as JPEG.
fn picture(seed: u32) -> RgbImage {
    RgbImage::from_fn(640, 480, |x, y| {
        let (dx, dy) = (x as f32 - 200.0 - seed as f32 * 40.0, y as f32 - 240.0);
        let ring = ((dx * dx + dy * dy).sqrt() / (12.0 + seed as f32)).sin();
        image::Rgb([
            (x * 255 / 640) as u8,
            (127.0 + 120.0 * ring) as u8,
            (y * 255 / 480) as u8,
        ])
    })
}

async fn spawn_with_metrics() -> TestApp {
    spawn_app_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.0/8, ::1").unwrap();
        config.reports_to_hide = 3;
        with_metrics(config);
    })
    .await
}

async fn post_image(app: &TestApp, title: &str, bytes: Vec<u8>) -> reqwest::Response {
    app.create(PostForm::new(title, "p").file(bytes, "photo.jpg", "image/jpeg"))
        .await
}

async fn posted(app: &TestApp, title: &str, bytes: Vec<u8>) -> Value {
    let response = post_image(app, title, bytes).await;
    assert_eq!(response.status(), 201, "{title}");
    response.json().await.unwrap()
}

async fn status_of(app: &TestApp, url: String, etag: Option<&str>) -> u16 {
    let mut request = app.client.get(url);
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Waits until `url` answers `status`; fails after `within`.
async fn until_status(app: &TestApp, url: String, status: u16, within: Duration) {
    let started = Instant::now();
    loop {
        let now = status_of(app, url.clone(), None).await;
        if now == status {
            return;
        }
        assert!(
            started.elapsed() < within,
            "{url} still {now}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn remove(app: &TestApp, token: &str, id: i64, purge: bool) -> reqwest::Response {
    as_moderator(
        app,
        &app.address,
        Some(token),
        reqwest::Method::POST,
        &format!("/mod/post/{id}/remove"),
        Some(json!({"reason": "Illegal content", "purge_image": purge})),
    )
    .await
}

fn objects_of(app: &TestApp, hash: &str) -> Vec<String> {
    let mut found: Vec<String> = app
        .s3
        .objects(&app.config.s3.bucket)
        .iter()
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| name.contains(hash))
        .collect();
    let variants = app
        .s3
        .root
        .path()
        .join(&app.config.s3.bucket)
        .join("variants")
        .join(hash);
    if let Ok(entries) = std::fs::read_dir(variants) {
        found.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| format!("variant {:?}", e.file_name())),
        );
    }
    found
}

async fn cached_entries(metrics_address: &str) -> f64 {
    value(
        &scrape(metrics_address).await,
        "postboard_image_cache_entries",
    )
    .unwrap()
}

#[tokio::test]
async fn a_purge_removes_every_post_with_the_image_and_no_replica_keeps_or_serves_it() {
    let app = spawn_with_metrics().await;
    let replica = app.spawn_replica().await;
    let token = add_moderator(&app, "fran").await;
    let bytes = jpeg_of(&picture(1), None);
    let first = posted(&app, "the reported one", bytes.clone()).await;
    let same = posted(&app, "the same bytes again", bytes).await;
    let other = posted(&app, "another picture", jpeg_of(&picture(5), None)).await;
    let hash = first["image_hash"].as_str().unwrap().to_owned();
    assert_eq!(same["image_hash"], hash.as_str());

    // Both replicas serve the image and a variant, and keep them in memory.
    let paths = [format!("/image/{hash}"), format!("/image/{hash}?width=320")];
    for base in [app.address.as_str(), replica.address.as_str()] {
        for path in &paths {
            assert_eq!(status_of(&app, format!("{base}{path}"), None).await, 200);
        }
    }
    // The cache's figures catch up with its inserts within moments (moka's maintenance, run
    // as it is used).
    let replica_metrics = replica.metrics_address.clone().unwrap();
    let started = Instant::now();
    let cached_before = loop {
        let now = cached_entries(&replica_metrics).await;
        if now >= 2.0 {
            break now;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{now} cached");
        status_of(&app, replica.url(&paths[0]), None).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!objects_of(&app, &hash).is_empty());

    let purged = remove(&app, &token, id_of(&first), true).await;
    assert_eq!(purged.status(), 200);
    assert_eq!(
        purged.json::<Value>().await.unwrap(),
        json!({"id": id_of(&first), "state": "removed"})
    );
    let purged_at = Instant::now();

    assert_eq!(
        objects_of(&app, &hash),
        Vec::<String>::new(),
        "objects left"
    );
    for post in [&first, &same] {
        assert_error(app.get(&format!("/post/{}", id_of(post))).await, 404).await;
    }
    assert_eq!(
        app.get(&format!("/post/{}", id_of(&other))).await.status(),
        200
    );
    // The purging replica at once; the other within a second, revalidations included.
    let etag = format!("\"{hash}\"");
    for path in &paths {
        assert_eq!(status_of(&app, app.url(path), None).await, 404);
        assert_eq!(status_of(&app, app.url(path), Some(&etag)).await, 404);
        until_status(&app, replica.url(path), 404, WITHIN_A_SECOND).await;
    }
    assert_eq!(
        status_of(&app, replica.url(&paths[0]), Some(&etag)).await,
        404
    );
    // The replica's cache lets go of both objects, though it has no live client.
    loop {
        let now = cached_entries(&replica_metrics).await;
        if now <= cached_before - 2.0 {
            break;
        }
        assert!(
            purged_at.elapsed() < Duration::from_secs(3),
            "still {now} cached"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let log: Value = app.get("/modlog").await.json().await.unwrap();
    let mut purges: Vec<(String, i64)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["post_id"].as_i64().unwrap(),
            )
        })
        .collect();
    purges.sort();
    assert_eq!(
        purges,
        [
            ("purge".into(), id_of(&first)),
            ("purge".into(), id_of(&same))
        ]
    );

    // Purging again changes and logs nothing; a restore can't bring the post back.
    assert_eq!(
        remove(&app, &token, id_of(&first), true).await.status(),
        200
    );
    let log_again: Value = app.get("/modlog").await.json().await.unwrap();
    assert_eq!(log_again.as_array().unwrap().len(), 2);
    let restore = as_moderator(
        &app,
        &app.address,
        Some(&token),
        reqwest::Method::POST,
        &format!("/mod/post/{}/restore", id_of(&first)),
        Some(json!({"reason": "Oops"})),
    )
    .await;
    assert_eq!(
        assert_error(restore, 409).await,
        "This post's image was purged, so it can't be restored."
    );
}

#[tokio::test]
async fn a_purged_picture_is_refused_as_the_same_bytes_with_other_metadata_or_as_a_copy() {
    let app = spawn_with_metrics().await;
    let replica = app.spawn_replica().await;
    let token = add_moderator(&app, "gus").await;
    let original = picture(2);
    let (with_metadata, _) = jpeg_with_metadata(&original, 1);
    let first = posted(&app, "to be purged", with_metadata.clone()).await;
    assert_eq!(
        remove(&app, &token, id_of(&first), true).await.status(),
        200
    );
    let stored_before = app.s3.objects(&app.config.s3.bucket);
    let posts_before = app.post_count().await;

    let decoded = DynamicImage::ImageRgb8(original.clone());
    let half = decoded.resize_exact(320, 240, FilterType::Lanczos3);
    let trimmed = decoded.crop_imm(32, 24, 576, 432);
    let mut quality_70 = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut quality_70, 70)
        .encode_image(&original)
        .unwrap();
    let copies = [
        ("the same file", with_metadata),
        ("other metadata", jpeg_with_metadata(&original, 1).1),
        ("re-encoded at quality 70", quality_70),
        ("scaled to half as PNG", png_of(&half, None)),
        ("a 5 % border cut", png_of(&trimmed, None)),
    ];
    for (what, bytes) in copies {
        for base in [&app.address, &replica.address] {
            let response = app
                .client
                .post(format!("{base}/post"))
                .multipart(
                    PostForm::new(what, "again")
                        .file(bytes.clone(), "a.png", "image/png")
                        .into_multipart(),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(
                assert_error(response, 422).await,
                "This image can't be posted here.",
                "{what}"
            );
        }
    }
    assert_eq!(app.post_count().await, posts_before, "nothing inserted");
    assert_eq!(
        app.s3.objects(&app.config.s3.bucket),
        stored_before,
        "nothing stored"
    );

    // Another picture is welcome.
    posted(&app, "something else", jpeg_of(&picture(6), None)).await;
}

#[tokio::test]
async fn an_image_is_served_only_while_a_visible_post_shows_it() {
    let app = spawn_with_metrics().await;
    let replica = app.spawn_replica().await;
    let token = add_moderator(&app, "hal").await;
    let post = posted(&app, "comes and goes", jpeg_of(&picture(3), None)).await;
    let path = format!("/image/{}", post["image_hash"].as_str().unwrap());
    for base in [&app.address, &replica.address] {
        assert_eq!(status_of(&app, format!("{base}{path}"), None).await, 200);
    }

    assert_eq!(
        remove(&app, &token, id_of(&post), false).await.status(),
        200
    );
    for base in [&app.address, &replica.address] {
        until_status(&app, format!("{base}{path}"), 404, WITHIN_A_SECOND).await;
    }
    // Only removed, not purged: the object stays, and a restore serves it again.
    assert!(!objects_of(&app, post["image_hash"].as_str().unwrap()).is_empty());
    let restored = as_moderator(
        &app,
        &app.address,
        Some(&token),
        reqwest::Method::POST,
        &format!("/mod/post/{}/restore", id_of(&post)),
        Some(json!({"reason": "Fine"})),
    )
    .await;
    assert_eq!(restored.status(), 200);
    for base in [&app.address, &replica.address] {
        until_status(&app, format!("{base}{path}"), 200, WITHIN_A_SECOND).await;
    }

    // Hidden by reports: not served either.
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        report(&app, client, id_of(&post), "illegal", None).await;
    }
    until_status(&app, app.url(&path), 404, WITHIN_A_SECOND).await;
}
