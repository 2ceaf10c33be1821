//! The HTTP layer: routes, extractors, middleware and the connection loop. Handlers only
//! translate between HTTP and [`PostService`]; they never see SQL or S3.

mod bans;
mod body_deadline;
mod client;
mod deleting;
mod docs;
mod drain;
mod error;
mod events;
mod extract;
mod fallback;
mod feed;
mod health;
mod host_header;
mod images;
mod io_wrappers;
mod lean_streams;
mod metrics;
mod moderation;
mod openapi;
mod post_page;
mod posts;
mod protocol_refusals;
mod read_your_writes;
mod reports;
mod security;
mod send_deadline;
mod server;
mod spa;

pub use self::metrics::{Sampler, metrics_router};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use extract::TEXT_PART_MAX_BYTES;
pub use security::{CONTENT_SECURITY_POLICY, MAX_REQUEST_ID_LEN};
pub use server::{ConnectionDeadlines, serve};

use std::{sync::Arc, time::Duration};

use axum::{
    Extension, Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, Method, Request, StatusCode, header},
    middleware,
};
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use self::{
    body_deadline::BodyTimeouts,
    deleting::DeleteTokenScheme,
    moderation::ModeratorTokenScheme,
    security::{REQUEST_ID, SecurityHeaders},
};
use crate::{
    config::Config,
    domain::{PublicUrl, TrustedProxies},
    observe::metrics::Metrics,
    service::{LiveEvents, PostService, RateLimiter},
};

/// `Cache-Control` of what can never change at its URL: an image or variant named by its
/// hash, a build file named by its content hash.
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// What the handlers share, behind one `Arc`. axum clones the state for every request (for
/// the route's handler, and again for its `State` extractor); a clone of the services
/// themselves bumps dozens of reference counts, each an atomic write whose cache line the other
/// core's requests fight over (5.6 % of the server's CPU samples per list page in a profile,
/// BENCHMARKS.md "Issue 17: the list's missing 10 %").
#[derive(Clone)]
pub struct AppState(Arc<Services>);

/// The services and settings every handler reads (through [`AppState`]'s `Deref`).
pub struct Services {
    pub post_service: PostService,
    pub live: LiveEvents,
    pub max_image_bytes: usize,
    pub limits: RateLimiter,
    pub trusted_proxies: TrustedProxies,
    /// The board's public address, for absolute URLs (feeds, link previews).
    pub public_url: PublicUrl,
    pub feeds: feed::FeedCache,
}

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Postboard API", description = "Post, vote and share images. Errors always have the body `{\"detail\": {\"user_message\": ..., \"internal_message\": ...}}`, also for what no route answers: an HTTP/1.1 request without exactly one `Host` header is 400, and a request head the server cannot read is 400 (malformed), 414 (a target over 64 KiB) or 431 (over 100 header lines or ~400 KiB), with `Connection: close`. With a read replica (`DATABASE_REPLICA_URL`), lists, searches, feeds and post pages may be up to `REPLICA_MAX_LAG` behind; every successful write (any method but GET, HEAD, OPTIONS) then answers `Set-Cookie: postboard_wrote=<ms since 1970>; Path=/; Max-Age=...; HttpOnly; SameSite=Lax`, and reads that send it back show that write."),
    tags(
        (name = "posts", description = "Posts and votes"),
        (name = "images", description = "Images, addressed by the SHA-256 of their bytes"),
        (name = "moderation", description = "Moderators' routes (a moderator token) and the public moderation log"),
        (name = "operations", description = "Health and readiness probes"),
        (name = "docs", description = "This document"),
    ),
    modifiers(&DeleteTokenScheme, &ModeratorTokenScheme)
)]
struct ApiDoc;

/// Every route, with its OpenAPI description.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(posts::list_posts, posts::create_post))
        .routes(routes!(posts::update_post_score))
        .routes(routes!(post_page::get_post, deleting::delete_post))
        .routes(routes!(post_page::post_page))
        .routes(routes!(reports::report_post))
        .routes(routes!(moderation::queue))
        .routes(routes!(moderation::moderated_post))
        .routes(routes!(moderation::remove))
        .routes(routes!(moderation::restore))
        .routes(routes!(moderation::dismiss))
        .routes(routes!(bans::ban))
        .routes(routes!(bans::bans))
        .routes(routes!(bans::unban))
        .routes(routes!(moderation::mod_log))
        .routes(routes!(feed::feed))
        .routes(routes!(images::get_image))
        .routes(routes!(images::get_moderated_image))
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::docs_page))
        .routes(routes!(docs::docs_asset))
        // Every answer above is compressed when the client accepts it and it is worth it; the
        // event stream never is, and its response body should not carry a compressor's state
        // (about 6 KB) for the hours a stream stays open. (The app's files: `spa`.)
        .layer(CompressionLayer::new())
        .routes(routes!(events::events))
}

/// The whole application: routes, the SPA fallback and the middleware stack (counting every
/// request in `metrics` when they are on).
pub fn router(state: AppState, config: &Config, metrics: &Metrics) -> Router {
    // Room for the text fields next to the largest image; the image itself is capped exactly
    // by `ImageUpload`, this bounds the request as a whole.
    let body_limit = DefaultBodyLimit::max(config.max_image_bytes + 1024 * 1024);
    // The document is built once, from the same routes that are served.
    let (routes, mut document) = api_router().split_for_parts();
    openapi::describe_upload_types(&mut document);
    openapi::describe_image_head(&mut document);
    let routes = routes
        .layer(Extension(Arc::new(document)))
        .layer(Extension(post_page::AppShell::load(&config.static_dir)))
        .layer(body_limit)
        .method_not_allowed_fallback(fallback::method_not_allowed);
    // With a read replica, a writer's next reads must show their write (`read_your_writes`).
    let routes = match config.database_replica_url {
        Some(_) => routes.layer(middleware::from_fn_with_state(
            config.replica_max_lag + crate::domain::CLOCK_MARGIN,
            read_your_writes::mark_writes,
        )),
        None => routes,
    };
    let app = spa::fallback(routes, &config.static_dir).with_state(state);

    let security = SecurityHeaders {
        hsts_max_age: config.hsts_max_age,
    };
    let body_timeouts = BodyTimeouts {
        idle: config.body_idle_timeout,
        total: config.body_timeout,
    };
    let app = app.layer(
        ServiceBuilder::new()
            // Outermost but for the metrics: every early answer, whoever gave it, leaves the
            // connection fit for a proxy (`drain`).
            .layer(middleware::from_fn(drain::drain_unread_body))
            .layer(middleware::from_fn_with_state(
                security,
                security::set_security_headers,
            ))
            .layer(middleware::from_fn(security::drop_unsafe_request_id))
            .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request<_>| {
                        let id = request
                            .extensions()
                            .get::<RequestId>()
                            .and_then(|id| id.header_value().to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
            .layer(cors(&config.cors_origins))
            .layer(middleware::from_fn(fallback::shape_error_responses))
            .layer(middleware::from_fn(host_header::require_one_host))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                config.request_timeout,
            ))
            .layer(middleware::from_fn_with_state(
                body_timeouts,
                body_deadline::limit_body_time,
            )),
    );
    if metrics.is_enabled() {
        // Outermost: it sees the final status (time-outs and error shaping included) and the
        // whole time taken.
        app.layer(middleware::from_fn_with_state(
            metrics.clone(),
            self::metrics::record_request,
        ))
    } else {
        app
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| match HeaderValue::from_str(origin) {
            Ok(value) => Some(value),
            Err(_) => {
                tracing::warn!(%origin, "ignoring invalid CORS origin");
                None
            }
        })
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::AUTHORIZATION,
            REQUEST_ID.clone(),
        ])
        .expose_headers([
            header::LINK,
            REQUEST_ID.clone(),
            header::ETAG,
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(3600))
}
