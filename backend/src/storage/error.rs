use aws_sdk_s3::{
    config::http::HttpResponse,
    error::{ProvideErrorMetadata, SdkError},
};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What can go wrong in object storage, in the storage's own terms.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no object {key:?}")]
    NotFound { key: String },
    /// The server did not answer, timed out, or failed on its side (5xx).
    #[error("object storage unavailable ({operation})")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
    /// The server refused the request (a signature, a permission, a malformed request): our
    /// bug or a misconfiguration, not an outage.
    #[error("object storage refused {operation}")]
    Refused {
        operation: &'static str,
        #[source]
        source: BoxError,
    },
}

impl StorageError {
    /// Network failures, timeouts and server-side (5xx) errors mean unavailable; anything
    /// else is a refusal.
    pub(super) fn from_sdk<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let server_side = is_unavailable(&error);
        let source = Box::new(error);
        if server_side {
            Self::Unavailable { operation, source }
        } else {
            Self::Refused { operation, source }
        }
    }
}

/// Whether a failed S3 call means the storage is unavailable (the network, a time-out, a 5xx)
/// rather than refusing the request.
fn is_unavailable<E>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => e.raw().status().is_server_error(),
        _ => false,
    }
}

/// How a failed S3 call counts in the metrics: `unavailable` or `refused`; `None` for a 404
/// (no such key or bucket), which is an answer, not a failure.
pub(super) fn failure_kind<E>(error: &SdkError<E, HttpResponse>) -> Option<&'static str> {
    match error {
        SdkError::ServiceError(e) if e.raw().status().as_u16() == 404 => None,
        error if is_unavailable(error) => Some("unavailable"),
        _ => Some("refused"),
    }
}
