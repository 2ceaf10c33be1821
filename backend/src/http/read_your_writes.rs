//! Read-your-writes with a read replica: a successful write (any method but GET, HEAD and
//! OPTIONS answered 2xx) sets the cookie `postboard_wrote` to its time, and the board's reads
//! that carry it ask for a copy that holds that write ([`Freshness`]): the poster sees their
//! new post in the list at once, even while the replica is a moment behind.
//!
//! The cookie holds nothing but a time (no identity, nothing secret), lives as long as the
//! replica may lag plus a margin (after that any copy that serves reads holds the write), and
//! is set only when a replica is configured. A client without cookies (`curl` without a jar)
//! reads what a replica within `REPLICA_MAX_LAG` shows.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderValue, Method, header, request::Parts},
    middleware::Next,
    response::Response,
};

use crate::domain::Freshness;

/// The cookie's name.
pub const WROTE_COOKIE: &str = "postboard_wrote";

impl<S: Send + Sync> FromRequestParts<S> for Freshness {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        // The latest of the cookie's values, should a client send it twice.
        let latest = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|cookies| cookies.split(';'))
            .filter_map(|cookie| cookie.trim().split_once('='))
            .filter(|(name, _)| *name == WROTE_COOKIE)
            .map(|(_, value)| Freshness::from_cookie_value(value))
            .filter_map(|freshness| match freshness {
                Freshness::SinceWrite(at) => Some(at),
                Freshness::Any => None,
            })
            .max();
        Ok(latest.map_or(Freshness::Any, Freshness::SinceWrite))
    }
}

/// Middleware: sets the cookie on every successful write, kept for `lifetime`.
pub async fn mark_writes(
    State(lifetime): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut response = next.run(request).await;
    if writes && response.status().is_success() {
        let cookie = format!(
            "{WROTE_COOKIE}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax",
            Freshness::cookie_value(std::time::SystemTime::now()),
            lifetime.as_secs_f64().ceil(),
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
