use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn a_post_without_image_gets_defaults() {
    let app = spawn_app().await;
    let before = Utc::now();

    let response = app.create(PostForm::new("  Hello  ", "  Body text ")).await;

    assert_eq!(response.status(), 201);
    let post: Value = response.json().await.unwrap();
    assert!(post["id"].as_i64().unwrap() > 0);
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["post"], "Body text");
    assert_eq!(post["username"], "anonymous");
    assert_eq!(post["score"], 0);
    assert_eq!(post["image_hash"], Value::Null);
    let created: DateTime<Utc> = post["created_at"].as_str().unwrap().parse().unwrap();
    assert!(
        post["created_at"].as_str().unwrap().ends_with('Z'),
        "UTC: {post}"
    );
    assert!(created >= before - chrono::Duration::seconds(5) && created <= Utc::now());
    assert_eq!(post["image_width"], Value::Null);
    assert_eq!(post["image_height"], Value::Null);
    assert!(post["delete_token"].is_string(), "{post}");
    assert_eq!(post["state"], "visible");
    assert_eq!(
        post.as_object().unwrap().len(),
        11,
        "exactly the contract's fields, the delete token and the state"
    );
}

#[tokio::test]
async fn username_is_trimmed_and_blank_means_anonymous() {
    let app = spawn_app().await;
    let named: Value = app
        .create(PostForm::new("t", "p").username("  ada  "))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(named["username"], "ada");
    let blank: Value = app
        .create(PostForm::new("t", "p").username("   "))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(blank["username"], "anonymous");
}

/// Each text limit at its edge and one past it, counted in characters of multi-byte text.
#[tokio::test]
async fn text_limits_count_characters() {
    let app = spawn_app().await;
    let cases: [(&str, usize, &str); 3] = [
        ("title", 100, "é"),
        ("post", 10_000, "ж"),
        ("username", 50, "🦀"),
    ];
    for (field, max, ch) in cases {
        let form = |value: String| {
            let mut form = PostForm::new("title", "text");
            match field {
                "title" => form.title = Some(value),
                "post" => form.post = Some(value),
                _ => form.username = Some(value),
            }
            form
        };
        let ok = app.create(form(ch.repeat(max))).await;
        assert_eq!(ok.status(), 201, "{field} of {max} characters");
        let saved: Value = ok.json().await.unwrap();
        assert_eq!(saved[field].as_str().unwrap().chars().count(), max);

        let message = assert_error(app.create(form(ch.repeat(max + 1))).await, 422).await;
        assert!(
            message.contains(&format!("at most {max} characters")),
            "{message}"
        );
    }
    assert_eq!(app.post_count().await, 3, "refused posts were not stored");
}

#[tokio::test]
async fn the_contracts_example_message_for_a_long_title() {
    let app = spawn_app().await;
    let response = app.create(PostForm::new(&"x".repeat(101), "text")).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["detail"]["user_message"],
        "Title must be at most 100 characters."
    );
    assert_eq!(
        body["detail"]["internal_message"],
        "validation: title: length 101 > 100"
    );
}

#[tokio::test]
async fn missing_or_blank_required_fields_are_refused() {
    let app = spawn_app().await;
    let mut no_title = PostForm::new("", "text");
    no_title.title = None;
    assert_eq!(
        assert_error(app.create(no_title).await, 422).await,
        "Title is required."
    );
    let mut no_text = PostForm::new("title", "");
    no_text.post = None;
    assert_eq!(
        assert_error(app.create(no_text).await, 422).await,
        "Text is required."
    );
    assert_eq!(
        assert_error(app.create(PostForm::new("   ", "text")).await, 422).await,
        "Title must not be empty."
    );
    assert_eq!(
        assert_error(app.create(PostForm::new("title", "\n\t ")).await, 422).await,
        "Text must not be empty."
    );
    assert_eq!(app.post_count().await, 0);
}

#[tokio::test]
async fn names_that_deceive_are_refused_or_count_as_empty() {
    let app = spawn_app().await;
    // U+202E shows "Invoice\u{202E}fdp.exe" as "Invoiceexe.pdf", and "nimda\u{202E}" reversed.
    assert_eq!(
        assert_error(
            app.create(PostForm::new("Invoice\u{202E}fdp.exe", "t"))
                .await,
            422
        )
        .await,
        "Title must not contain text direction controls (U+202A to U+202E, U+2066 to U+2069)."
    );
    let spoofed_name = PostForm::new("hello", "t").username("\u{2067}nimda");
    assert!(
        assert_error(app.create(spoofed_name).await, 422)
            .await
            .starts_with("Username must not contain text direction controls")
    );
    assert_eq!(
        assert_error(
            app.create(PostForm::new("\u{200B}\u{3164}", "t")).await,
            422
        )
        .await,
        "Title must not be empty."
    );
    assert_eq!(app.post_count().await, 0);

    // A name of invisible characters is no name: anonymous. The text keeps what it was sent.
    let response = app
        .create(PostForm::new("fine", "quoting \u{202E}this").username("\u{FEFF}\u{200B}"))
        .await;
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(created["username"], "anonymous");
    assert_eq!(created["post"], "quoting \u{202E}this");
}

#[tokio::test]
async fn an_image_is_stored_under_its_hash_and_served_back() {
    let app = spawn_app().await;
    let png = png(1);

    let response = app
        .create(PostForm::new("pic", "with image").file(png.clone(), "x.png", "image/png"))
        .await;

    assert_eq!(response.status(), 201);
    let post: Value = response.json().await.unwrap();
    assert_eq!(post["image_hash"], sha256_hex(&png));
    let image = app.get(&format!("/image/{}", sha256_hex(&png))).await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.bytes().await.unwrap(), png);
}

#[tokio::test]
async fn every_accepted_format_is_detected_by_its_bytes() {
    let app = spawn_app().await;
    let cases: [(&[u8], &str); 4] = [
        (&png(2), "image/png"),
        (&jpeg(), "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
    ];
    for (bytes, content_type) in cases {
        // The declared name and type are lies; only the bytes count.
        let response = app
            .create(PostForm::new("t", "p").file(bytes.to_vec(), "file.txt", "text/plain"))
            .await;
        assert_eq!(response.status(), 201, "{content_type}");
        let post: Value = response.json().await.unwrap();
        let image = app
            .get(&format!("/image/{}", post["image_hash"].as_str().unwrap()))
            .await;
        assert_eq!(image.headers()["content-type"], content_type);
    }
}

#[tokio::test]
async fn files_that_are_not_images_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>"#.to_vec();
    for (bytes, name, mime) in [
        (b"just some text".to_vec(), "notes.png", "image/png"),
        (svg, "logo.svg", "image/svg+xml"),
        (b"%PDF-1.7\n".to_vec(), "doc.pdf", "application/pdf"),
        (
            b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00".to_vec(),
            "bitmap.bmp",
            "image/bmp",
        ),
    ] {
        let message = assert_error(
            app.create(PostForm::new("t", "p").file(bytes, name, mime))
                .await,
            415,
        )
        .await;
        assert_eq!(
            message, "The file must be a PNG, JPEG, GIF or WebP image.",
            "{name}"
        );
    }
    assert_eq!(app.post_count().await, 0);
    assert!(app.s3.objects("images").is_empty());
}

#[tokio::test]
async fn an_empty_file_part_is_no_image() {
    let app = spawn_app().await;
    let response = app
        .create(PostForm::new("t", "p").file(Vec::new(), "", "application/octet-stream"))
        .await;
    assert_eq!(response.status(), 201);
    let post: Value = response.json().await.unwrap();
    assert_eq!(post["image_hash"], Value::Null);
}

#[tokio::test]
async fn image_size_limit_is_inclusive_at_ten_mebibytes() {
    let app = spawn_app().await;
    let limit = 10 * 1024 * 1024;

    let at_limit = app
        .create(PostForm::new("big", "p").file(png_of_len(limit), "a.png", "image/png"))
        .await;
    assert_eq!(at_limit.status(), 201);

    let message = assert_error(
        app.create(PostForm::new("too big", "p").file(png_of_len(limit + 1), "b.png", "image/png"))
            .await,
        413,
    )
    .await;
    assert_eq!(message, "The image must be at most 10 MiB.");
    assert_eq!(app.post_count().await, 1);
    assert_eq!(app.s3.objects("images").len(), 1);
}

#[tokio::test]
async fn image_size_limit_is_configurable() {
    let app = spawn_app_with(|config| config.max_image_bytes = 1000).await;
    let ok = app
        .create(PostForm::new("t", "p").file(png_of_len(1000), "a.png", "image/png"))
        .await;
    assert_eq!(ok.status(), 201);
    let message = assert_error(
        app.create(PostForm::new("t", "p").file(png_of_len(1001), "a.png", "image/png"))
            .await,
        413,
    )
    .await;
    assert_eq!(message, "The image must be at most 1000 bytes.");
}

#[tokio::test]
async fn huge_pixel_dimensions_are_refused() {
    let app = spawn_app().await;
    // A real one: an upload is decoded (for its fingerprint), so a header alone won't pass.
    let largest = image::DynamicImage::ImageLuma8(image::GrayImage::new(10_000, 4_000));
    let largest = postboard_test_fixtures::png_of(&largest, None);
    let ok = app
        .create(PostForm::new("t", "p").file(largest, "a.png", "image/png"))
        .await;
    assert_eq!(ok.status(), 201, "10000×4000 = 40 megapixels is allowed");
    for (width, height) in [(10_001, 1), (1, 10_001), (8_000, 5_001)] {
        let message = assert_error(
            app.create(PostForm::new("t", "p").file(
                png_claiming(width, height),
                "b.png",
                "image/png",
            ))
            .await,
            422,
        )
        .await;
        assert!(message.contains("10000×10000"), "{message}");
    }
    assert_eq!(app.post_count().await, 1);
}

#[tokio::test]
async fn the_same_image_twice_is_stored_once() {
    let app = spawn_app().await;
    let png = png(9);
    let first: Value = app
        .create(PostForm::new("a", "p").file(png.clone(), "a.png", "image/png"))
        .await
        .json()
        .await
        .unwrap();
    let second: Value = app
        .create(PostForm::new("b", "p").file(png.clone(), "b.png", "image/png"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["image_hash"], second["image_hash"]);
    assert_ne!(first["id"], second["id"]);
    let objects = app.s3.objects("images");
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(objects[0].file_name().unwrap(), sha256_hex(&png).as_str());
}

#[tokio::test]
async fn requests_that_are_not_multipart_are_bad_requests() {
    let app = spawn_app().await;
    let json = app
        .client
        .post(app.url("/post"))
        .json(&serde_json::json!({"title": "t", "post": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_error(json, 400).await,
        "Send the post as multipart/form-data."
    );

    let broken = app
        .client
        .post(app.url("/post"))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nunterminated")
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_error(broken, 400).await,
        "The form data is malformed."
    );
    assert_eq!(app.post_count().await, 0);
}
