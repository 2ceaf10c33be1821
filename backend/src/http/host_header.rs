//! RFC 9112 §3.2: an HTTP/1.1 request carries exactly one `Host` header, and a server answers
//! 400 to one with none or with several. Two `Host` lines are how a request smuggles a second
//! name past a proxy that reads the first while the app (or a later proxy) reads the other.

use axum::{
    extract::Request,
    http::{Version, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::error::ApiError;

/// Middleware: refuses a request whose `Host` header is repeated, or missing on HTTP/1.1.
pub async fn require_one_host(request: Request, next: Next) -> Response {
    let hosts = request.headers().get_all(header::HOST).iter().count();
    if hosts > 1 {
        return ApiError::bad_request(
            "The request has more than one Host header.",
            format!("host: {hosts} Host headers"),
        )
        .into_response();
    }
    if hosts == 0 && request.version() == Version::HTTP_11 {
        return ApiError::bad_request(
            "The request has no Host header.",
            "host: missing on HTTP/1.1",
        )
        .into_response();
    }
    next.run(request).await
}
