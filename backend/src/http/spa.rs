//! The built Angular app, served at `/` when `STATIC_DIR` exists. Unknown paths get the app's
//! `index.html` only when a browser navigates to them (GET accepting HTML), so the app's own
//! client-side routes work on reload while API clients still get a JSON 404.

use std::path::{Path, PathBuf};

use axum::{
    Router,
    extract::Request,
    handler::HandlerWithoutStateExt,
    http::{Method, header},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::errors::route_not_found;

/// A fallback service for the router: the SPA's files when `dir` exists, otherwise JSON 404s.
pub fn fallback<S: Clone + Send + Sync + 'static>(router: Router<S>, dir: &Path) -> Router<S> {
    if !dir.join("index.html").is_file() {
        tracing::info!(dir = %dir.display(), "no built frontend found; serving the API only");
        return router.fallback(route_not_found);
    }
    tracing::info!(dir = %dir.display(), "serving the frontend");
    let index = dir.join("index.html");
    let app_shell = move |request: Request| spa_index(index.clone(), request);
    router.fallback_service(
        ServeDir::new(dir)
            .call_fallback_on_method_not_allowed(true)
            .fallback(app_shell.into_service()),
    )
}

async fn spa_index(index: PathBuf, request: Request) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if matches!(*request.method(), Method::GET | Method::HEAD) && wants_html {
        match ServeFile::new(index).oneshot(request).await {
            Ok(response) => response.into_response(),
            Err(never) => match never {},
        }
    } else {
        route_not_found(request.uri().clone()).await.into_response()
    }
}
