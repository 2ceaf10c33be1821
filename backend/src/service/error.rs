use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::{
    domain::{ImageError, MAX_PIXELS, MAX_SIDE, RateLimit, RateLimitScope, ValidationError},
    imaging::ImagingError,
    repository::{Refusal, RepositoryError},
    storage::StorageError,
};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a use case of the board failed, in the board's terms. Only the HTTP layer turns these
/// into statuses and bodies.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input that breaks a rule of the contract.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// An uploaded image that is too large, of the wrong type, or unreadable.
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error("post {0}: no such post")]
    PostNotFound(i64),
    #[error("ban {0}: no such ban")]
    BanNotFound(i64),
    #[error("image {0}: no such object")]
    ImageNotFound(String),
    /// An upload of a purged picture (the same bytes, or a copy); nothing was stored.
    #[error("image: blocked (a copy of a purged picture)")]
    ImageBlocked,
    /// A post whose username is a moderator's name (those show in the moderation log only).
    #[error("username: a moderator's name")]
    ModeratorsName,
    /// A restore of a post whose image was purged: it would come back without its image.
    #[error("post {0}: its image was purged")]
    ImagePurged(i64),
    /// A delete token that is not the post's (or a post from before delete tokens).
    #[error("post {0}: the delete token does not match")]
    WrongDeleteToken(i64),
    /// A moderator token that is no moderator's, or a revoked one's.
    #[error("moderator token unknown or revoked")]
    NotAModerator,
    /// The client used up its budget for `scope`; the request was not counted and changed
    /// nothing.
    #[error("rate limit {}: {limit} reached; retry after {retry_after:?}", .scope.as_str())]
    RateLimited {
        scope: RateLimitScope,
        limit: RateLimit,
        retry_after: Duration,
    },
    /// The client has as many live streams open on this replica as it may
    /// (`STREAMS_PER_CLIENT`).
    #[error("live streams: {limit} per client open; retry after {retry_after:?}")]
    StreamsPerClient { limit: usize, retry_after: Duration },
    /// This replica holds as many live streams as it may (`STREAMS_PER_REPLICA`).
    #[error("live streams: {limit} per replica open; retry after {retry_after:?}")]
    StreamsPerReplica { limit: usize, retry_after: Duration },
    /// A moderator banned the client (`until`: `None` for good); the request changed nothing.
    #[error("client banned until {}", .until.map_or("for good".to_owned(), |until| until.to_rfc3339()))]
    Banned { until: Option<DateTime<Utc>> },
    /// PostgreSQL could not be reached; nothing was changed, or, for a write whose connection
    /// broke after it was sent, possibly changed.
    #[error("database unavailable")]
    DatabaseUnavailable(#[source] BoxError),
    /// Object storage could not be reached; nothing was changed.
    #[error("object storage unavailable")]
    StorageUnavailable(#[source] BoxError),
    /// Anything else: a bug or a misconfiguration. The cause goes to the log.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Banned { until } => Self::Banned { until },
            Refusal::ModeratorsName => Self::ModeratorsName,
        }
    }
}

impl From<RepositoryError> for ServiceError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Unavailable(_) => Self::DatabaseUnavailable(error.into()),
            RepositoryError::Query(_) => Self::Internal(error.into()),
        }
    }
}

impl From<StorageError> for ServiceError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound { key } => Self::ImageNotFound(key),
            StorageError::Unavailable { .. } => Self::StorageUnavailable(error.into()),
            StorageError::Refused { .. } => Self::Internal(error.into()),
        }
    }
}

/// An upload the imaging code refused is the uploader's problem (a damaged or oversized
/// image); a failure to encode is ours.
impl From<ImagingError> for ServiceError {
    fn from(error: ImagingError) -> Self {
        match error {
            ImagingError::TooManyPixels { width, height } => {
                Self::Image(ImageError::TooManyPixels {
                    width: width as usize,
                    height: height as usize,
                    max_side: MAX_SIDE,
                    max_pixels: MAX_PIXELS,
                })
            }
            ImagingError::Malformed(_) | ImagingError::OverMemoryLimit => {
                Self::Image(ImageError::Unreadable)
            }
            ImagingError::Unsupported(_) => Self::Image(ImageError::UnsupportedType),
            ImagingError::InvalidWidth(_) | ImagingError::Encode(_) => Self::Internal(error.into()),
        }
    }
}
