//! The app's own files (`STATIC_DIR`): content-hashed bundles cached for good, everything else
//! revalidated, and the build's precompressed copies sent to clients that accept them.

use std::path::Path;

use crate::support::*;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const BUNDLE: &[u8] = b"console.log('the app, uncompressed');";
const BUNDLE_BR: &[u8] = b"pretend brotli bytes";
const BUNDLE_GZ: &[u8] = b"pretend gzip bytes";
const INDEX: &str = "<!doctype html><title>Postboard</title><script src=\"main-ABCDEFGH.js\" \
    type=\"module\"></script><p>Long enough for the compression layer to consider it.</p>";

/// A built app as the production build writes it.
fn built_app(dir: &Path) {
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("main-ABCDEFGH.js"), BUNDLE).unwrap();
    std::fs::write(dir.join("main-ABCDEFGH.js.br"), BUNDLE_BR).unwrap();
    std::fs::write(dir.join("main-ABCDEFGH.js.gz"), BUNDLE_GZ).unwrap();
    std::fs::write(dir.join("favicon.ico"), [0u8, 0, 1, 0]).unwrap();
}

async fn spawn_with_app() -> (TestApp, tempfile::TempDir) {
    let static_dir = tempfile::tempdir().unwrap();
    built_app(static_dir.path());
    let dir = static_dir.path().to_owned();
    let app = spawn_app_with(move |config| config.static_dir = dir).await;
    (app, static_dir)
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// How many times the response says it varies by `Accept-Encoding` (once is right).
fn varies_by_encoding(response: &reqwest::Response) -> usize {
    response
        .headers()
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .filter(|v| v.trim().eq_ignore_ascii_case("accept-encoding"))
        .count()
}

#[tokio::test]
async fn hashed_bundles_are_immutable_and_the_rest_is_revalidated() {
    let (app, _dir) = spawn_with_app().await;

    let bundle = get(&app, "/main-ABCDEFGH.js", &[]).await;
    assert_eq!(bundle.status(), 200);
    assert_eq!(header(&bundle, "cache-control"), IMMUTABLE);
    assert_eq!(header(&bundle, "x-content-type-options"), "nosniff");
    assert_eq!(bundle.bytes().await.unwrap(), BUNDLE);

    let html = [("accept", "text/html,application/xhtml+xml")];
    for (path, accept) in [
        ("/", &html[..]),
        ("/index.html", &html[..]),
        // A client-side route: the app's shell.
        ("/some/route", &html[..]),
        // Named like a bundle, but no such file: the shell, which must not be kept for good.
        ("/main-ZZZZZZZZ.js", &html[..]),
        ("/favicon.ico", &[]),
    ] {
        let response = get(&app, path, accept).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        if path != "/favicon.ico" {
            assert!(
                header(&response, "content-type").starts_with("text/html"),
                "{path}"
            );
            assert!(
                header(&response, "content-security-policy").contains("script-src 'self'"),
                "{path}: the security headers are kept"
            );
            assert_eq!(response.text().await.unwrap(), INDEX, "{path}");
        }
    }

    // A missing bundle asked for by a script loader is a plain 404, with nothing to keep.
    let missing = get(&app, "/chunk-ZZZZZZZZ.js", &[]).await;
    assert_eq!(header(&missing, "cache-control"), "");
    assert_error(missing, 404).await;
}

#[tokio::test]
async fn precompressed_copies_are_sent_to_clients_that_accept_them() {
    let (app, _dir) = spawn_with_app().await;
    for (accept, encoding, body) in [
        ("br", "br", BUNDLE_BR),
        ("gzip", "gzip", BUNDLE_GZ),
        ("gzip, deflate, br, zstd", "br", BUNDLE_BR),
        ("br;q=0.5, gzip", "gzip", BUNDLE_GZ),
        ("identity", "", BUNDLE),
    ] {
        let response = get(&app, "/main-ABCDEFGH.js", &[("accept-encoding", accept)]).await;
        assert_eq!(response.status(), 200, "{accept}");
        // Sent as built: the response compression layer leaves it alone.
        assert_eq!(header(&response, "content-encoding"), encoding, "{accept}");
        assert_eq!(
            header(&response, "content-type"),
            "text/javascript",
            "{accept}"
        );
        assert_eq!(header(&response, "cache-control"), IMMUTABLE, "{accept}");
        assert_eq!(varies_by_encoding(&response), 1, "{accept}");
        assert_eq!(response.bytes().await.unwrap(), body, "{accept}");
    }

    // A file the build did not precompress is compressed as it is sent, still revalidated.
    let index = get(
        &app,
        "/",
        &[("accept", "text/html"), ("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(header(&index, "content-encoding"), "gzip");
    assert_eq!(header(&index, "cache-control"), "no-cache");
    assert_eq!(varies_by_encoding(&index), 1);
}
