use serde_json::Value;

use crate::support::*;

async fn post_with_image(app: &TestApp, bytes: Vec<u8>) -> String {
    let post: Value = app
        .create(PostForm::new("img", "p").file(bytes, "i.png", "image/png"))
        .await
        .json()
        .await
        .unwrap();
    post["image_hash"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn images_are_served_with_caching_headers() {
    let app = spawn_app().await;
    let png = png(3);
    let hash = post_with_image(&app, png.clone()).await;

    let response = app.get(&format!("/image/{hash}")).await;

    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["etag"].to_str().unwrap(), format!("\"{hash}\""));
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        headers["content-length"].to_str().unwrap(),
        png.len().to_string()
    );
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(response.bytes().await.unwrap(), png);
}

#[tokio::test]
async fn a_matching_etag_is_not_modified_without_asking_storage() {
    // Without the in-memory cache, a 200 needs storage: the last request shows it is gone.
    let app = spawn_app_with(|config| config.image_cache_bytes = 0).await;
    let hash = post_with_image(&app, png(4)).await;
    let conditional = || {
        app.client
            .get(app.url(&format!("/image/{hash}")))
            .header("if-none-match", format!("\"{hash}\""))
            .send()
    };
    let response = conditional().await.unwrap();
    assert_eq!(response.status(), 304);
    assert_eq!(
        response.headers()["etag"].to_str().unwrap(),
        format!("\"{hash}\"")
    );
    assert!(response.bytes().await.unwrap().is_empty());

    // With storage gone the answer is the same: a 304 costs no S3 call.
    app.s3_proxy.cut().await;
    assert_eq!(conditional().await.unwrap().status(), 304);

    let other = app
        .client
        .get(app.url(&format!("/image/{hash}")))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_error(other, 503).await;
}

#[tokio::test]
async fn a_large_image_streams_back_intact() {
    let app = spawn_app().await;
    // Noise does not compress: about 5.2 MiB of PNG.
    let noise = image::RgbImage::from_fn(1400, 1300, |x, y| {
        let n =
            (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([(n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8])
    });
    let big = postboard_test_fixtures::png_of(&image::DynamicImage::ImageRgb8(noise), None);
    assert!(big.len() > 5 * 1024 * 1024, "{}", big.len());
    let hash = post_with_image(&app, big.clone()).await;
    let body = app
        .get(&format!("/image/{hash}"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), big.len(), "nothing to strip: stored as sent");
    assert_eq!(sha256_hex(&body), hash);
}

#[tokio::test]
async fn unknown_and_malformed_hashes() {
    let app = spawn_app().await;
    let unknown = sha256_hex(b"never uploaded");
    assert_eq!(
        assert_error(app.get(&format!("/image/{unknown}")).await, 404).await,
        "There is no image with this hash."
    );
    for bad in [
        unknown.to_uppercase(),
        unknown[..63].to_owned(),
        format!("{unknown}a"),
        "..%2F..%2Fetc".into(),
    ] {
        let message = assert_error(app.get(&format!("/image/{bad}")).await, 422).await;
        assert_eq!(
            message, "An image hash is 64 lowercase hexadecimal characters.",
            "{bad}"
        );
    }
}
