//! Headers that protect browsers, set once for every response, and the request id a client
//! may choose.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// What the app's pages may load: only its own scripts (no inline script at all), styles
/// inline or its own (Angular and Swagger UI set `style` attributes), images from itself or
/// `data:`/`blob:` URLs (previews of a file being posted), no plugins, and no framing by any
/// site (clickjacking on the vote arrows and the form).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
    font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// Browser features the board never uses.
pub const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()";

#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    /// `Strict-Transport-Security: max-age=...`, only when the server is reached over TLS
    /// (a proxy terminating it); see docs/configuration.md, `HSTS_MAX_AGE`.
    pub hsts_max_age: Option<u64>,
}

/// Middleware: `nosniff`, `Referrer-Policy` (and HSTS when configured) on every response;
/// on HTML, also the Content-Security-Policy, `X-Frame-Options` and `Permissions-Policy`.
pub async fn set_security_headers(
    State(settings): State<SecurityHeaders>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Some(max_age) = settings.hsts_max_age {
        let value = format!("max-age={max_age}; includeSubDomains");
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_str(&value).expect("digits are a valid header value"),
        );
    }
    if is_html(headers) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        );
    }
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest `X-Request-Id` a client may choose.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// Middleware: drops a client's `X-Request-Id` that is long or holds anything but letters,
/// digits and `-_.:`, so that a new one is made: ids end up in logs and responses, where
/// they must not carry a payload.
pub async fn drop_unsafe_request_id(mut request: Request, next: Next) -> Response {
    let safe = request
        .headers()
        .get(&REQUEST_ID)
        .is_none_or(|id| is_safe_request_id(id.as_bytes()));
    if !safe {
        request.headers_mut().remove(&REQUEST_ID);
    }
    next.run(request).await
}

fn is_safe_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_only_when_short_and_plain() {
        assert!(is_safe_request_id(b"client-chosen-42"));
        assert!(is_safe_request_id(b"6f9619ff-8b86-d011-b42d-00cf4fc964ff"));
        assert!(is_safe_request_id("a".repeat(64).as_bytes()));
        assert!(!is_safe_request_id("a".repeat(65).as_bytes()));
        assert!(!is_safe_request_id(b""));
        assert!(!is_safe_request_id(b"x\" onload=\"alert(1)"));
        assert!(!is_safe_request_id(b"line\nbreak"));
        assert!(!is_safe_request_id("caf\u{e9}".as_bytes()));
    }
}
