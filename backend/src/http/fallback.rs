//! Error responses that do not come from a handler: unknown routes, wrong methods, and any
//! bare status a framework layer answers with (time-outs, body limits). All get the contract's
//! body.

use axum::{
    body::to_bytes,
    extract::Request,
    http::{StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{
    error::{ApiError, AppPageBody, CURRENT_REQUEST_ID, ContractErrorBody},
    security,
};

pub async fn route_not_found(uri: Uri) -> ApiError {
    ApiError::nothing_here(uri.path())
}

pub async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::method_not_allowed(format!(
        "method: {} not allowed on {}",
        request.method(),
        request.uri().path()
    ))
}

/// Rewrites any error response that is not already in the contract's shape; and lets the
/// failures' log lines name the request (`error::CURRENT_REQUEST_ID`).
pub async fn shape_error_responses(request: Request, next: Next) -> Response {
    let id = request.headers().get(&security::REQUEST_ID).cloned();
    CURRENT_REQUEST_ID.scope(id, shape(request, next)).await
}

async fn shape(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<ContractErrorBody>().is_some()
        || response.extensions().get::<AppPageBody>().is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, 1024).await.unwrap_or_default();
    let origin = String::from_utf8_lossy(&text);
    let internal = format!("http {}: {}", status.as_u16(), origin.trim());
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::not_found("There is nothing at this address.", internal),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::method_not_allowed(internal),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large("The request body is too large.", internal)
        }
        StatusCode::REQUEST_TIMEOUT => ApiError::request_timeout(internal),
        // The whole-request deadline (`TimeoutLayer`): the server, not the client, was slow.
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server took too long to answer. Please try again.",
            internal,
        ),
        s if s.is_client_error() => {
            ApiError::bad_request("The request could not be understood.", internal)
        }
        _ => ApiError::new(
            status,
            "Something went wrong on our side. Please try again.",
            internal,
        ),
    };
    let mut shaped = error.into_response();
    // Keep what the layer said beyond the body (e.g. `Allow`), but not its content headers.
    for (name, value) in parts.headers.iter() {
        if !name.as_str().starts_with("content-") && !shaped.headers().contains_key(name) {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    *shaped.status_mut() = status;
    shaped
}
