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

use crate::error::{AppError, ContractErrorBody, Dependency};

pub async fn route_not_found(uri: Uri) -> AppError {
    AppError::not_found(
        "There is nothing at this address.",
        format!("route: no route for {}", uri.path()),
    )
}

pub async fn method_not_allowed(request: Request) -> AppError {
    AppError::MethodNotAllowed {
        internal: format!(
            "method: {} not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    }
}

/// Rewrites any error response that is not already in the contract's shape.
pub async fn shape_error_responses(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<ContractErrorBody>().is_some()
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, 1024).await.unwrap_or_default();
    let origin = String::from_utf8_lossy(&text);
    let internal = format!("http {}: {}", status.as_u16(), origin.trim());
    let error = match status {
        StatusCode::NOT_FOUND => AppError::not_found("There is nothing at this address.", internal),
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed { internal },
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge {
            user: "The request body is too large.".into(),
            internal,
        },
        StatusCode::REQUEST_TIMEOUT
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => AppError::unavailable(Dependency::Deadline, internal),
        s if s.is_client_error() => {
            AppError::bad_request("The request could not be understood.", internal)
        }
        _ => AppError::Internal(internal),
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
