//! The one error type of the HTTP layer. Every failure, from a malformed request to a lost
//! database, becomes an `ApiError`, and every `ApiError` becomes the contract's body:
//! `{"detail": {"user_message": ..., "internal_message": ...}}`. Only this layer knows
//! statuses; the layers below speak in their own error types.

use std::{borrow::Cow, error::Error as StdError};

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::{ImageError, RateLimitScope, ValidationError, retry_after_seconds},
    observe::telemetry::cause_chain,
    service::ServiceError,
};

type BoxError = Box<dyn StdError + Send + Sync>;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    user_message: Cow<'static, str>,
    internal_message: String,
    /// What caused a 5xx, for the log; never sent to the client.
    cause: Option<BoxError>,
    retry_after_seconds: Option<u64>,
    /// `WWW-Authenticate` of a 401: the scheme the route wants.
    challenge: Option<&'static str>,
}

/// The contract's error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub detail: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A sentence the browser app can show as is.
    #[schema(example = "Title must be at most 100 characters.")]
    pub user_message: String,
    /// Short and technical, for developers.
    #[schema(example = "validation: title: length 101 > 100")]
    pub internal_message: String,
}

/// Marks a response whose body is already the contract's error body, so the catch-all
/// middleware in `http::errors` leaves it alone.
#[derive(Debug, Clone, Copy)]
pub struct ContractErrorBody;

/// Marks an error status whose body is a page of the browser app (a post page's 404), which
/// the catch-all middleware leaves alone too: a browser shows it, and the app says what's
/// wrong.
#[derive(Debug, Clone, Copy)]
pub struct AppPageBody;

impl ApiError {
    pub fn new(
        status: StatusCode,
        user_message: impl Into<Cow<'static, str>>,
        internal_message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            user_message: user_message.into(),
            internal_message: internal_message.into(),
            cause: None,
            retry_after_seconds: None,
            challenge: None,
        }
    }

    pub fn bad_request(user: impl Into<Cow<'static, str>>, internal: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, user, internal)
    }

    pub fn not_found(user: impl Into<Cow<'static, str>>, internal: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, user, internal)
    }

    pub fn nothing_here(path: &str) -> Self {
        Self::not_found(
            "There is nothing at this address.",
            format!("route: no route for {path}"),
        )
    }

    pub fn method_not_allowed(internal: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "This address does not accept that method.",
            internal,
        )
    }

    pub fn payload_too_large(
        user: impl Into<Cow<'static, str>>,
        internal: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, user, internal)
    }

    pub fn request_timeout(internal: impl Into<String>) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "The request took too long to arrive. Please try again.",
            internal,
        )
    }

    /// 401 with `WWW-Authenticate: Bearer`: the route wants a bearer token and got none (or
    /// a header that is not one).
    pub fn bearer_token_required(
        user: impl Into<Cow<'static, str>>,
        internal: impl Into<String>,
    ) -> Self {
        let mut error = Self::new(StatusCode::UNAUTHORIZED, user, internal);
        error.challenge = Some("Bearer");
        error
    }

    /// 429 with `Retry-After` (whole seconds, rounded up, at least 1).
    pub fn too_many_requests(
        user: impl Into<Cow<'static, str>>,
        internal: impl Into<String>,
        retry_after: std::time::Duration,
    ) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, user, internal);
        error.retry_after_seconds = Some(retry_after_seconds(retry_after));
        error
    }

    /// 503: a dependency is out of reach. The response names it; the log gets the cause.
    pub fn unavailable(dependency: &str, cause: impl Into<BoxError>) -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service is temporarily unavailable. Please try again in a moment.",
            format!("{dependency} unavailable"),
        );
        error.cause = Some(cause.into());
        error
    }

    /// 500: the cause goes to the log, with the request id; the client learns nothing more.
    pub fn internal(cause: impl Into<BoxError>) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again.",
            "internal error; see the server log for this request id",
        );
        error.cause = Some(cause.into());
        error
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            error.user_message,
            format!("validation: {}", error.internal_message),
        )
    }
}

impl From<ImageError> for ApiError {
    fn from(error: ImageError) -> Self {
        let status = match error {
            ImageError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ImageError::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ImageError::Unreadable | ImageError::TooManyPixels { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        Self::new(status, error.user_message(), error.to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(error) => error.into(),
            ServiceError::Image(error) => error.into(),
            ServiceError::PostNotFound(_) => {
                Self::not_found("This post does not exist.", error.to_string())
            }
            ServiceError::BanNotFound(_) => {
                Self::not_found("There is no such ban.", error.to_string())
            }
            ServiceError::ImageNotFound(_) => {
                Self::not_found("There is no image with this hash.", error.to_string())
            }
            ServiceError::ImageBlocked => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This image can't be posted here.",
                error.to_string(),
            ),
            ServiceError::ModeratorsName => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "This name belongs to a moderator of this board. Choose another.",
                error.to_string(),
            ),
            ServiceError::ImagePurged(_) => Self::new(
                StatusCode::CONFLICT,
                "This post's image was purged, so it can't be restored.",
                error.to_string(),
            ),
            ServiceError::WrongDeleteToken(_) => Self::new(
                StatusCode::FORBIDDEN,
                "This delete token does not belong to this post.",
                error.to_string(),
            ),
            ServiceError::NotAModerator => Self::new(
                StatusCode::FORBIDDEN,
                "This moderator token is not valid (unknown, or revoked).",
                error.to_string(),
            ),
            ServiceError::Banned { until } => Self::new(
                StatusCode::FORBIDDEN,
                match until {
                    Some(until) => format!(
                        "You can't post, vote or report here until {} (banned by a moderator).",
                        until.format("%Y-%m-%d %H:%M UTC")
                    ),
                    None => "You can't post, vote or report here any more (banned by a moderator)."
                        .to_owned(),
                },
                error.to_string(),
            ),
            ServiceError::RateLimited {
                scope, retry_after, ..
            } => {
                let seconds = retry_after_seconds(retry_after);
                let doing = match scope {
                    RateLimitScope::Posts => "posting",
                    RateLimitScope::Votes => "voting",
                    RateLimitScope::Reports => "reporting posts",
                };
                Self::too_many_requests(
                    format!(
                        "You are {doing} too often. Please try again in {}.",
                        human_wait(seconds)
                    ),
                    format!("{error}"),
                    retry_after,
                )
            }
            ServiceError::StreamsPerClient { retry_after, .. } => Self::too_many_requests(
                "You have too many live pages open. Close a few, or try again later.",
                error.to_string(),
                retry_after,
            ),
            ServiceError::StreamsPerReplica { retry_after, .. } => {
                let mut refused = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The server is following as many live pages as it can. Please try again in a moment.",
                    error.to_string(),
                );
                refused.retry_after_seconds = Some(retry_after_seconds(retry_after));
                refused
            }
            ServiceError::DatabaseUnavailable(_) => Self::unavailable("database", error),
            ServiceError::StorageUnavailable(_) => Self::unavailable("object storage", error),
            ServiceError::Internal(_) => Self::internal(error),
        }
    }
}

tokio::task_local! {
    /// The request id of the request being answered (set by `fallback::shape_error_responses`
    /// around every route), for the failure's log line. The request's span carries it too,
    /// but that span is at INFO: under `RUST_LOG=warn` it does not exist, and making it exist
    /// at every level cost ~15 µs of CPU a request (BENCHMARKS.md).
    pub(super) static CURRENT_REQUEST_ID: Option<HeaderValue>;
}

/// The id of the request being answered, or `-` outside one.
fn current_request_id() -> String {
    CURRENT_REQUEST_ID
        .try_with(|id| {
            id.as_ref()
                .and_then(|id| id.to_str().ok())
                .map(str::to_owned)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| "-".to_owned())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.as_u16();
        // Every 5xx is the server's failure, logged with its request id; with no cause (the
        // whole-request time-out) as well as with one.
        match &self.cause {
            cause if self.status.is_server_error() => {
                let causes = cause
                    .as_deref()
                    .map(|cause| cause_chain(cause))
                    .unwrap_or_default();
                let request_id = current_request_id();
                if self.status == StatusCode::SERVICE_UNAVAILABLE {
                    tracing::warn!(status, request_id = %request_id, error = %self.internal_message, causes, "request failed");
                } else {
                    tracing::error!(status, request_id = %request_id, error = %self.internal_message, causes, "request failed");
                }
            }
            _ => tracing::debug!(status, error = %self.internal_message, "request refused"),
        }
        let body = ErrorBody {
            detail: ErrorDetail {
                user_message: self.user_message.into_owned(),
                internal_message: self.internal_message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(scheme) = self.challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
        }
        response.extensions_mut().insert(ContractErrorBody);
        response
    }
}

/// `17 seconds`, `1 second`, `4 minutes` (rounded up), for a user message.
fn human_wait(seconds: u64) -> String {
    match seconds {
        1 => "1 second".to_owned(),
        0..120 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

/// Whether `error`, or anything that caused it, is a `T`.
pub fn caused_by<T: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<T>() {
            return true;
        }
        next = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("socket closed")]
    struct Root;

    #[derive(Debug, thiserror::Error)]
    #[error("query failed")]
    struct Middle(#[source] Root);

    #[test]
    fn the_cause_chain_names_every_cause() {
        let error = ServiceError::DatabaseUnavailable(Box::new(Middle(Root)));
        assert_eq!(
            cause_chain(&error),
            "database unavailable: query failed: socket closed"
        );
        assert!(caused_by::<Root>(&error));
        assert!(!caused_by::<std::fmt::Error>(&error));
    }

    #[test]
    fn rate_limits_are_429_with_retry_after_in_whole_seconds() {
        use std::time::Duration;

        use crate::domain::RateLimit;

        let limited = |scope, millis| {
            ApiError::from(ServiceError::RateLimited {
                scope,
                limit: RateLimit::parse("20/10m").unwrap(),
                retry_after: Duration::from_millis(millis),
            })
        };
        let error = limited(RateLimitScope::Posts, 16_200);
        assert_eq!(error.status().as_u16(), 429);
        assert_eq!(error.retry_after_seconds, Some(17));
        assert_eq!(
            error.user_message,
            "You are posting too often. Please try again in 17 seconds."
        );
        assert!(
            error.internal_message.contains("20/10m"),
            "{}",
            error.internal_message
        );
        let response = limited(RateLimitScope::Votes, 1).into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            limited(RateLimitScope::Votes, 200_000).user_message,
            "You are voting too often. Please try again in 4 minutes."
        );
    }

    #[test]
    fn a_missing_delete_token_is_401_with_a_challenge_and_a_wrong_one_403() {
        let forbidden = ApiError::from(ServiceError::WrongDeleteToken(4));
        assert_eq!(forbidden.status().as_u16(), 403);
        let unauthorized = ApiError::bearer_token_required("Token needed.", "auth: none");
        let response = unauthorized.into_response();
        assert_eq!(response.status().as_u16(), 401);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn service_errors_map_to_the_contracts_statuses() {
        let cases: [(ServiceError, u16); 8] = [
            (ServiceError::PostNotFound(4), 404),
            (ServiceError::ImageNotFound("ab".into()), 404),
            (ServiceError::DatabaseUnavailable(Box::new(Root)), 503),
            (ServiceError::StorageUnavailable(Box::new(Root)), 503),
            (ServiceError::ImageBlocked, 422),
            (ServiceError::ModeratorsName, 422),
            (ServiceError::ImagePurged(4), 409),
            (ServiceError::Internal(Box::new(Root)), 500),
        ];
        for (error, status) in cases {
            assert_eq!(ApiError::from(error).status().as_u16(), status);
        }
        let internal = ApiError::from(ServiceError::Internal(Box::new(Root)));
        assert!(
            !internal.internal_message.contains("socket"),
            "causes stay in the log"
        );
    }
}
