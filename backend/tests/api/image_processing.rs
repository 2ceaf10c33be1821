//! Images as the board stores and serves them: metadata stripped on ingest (so an anonymous
//! poster cannot be located from a phone photo), sizes known before the image loads, and
//! downscaled variants made once.

use image::{GenericImageView, RgbImage};
use serde_json::Value;

use crate::support::*;
use postboard_test_fixtures::*;

async fn post_image(app: &TestApp, bytes: Vec<u8>) -> Value {
    let response = app
        .create(PostForm::new("photo", "from my phone").file(bytes, "IMG_0001.jpg", "image/jpeg"))
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn served(app: &TestApp, path: &str) -> reqwest::Response {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response
}

/// The bytes of a 200 for `path`.
async fn served_bytes(app: &TestApp, path: &str) -> bytes::Bytes {
    served(app, path).await.bytes().await.unwrap()
}

/// The EXIF Orientation value of a JPEG's APP1 segment, if any (little- or big-endian TIFF).
fn jpeg_orientation(jpeg: &[u8]) -> Option<u16> {
    let at = jpeg.windows(6).position(|w| w == b"Exif\0\0")? + 6;
    let tiff = &jpeg[at..];
    let le = &tiff[..2] == b"II";
    let u16_at = |i: usize| {
        let b = [tiff[i], tiff[i + 1]];
        if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    };
    let u32_at = |i: usize| {
        let b = [tiff[i], tiff[i + 1], tiff[i + 2], tiff[i + 3]];
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let ifd = u32_at(4) as usize;
    (0..usize::from(u16_at(ifd)))
        .map(|n| ifd + 2 + n * 12)
        .find(|&entry| u16_at(entry) == 0x0112)
        .map(|entry| u16_at(entry + 8))
}

#[tokio::test]
async fn a_phone_photo_loses_gps_and_every_other_trace_but_keeps_its_orientation() {
    let app = spawn_app().await;
    // Stored 400×300 pixels, shown rotated a quarter turn (EXIF orientation 6): 300×400.
    let (photo, _) = jpeg_with_metadata(&gradient(400, 300), 6);
    assert_eq!(jpeg_orientation(&photo), Some(6));

    let post = post_image(&app, photo.clone()).await;
    let hash = post["image_hash"].as_str().unwrap();
    let stored = served_bytes(&app, &format!("/image/{hash}")).await;

    assert_no_secrets(&stored);
    assert_ne!(
        hash,
        sha256_hex(&photo),
        "the hash is of what is stored, not what was sent"
    );
    assert_eq!(hash, sha256_hex(&stored));
    assert_eq!(jpeg_orientation(&stored), Some(6), "shown the right way up");
    assert!(contains(&stored, b"ICC-MARKER"), "the colour profile stays");
    assert_eq!(
        (post["image_width"].as_i64(), post["image_height"].as_i64()),
        (Some(300), Some(400))
    );
    // The pixels are the poster's: the stored file still decodes to the same 400×300 image.
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!(decoded.dimensions(), (400, 300));
    // Listed with its size too.
    let listed: Value = app.get("/post").await.json().await.unwrap();
    assert_eq!(listed[0]["image_width"], 300);
    assert_eq!(listed[0]["image_height"], 400);
}

#[tokio::test]
async fn a_jpeg_with_nothing_to_strip_is_stored_byte_for_byte() {
    let app = spawn_app().await;
    let plain = jpeg_of(&gradient(64, 48), None);
    let post = post_image(&app, plain.clone()).await;
    assert_eq!(post["image_hash"], sha256_hex(&plain));
    assert_eq!(
        (post["image_width"].as_i64(), post["image_height"].as_i64()),
        (Some(64), Some(48))
    );
    let hash = post["image_hash"].as_str().unwrap();
    let stored = served_bytes(&app, &format!("/image/{hash}")).await;
    assert_eq!(stored, plain);
}

#[tokio::test]
async fn png_text_and_exif_chunks_and_webp_exif_and_xmp_are_removed() {
    let app = spawn_app().await;
    let png = png_of(
        &image::DynamicImage::ImageRgb8(gradient(20, 10)),
        Some(fake_icc()),
    );
    let png = png_with_chunks(
        &png,
        &[
            png_chunk(b"tEXt", b"Comment\0COMMENT-SECRET"),
            png_chunk(b"eXIf", &exif_tiff(1)),
            png_chunk(b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0XMP-SECRET"),
        ],
    );
    let webp = webp_with_metadata(&gradient(20, 10), 1);

    for (original, content_type) in [(png, "image/png"), (webp, "image/webp")] {
        let post = post_image(&app, original.clone()).await;
        let hash = post["image_hash"].as_str().unwrap();
        let response = served(&app, &format!("/image/{hash}")).await;
        assert_eq!(response.headers()["content-type"], content_type);
        let stored = response.bytes().await.unwrap();
        assert_no_secrets(&stored);
        assert!(stored.len() < original.len());
        assert_eq!(
            image::load_from_memory(&stored).unwrap().dimensions(),
            (20, 10)
        );
        assert_eq!(
            (post["image_width"].as_i64(), post["image_height"].as_i64()),
            (Some(20), Some(10))
        );
    }
}

#[tokio::test]
async fn variants_have_their_width_type_headers_and_revalidate() {
    let app = spawn_app().await;
    // A photo 2000×1000 as displayed, stored sideways (orientation 6): variants come upright.
    let (photo, _) = jpeg_with_metadata(&gradient(1000, 2000), 6);
    let post = post_image(&app, photo).await;
    let hash = post["image_hash"].as_str().unwrap();
    let original_bytes = served_bytes(&app, &format!("/image/{hash}")).await;

    for width in [320u32, 640, 1280] {
        let path = format!("/image/{hash}?width={width}");
        let response = served(&app, &path).await;
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "image/webp");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(etag, format!("\"{hash}-w{width}\""));
        let bytes = response.bytes().await.unwrap();
        let variant = image::load_from_memory(&bytes).unwrap();
        assert_eq!(
            variant.dimensions(),
            (width, width / 2),
            "upright, aspect kept"
        );
        assert!(
            bytes.len() * 4 <= original_bytes.len() || width == 1280,
            "{width}: {}",
            bytes.len()
        );

        let revalidated = app
            .client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), 304);
    }
}

#[tokio::test]
async fn narrow_images_are_not_upscaled_and_animations_give_their_first_frame() {
    let app = spawn_app().await;
    let small = post_image(
        &app,
        png_of(&image::DynamicImage::ImageRgb8(gradient(200, 100)), None),
    )
    .await;
    let hash = small["image_hash"].as_str().unwrap();
    let bytes = served_bytes(&app, &format!("/image/{hash}?width=640")).await;
    assert_eq!(
        image::load_from_memory(&bytes).unwrap().dimensions(),
        (200, 100)
    );

    let animated = gif_two_frames(40, 20);
    let post = post_image(&app, animated.clone()).await;
    let hash = post["image_hash"].as_str().unwrap();
    let original = served_bytes(&app, &format!("/image/{hash}")).await;
    assert_eq!(original, animated, "the animation is kept in the original");
    let first = served_bytes(&app, &format!("/image/{hash}?width=320")).await;
    let frame = image::load_from_memory(&first).unwrap().to_rgb8();
    assert_eq!(frame.dimensions(), (40, 20));
    let pixel = frame.get_pixel(20, 10);
    assert!(
        pixel[0] > 200 && pixel[2] < 60,
        "the first (red) frame: {pixel:?}"
    );
}

#[tokio::test]
async fn a_variant_is_made_once_and_then_served_from_storage() {
    // Without the in-memory cache, so that every answer comes from object storage.
    let app = spawn_app_with(|config| config.image_cache_bytes = 0).await;
    let post = post_image(&app, jpeg_of(&gradient(900, 600), None)).await;
    let hash = post["image_hash"].as_str().unwrap();
    let first = served_bytes(&app, &format!("/image/{hash}?width=640")).await;
    let stored_variants = app.s3.root.path().join("images/variants").join(hash);
    assert!(
        stored_variants.join("640").is_file(),
        "kept in object storage"
    );

    // Without the original, nothing could be decoded again: the variant comes from storage.
    std::fs::remove_file(app.s3.root.path().join("images").join(hash)).unwrap();
    let second = served_bytes(&app, &format!("/image/{hash}?width=640")).await;
    assert_eq!(first, second);
    assert_error(app.get(&format!("/image/{hash}?width=320")).await, 404).await;
}

#[tokio::test]
async fn widths_other_than_the_three_are_refused() {
    let app = spawn_app().await;
    let post = post_image(&app, jpeg_of(&gradient(50, 50), None)).await;
    let hash = post["image_hash"].as_str().unwrap();
    for bad in ["0", "100", "641", "-640", "99999999999"] {
        let message = assert_error(app.get(&format!("/image/{hash}?width={bad}")).await, 422).await;
        assert_eq!(message, "The image width must be 320, 640 or 1280.");
    }
    let message = assert_error(app.get(&format!("/image/{hash}?width=wide")).await, 400).await;
    assert!(
        message.contains("width") && !message.contains("limit"),
        "{message}"
    );
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_before_it_is_decoded() {
    let app = spawn_app().await;
    // A few hundred bytes claiming 100 000 × 100 000 pixels: refused from the header alone.
    let started = std::time::Instant::now();
    let response = app
        .create(PostForm::new("t", "p").file(png_claiming(100_000, 100_000), "b.png", "image/png"))
        .await;
    assert_error(response, 422).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(app.post_count().await, 0);
}

/// A JPEG cut off in its image data has a header that reads well; only decoding finds the
/// damage. Stored, it would show as a broken image (no variant can be made of it), so it is
/// refused, and nothing is stored.
#[tokio::test]
async fn a_jpeg_cut_off_in_its_data_is_refused() {
    let app = spawn_app().await;
    let whole = jpeg_of(&gradient(640, 480), None);
    let cut = whole[..whole.len() * 2 / 3].to_vec();

    let response = app
        .create(PostForm::new("t", "p").file(cut, "cut.jpg", "image/jpeg"))
        .await;
    let message = assert_error(response, 422).await;
    assert_eq!(message, "The image file is damaged and cannot be read.");
    assert_eq!(app.post_count().await, 0);
    assert!(
        app.s3.objects(&app.config.s3.bucket).is_empty(),
        "nothing uploaded"
    );

    post_image(&app, whole).await;
}

/// Posts stored before sizes were recorded get them when a server starts.
#[tokio::test]
async fn older_images_get_their_size_filled_in_at_startup() {
    let app = spawn_app().await;
    let post = post_image(&app, jpeg_of(&gradient(120, 80), None)).await;
    let id = post["id"].as_i64().unwrap();
    sqlx::query("UPDATE posts SET image_width = NULL, image_height = NULL WHERE id = $1")
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();

    // A second server on the same database and bucket, as after an upgrade.
    let _upgraded = app.spawn_replica().await;
    let mut size = (None, None);
    for _ in 0..100 {
        size = sqlx::query_as::<_, (Option<i32>, Option<i32>)>(
            "SELECT image_width, image_height FROM posts WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if size.0.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(size, (Some(120), Some(80)));
}

/// Images larger than the card: the board's variant is a fraction of the photo.
#[tokio::test]
async fn a_typical_photos_640_variant_is_at_most_a_quarter_of_it() {
    let app = spawn_app().await;
    let photo = RgbImage::from_fn(2400, 1600, |x, y| {
        let noise = ((x * 7 + y * 13) ^ (x * y)) % 23;
        image::Rgb([
            (x / 10 + noise) as u8,
            (y / 7 + noise) as u8,
            ((x + y) / 16) as u8,
        ])
    });
    let jpeg = jpeg_of(&photo, None);
    let post = post_image(&app, jpeg.clone()).await;
    let hash = post["image_hash"].as_str().unwrap();
    let variant = served_bytes(&app, &format!("/image/{hash}?width=640")).await;
    assert!(
        variant.len() * 4 <= jpeg.len(),
        "{} of {}",
        variant.len(),
        jpeg.len()
    );
}
