//! The built Angular app, served at `/` when `STATIC_DIR` exists. Unknown paths get the app's
//! `index.html` only when a browser navigates to them (GET accepting HTML), so the app's own
//! client-side routes work on reload while API clients still get a JSON 404.
//!
//! Caching: the build names its bundles after their content (`main-2L657PBO.js`), so those are
//! cached by browsers for a year and never revalidated; everything else (`index.html`, which
//! names the current bundles, and files kept under their own name, like `favicon.ico`) is
//! revalidated on every use. The build writes Brotli and gzip copies (`.br`, `.gz`) of its text
//! files, sent to clients that accept them instead of compressing on every response; a file
//! without such a copy is compressed as it is sent.

use std::path::{Path, PathBuf};

use axum::{
    Router,
    extract::Request,
    handler::HandlerWithoutStateExt,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::{
    compression::CompressionLayer,
    services::{ServeDir, ServeFile},
};

use super::{CACHE_FOREVER, fallback::route_not_found};

/// Stored, but checked with the server (`If-Modified-Since`) before each use.
const REVALIDATE: &str = "no-cache";

/// A fallback service for the router: the SPA's files when `dir` exists, otherwise JSON 404s.
pub fn fallback<S: Clone + Send + Sync + 'static>(router: Router<S>, dir: &Path) -> Router<S> {
    if !dir.join("index.html").is_file() {
        tracing::info!(dir = %dir.display(), "no built frontend found; serving the API only");
        return router.fallback(route_not_found);
    }
    tracing::info!(dir = %dir.display(), "serving the frontend");
    let index = dir.join("index.html");
    let app_shell = move |request: Request| spa_index(index.clone(), request);
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(app_shell.into_service());
    router.fallback_service(
        ServiceBuilder::new()
            .layer(CompressionLayer::new())
            .layer(middleware::from_fn(caching_headers))
            .service(files),
    )
}

async fn spa_index(index: PathBuf, request: Request) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) && wants_html(request.headers()) {
        let index = ServeFile::new(index)
            .precompressed_br()
            .precompressed_gzip();
        let mut response = match index.oneshot(request).await {
            Ok(response) => response.into_response(),
            Err(never) => match never {},
        };
        // Whatever the path looked like, this is the app's shell, never immutable.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
        response
    } else {
        route_not_found(request.uri().clone()).await.into_response()
    }
}

/// Whether the request is a browser's navigation: it accepts HTML (API clients ask for JSON, or
/// anything).
pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Middleware around the files: `Cache-Control` by the file's name (unless the response has
/// one already), and `Vary: Accept-Encoding`, since the same URL may be answered with a
/// precompressed copy or not.
async fn caching_headers(request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return response;
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        let policy = if hashed { CACHE_FOREVER } else { REVALIDATE };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static(header::ACCEPT_ENCODING.as_str()),
    );
    response
}

/// Whether the last segment of `path` is named the way Angular's build names the files whose
/// content it hashes (`outputHashing: all`): `<name>-<hash>.<ext>`, the hash being 8 or more
/// uppercase letters and digits (`main-2L657PBO.js`, `chunk-…`, `styles-…`, `media/…-….woff2`).
/// A file of the app's own (`public/`) must not be named like that; the build refuses one
/// (frontend/scripts/check-public-names.mjs).
fn is_content_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, extension)) = file.rsplit_once('.') else {
        return false;
    };
    let Some((name, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    !name.is_empty()
        && !extension.is_empty()
        && hash.len() >= 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hashed_names_are_those_angular_writes() {
        for hashed in [
            "/main-2L657PBO.js",
            "/styles-II52AW57.css",
            "/chunk-ABCDEFGH.js",
            "/polyfills-Z7NR4BGA.js",
            "/media/roboto-latin-400-normal-3XKJ7FQB.woff2",
            "/some-name-ABCDEFGHIJ.svg",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/",
            "/index.html",
            "/favicon.ico",
            "/3rdpartylicenses.txt",
            "/main.js",
            "/main-abcdefgh.js",
            "/main-ABCDEFG.js",
            "/main-ABCDEFGH",
            "/-ABCDEFGH.js",
            "/main-ABCDEFGH.",
            "/main-ABCDEFGH.js/",
            "/main-ABCDEFGH.js.map",
            "/some/route",
            "/MAIN-ABCD-EFGH.js",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }
}
