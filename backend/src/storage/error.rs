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
        let server_side = match &error {
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(e) => e.raw().status().is_server_error(),
            _ => false,
        };
        let source = Box::new(error);
        if server_side {
            Self::Unavailable { operation, source }
        } else {
            Self::Refused { operation, source }
        }
    }
}
