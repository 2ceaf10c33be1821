//! A post you can link to: `GET /post/{id}` and `/p/{id}`, the app's page with the post's link
//! preview tags, read back by a real HTML parser.

use std::path::Path;

use scraper::{Html, Selector};
use serde_json::Value;

use crate::support::*;

const PUBLIC_URL: &str = "https://board.example";
/// The head of the app's real `index.html`, as the build keeps it.
const INDEX: &str = include_str!("../../../frontend/src/index.html");

async fn spawn_with_app() -> (TestApp, tempfile::TempDir) {
    let static_dir = tempfile::tempdir().unwrap();
    std::fs::write(static_dir.path().join("index.html"), INDEX).unwrap();
    let dir = static_dir.path().to_owned();
    let app = spawn_app_with(move |config| {
        config.static_dir = dir;
        config.public_url = postboard::domain::PublicUrl::parse(PUBLIC_URL).unwrap();
    })
    .await;
    (app, static_dir)
}

async fn page(app: &TestApp, path: &str) -> (u16, Html, reqwest::header::HeaderMap) {
    let response = app
        .client
        .get(app.url(path))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        Html::parse_document(&response.text().await.unwrap()),
        headers,
    )
}

/// The `content` of `<meta property|name="key">`, every one of them.
fn meta(html: &Html, key: &str) -> Vec<String> {
    let selector =
        Selector::parse(&format!("meta[property=\"{key}\"], meta[name=\"{key}\"]")).unwrap();
    html.select(&selector)
        .map(|element| element.attr("content").unwrap().to_owned())
        .collect()
}

fn one(html: &Html, css: &str) -> Vec<String> {
    let selector = Selector::parse(css).unwrap();
    html.select(&selector)
        .map(|element| element.text().collect::<String>())
        .collect()
}

fn attr(html: &Html, css: &str, name: &str) -> Vec<String> {
    let selector = Selector::parse(css).unwrap();
    html.select(&selector)
        .map(|element| element.attr(name).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn get_post_is_the_post_or_404() {
    let app = spawn_app().await;
    let created = app.create_ok("Linked").await;
    let id = created["id"].as_i64().unwrap();

    let response = app.get(&format!("/post/{id}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), as_listed(&created));

    assert_error(app.get(&format!("/post/{}", id + 1)).await, 404).await;
    assert_error(app.get("/post/abc").await, 400).await;

    let deleted = app.delete_created(&created).await;
    assert_eq!(deleted.status(), 204);
    assert_error(app.get(&format!("/post/{id}")).await, 404).await;
}

#[tokio::test]
async fn a_post_page_carries_its_preview_tags() {
    let (app, _dir) = spawn_with_app().await;
    let response = app
        .create(
            PostForm::new("Harbour at dawn", "Fog over the water,\nand gulls.").file(
                png(3),
                "x.png",
                "image/png",
            ),
        )
        .await;
    let created: Value = response.json().await.unwrap();
    let (id, hash) = (
        created["id"].as_i64().unwrap(),
        created["image_hash"].as_str().unwrap(),
    );

    let (status, html, headers) = page(&app, &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let url = format!("{PUBLIC_URL}/p/{id}");
    assert_eq!(one(&html, "title"), vec!["Harbour at dawn · Postboard"]);
    assert_eq!(
        meta(&html, "description"),
        vec!["Fog over the water, and gulls."]
    );
    assert_eq!(
        attr(&html, "link[rel=canonical]", "href"),
        vec![url.clone()]
    );
    assert_eq!(meta(&html, "og:title"), vec!["Harbour at dawn"]);
    assert_eq!(
        meta(&html, "og:description"),
        vec!["Fog over the water, and gulls."]
    );
    assert_eq!(meta(&html, "og:url"), vec![url]);
    let image = format!("{PUBLIC_URL}/image/{hash}?width=1280");
    assert_eq!(meta(&html, "og:image"), vec![image.clone()]);
    assert_eq!(meta(&html, "twitter:card"), vec!["summary_large_image"]);
    assert_eq!(meta(&html, "twitter:image"), vec![image]);
    // Still the app: its root element, and the feed announced.
    assert_eq!(one(&html, "app-root").len(), 1);
    assert_eq!(
        attr(
            &html,
            "link[rel=alternate][type=\"application/atom+xml\"]",
            "href"
        ),
        vec!["/feed.atom"]
    );
    assert!(
        one(&html, "script")
            .iter()
            .all(|body| body.trim().is_empty()),
        "no inline script"
    );
}

#[tokio::test]
async fn hostile_titles_come_out_as_text() {
    let (app, _dir) = spawn_with_app().await;
    let emoji = "🦀".repeat(100);
    for (title, text) in [
        (
            "</title><script>alert(1)</script>",
            "\"><script>alert(2)</script>",
        ),
        ("Quotes \" and ' and `", "a & b &amp; c &lt; d"),
        ("Line\none", "and\r\ntwo"),
        (emoji.as_str(), emoji.as_str()),
    ] {
        let id = app
            .create(PostForm::new(title, text))
            .await
            .json::<Value>()
            .await
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let (status, html, _) = page(&app, &format!("/p/{id}")).await;
        assert_eq!(status, 200);
        let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            one(&html, "title"),
            vec![format!("{} · Postboard", one_line(title))]
        );
        assert_eq!(meta(&html, "og:title"), vec![one_line(title)], "{title:?}");
        assert_eq!(
            meta(&html, "og:description"),
            vec![one_line(text)],
            "{text:?}"
        );
        assert_eq!(meta(&html, "description"), vec![one_line(text)]);
        assert!(
            one(&html, "script")
                .iter()
                .all(|body| body.trim().is_empty()),
            "{title:?}"
        );
    }
}

#[tokio::test]
async fn unknown_and_deleted_posts_get_the_app_with_404() {
    let (app, _dir) = spawn_with_app().await;
    let created = app.create_ok("Soon gone").await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(app.delete_created(&created).await.status(), 204);
    for path in [format!("/p/{id}"), "/p/999999".into(), "/p/abc".into()] {
        let (status, html, headers) = page(&app, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(
            one(&html, "app-root").len(),
            1,
            "{path}: the app, which says so"
        );
        assert_eq!(one(&html, "title"), vec!["Postboard"], "{path}");
        assert!(meta(&html, "og:title").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn without_a_built_app_post_pages_are_the_api_404() {
    let app = spawn_app().await;
    assert!(!Path::new(&app.config.static_dir).exists());
    let id = app.create_ok("Here").await["id"].as_i64().unwrap();
    assert_error(app.get(&format!("/p/{id}")).await, 404).await;
}

#[tokio::test]
async fn the_moderation_log_is_the_app_for_a_browser_and_json_for_everyone_else() {
    let (app, _static_dir) = spawn_with_app().await;
    let (status, html, headers) = page(&app, "/modlog").await;
    assert_eq!(status, 200);
    assert_eq!(headers["vary"], "accept");
    assert!(
        html.select(&scraper::Selector::parse("app-root").unwrap())
            .next()
            .is_some(),
        "the app's page"
    );
    for accept in ["application/json", "*/*"] {
        let response = app
            .client
            .get(app.url("/modlog"))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["vary"], "accept");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            serde_json::json!([])
        );
    }
}
