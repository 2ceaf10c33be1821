//! The one error type of the service. Every failure, from a domain rule to a lost database,
//! becomes an `AppError`, and every `AppError` becomes the contract's error body:
//! `{"detail": {"user_message": ..., "internal_message": ...}}`.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::{ImageError, ValidationError},
    repository::PoolError,
};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: malformed JSON, multipart, query or path, or the wrong content type.
    #[error("bad request: {internal}")]
    BadRequest { user: String, internal: String },
    /// 404: no such post, image or route.
    #[error("not found: {internal}")]
    NotFound { user: String, internal: String },
    /// 405: the route exists, the method does not.
    #[error("method not allowed: {internal}")]
    MethodNotAllowed { internal: String },
    /// 413: the body or the image is over its limit.
    #[error("payload too large: {internal}")]
    PayloadTooLarge { user: String, internal: String },
    /// 415: a file that is not PNG, JPEG, GIF or WebP.
    #[error("unsupported media type: {internal}")]
    UnsupportedMediaType { user: String, internal: String },
    /// 422: well-formed input that breaks a rule.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// 503: PostgreSQL or object storage cannot be reached; nothing was changed.
    #[error("{dependency} unavailable: {reason}")]
    Unavailable {
        dependency: Dependency,
        reason: String,
    },
    /// 500: anything else. The reason goes to the log, not to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    Database,
    ObjectStorage,
    /// The request as a whole took longer than the server's time limit.
    Deadline,
}

impl std::fmt::Display for Dependency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Database => "database",
            Self::ObjectStorage => "object storage",
            Self::Deadline => "request deadline",
        })
    }
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

impl AppError {
    pub fn bad_request(user: impl Into<String>, internal: impl Into<String>) -> Self {
        Self::BadRequest {
            user: user.into(),
            internal: internal.into(),
        }
    }

    pub fn not_found(user: impl Into<String>, internal: impl Into<String>) -> Self {
        Self::NotFound {
            user: user.into(),
            internal: internal.into(),
        }
    }

    pub fn unavailable(dependency: Dependency, reason: impl std::fmt::Display) -> Self {
        Self::Unavailable {
            dependency,
            reason: reason.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn user_message(&self) -> String {
        match self {
            Self::BadRequest { user, .. }
            | Self::NotFound { user, .. }
            | Self::PayloadTooLarge { user, .. }
            | Self::UnsupportedMediaType { user, .. } => user.clone(),
            Self::MethodNotAllowed { .. } => "This address does not accept that method.".into(),
            Self::Validation(e) => e.user_message.clone(),
            Self::Unavailable { dependency, .. } => match dependency {
                Dependency::Deadline => "The server took too long to answer. Please try again.",
                _ => "The service is temporarily unavailable. Please try again in a moment.",
            }
            .into(),
            Self::Internal(_) => "Something went wrong on our side. Please try again.".into(),
        }
    }

    fn internal_message(&self) -> String {
        match self {
            // The detail of an internal error stays in the log (with the request id).
            Self::Internal(_) => "internal error; see the server log for this request id".into(),
            Self::Unavailable { dependency, .. } => format!("{dependency} unavailable"),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(reason) => tracing::error!(%reason, "request failed"),
            Self::Unavailable { .. } => tracing::warn!(error = %self, "dependency unavailable"),
            _ => tracing::debug!(error = %self, "request refused"),
        }
        let body = ErrorBody {
            detail: ErrorDetail {
                user_message: self.user_message(),
                internal_message: self.internal_message(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        response.extensions_mut().insert(ContractErrorBody);
        response
    }
}

impl From<ImageError> for AppError {
    fn from(error: ImageError) -> Self {
        let user = error.user_message();
        let internal = error.to_string();
        match error {
            ImageError::TooLarge { .. } => Self::PayloadTooLarge { user, internal },
            ImageError::UnsupportedType => Self::UnsupportedMediaType { user, internal },
            ImageError::Unreadable | ImageError::TooManyPixels { .. } => {
                Self::Validation(ValidationError::new(user, internal))
            }
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match &error {
            E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
                Self::unavailable(Dependency::Database, &error)
            }
            E::Database(db) if db.code().is_some_and(|c| is_unavailable_sqlstate(&c)) => {
                Self::unavailable(Dependency::Database, &error)
            }
            _ => Self::Internal(format!("database: {error}")),
        }
    }
}

impl From<PoolError> for AppError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Backend(error) => error.into(),
            PoolError::Timeout(_) | PoolError::Closed => {
                Self::unavailable(Dependency::Database, format!("connection pool: {error}"))
            }
            other => Self::Internal(format!("connection pool: {other}")),
        }
    }
}

/// SQLSTATEs that mean "the database is not there right now" rather than "the query is wrong":
/// connection exceptions (08), shutdown and start-up (57P01..57P03), too many connections
/// (53300), and query cancellation by
/// `statement_timeout` (57014).
fn is_unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "57014" | "53300")
}
