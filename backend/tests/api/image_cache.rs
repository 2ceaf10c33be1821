//! Small images served from memory: once an object has been read or written, a 200 for it
//! makes no call to object storage (`IMAGE_CACHE_BYTES`, objects up to 1 MiB).

use postboard::storage::MAX_ITEM_BYTES;
use serde_json::Value;

use crate::support::*;
use postboard_test_fixtures::*;

async fn post_image(app: &TestApp, bytes: Vec<u8>) -> String {
    let response = app
        .create(PostForm::new("img", "p").file(bytes, "i.png", "image/png"))
        .await;
    assert_eq!(response.status(), 201);
    let post: Value = response.json().await.unwrap();
    post["image_hash"].as_str().unwrap().to_owned()
}

/// Status, the headers a client relies on, and the body.
async fn fetch(client: &reqwest::Client, url: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = [
        "content-type",
        "content-length",
        "etag",
        "cache-control",
        "x-content-type-options",
    ]
    .into_iter()
    .filter_map(|name| {
        let value = response.headers().get(name)?.to_str().unwrap().to_owned();
        Some((name.to_owned(), value))
    })
    .collect();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

/// About 1.4 MB of PNG that does not compress: over the item limit.
fn large_png() -> Vec<u8> {
    let noise = image::RgbImage::from_fn(800, 600, |x, y| {
        let n =
            (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([(n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8])
    });
    let png = png_of(&image::DynamicImage::ImageRgb8(noise), None);
    assert!(png.len() as u64 > MAX_ITEM_BYTES, "{}", png.len());
    png
}

#[tokio::test]
async fn a_cached_image_is_served_without_object_storage() {
    let app = spawn_app().await;
    let png = png(11);
    let hash = post_image(&app, png.clone()).await;
    // Uploads are not cached: only what has been read is.
    let never_read = post_image(&app, crate::support::png(12)).await;
    // A replica did not see the upload: its first request reads the object from storage.
    let replica = app.spawn_replica().await;
    let urls = [
        app.url(&format!("/image/{hash}")),
        format!("{}/image/{hash}", replica.address),
    ];
    let mut warm = Vec::new();
    for url in &urls {
        let (status, headers, body) = fetch(&app.client, url).await;
        assert_eq!(status, 200, "{url}");
        assert_eq!(body, png);
        warm.push((headers, body));
    }

    app.s3_proxy.cut().await;
    for (url, (headers, body)) in urls.iter().zip(&warm) {
        let cached = fetch(&app.client, url).await;
        assert_eq!(cached, (200, headers.clone(), body.clone()), "{url}");
    }
    assert_eq!(
        warm[0].0,
        vec![
            ("content-type".into(), "image/png".into()),
            ("content-length".into(), png.len().to_string()),
            ("etag".into(), format!("\"{hash}\"")),
            (
                "cache-control".into(),
                "public, max-age=31536000, immutable".into()
            ),
            ("x-content-type-options".into(), "nosniff".into()),
        ]
    );
    // What is not in memory still needs storage.
    assert_error(app.get(&format!("/image/{never_read}")).await, 503).await;
}

#[tokio::test]
async fn a_variant_made_here_is_served_from_memory() {
    let app = spawn_app().await;
    let hash = post_image(&app, jpeg_of(&gradient(900, 600), None)).await;
    let url = app.url(&format!("/image/{hash}?width=320"));
    let (status, headers, made) = fetch(&app.client, &url).await;
    assert_eq!(status, 200);
    assert!(
        headers.contains(&("content-type".into(), "image/webp".into())),
        "{headers:?}"
    );

    app.s3_proxy.cut().await;
    assert_eq!(fetch(&app.client, &url).await, (200, headers, made));
}

#[tokio::test]
async fn a_large_image_always_comes_from_object_storage() {
    let app = spawn_app().await;
    let png = large_png();
    let hash = post_image(&app, png.clone()).await;
    let (status, _, body) = fetch(&app.client, &app.url(&format!("/image/{hash}"))).await;
    assert_eq!(status, 200);
    assert_eq!(body, png);

    app.s3_proxy.cut().await;
    assert_error(app.get(&format!("/image/{hash}")).await, 503).await;
}

#[tokio::test]
async fn with_the_cache_off_every_image_comes_from_object_storage() {
    let app = spawn_app_with(|config| config.image_cache_bytes = 0).await;
    let hash = post_image(&app, png(12)).await;
    assert_eq!(app.get(&format!("/image/{hash}")).await.status(), 200);

    app.s3_proxy.cut().await;
    assert_error(app.get(&format!("/image/{hash}")).await, 503).await;
}
