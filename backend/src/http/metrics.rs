//! Metrics over HTTP: the middleware that counts the public routes' requests, and the router
//! of the second listener (`METRICS_ADDR`), which serves only `GET /metrics` in Prometheus'
//! text format. That listener is not the public port: bind it where only the scraper reaches.

use std::sync::Arc;

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use tokio::time::Instant;

use crate::observe::metrics::{Metrics, Sample};

/// Reads the state a scrape reports (the pool, the live clients, the image cache); wired up
/// in `startup`, which holds every part.
pub type Sampler = Arc<dyn Fn() -> Sample + Send + Sync>;

/// The version of the text format (Prometheus' `Content-Type` for it).
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics listener's routes: `GET /metrics`; anything else is a bare 404.
pub fn metrics_router(metrics: Metrics, sampler: Sampler) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((metrics, sampler))
}

async fn scrape(State((metrics, sampler)): State<(Metrics, Sampler)>) -> Response {
    let text = metrics.render(&sampler()).unwrap_or_default();
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], text).into_response()
}

/// Counts every request by its route's template (`/image/{hash}`, never the path itself,
/// whose values are unbounded), method and final status, and times it to its response's head.
/// A layer of the router, so it runs once the route is matched.
pub async fn record_request(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    metrics.http_request(
        &method,
        route.as_ref().map(MatchedPath::as_str),
        response.status(),
        started.elapsed(),
    );
    response
}
