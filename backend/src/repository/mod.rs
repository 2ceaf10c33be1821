//! Persistence of posts, reports, moderators and rate limits in PostgreSQL. The only module that speaks SQL.

/// The [`crate::domain::Post`] of a row whose columns have the post's own names (a `query!`
/// that selects them beside others, so no `query_as!` of `Post`).
macro_rules! post_of_row {
    ($row:ident) => {
        crate::domain::Post {
            id: $row.id,
            title: $row.title,
            post: $row.post,
            username: $row.username,
            score: $row.score,
            image_hash: $row.image_hash,
            image_width: $row.image_width,
            image_height: $row.image_height,
            created_at: $row.created_at,
            hot: $row.hot,
        }
    };
}

mod ban_repository;
mod batches;
mod blocked_images;
mod create_batcher;
mod error;
mod event_repository;
mod moderation_repository;
mod moderator_repository;
mod pool;
mod post_lifecycle;
mod post_repository;
mod rate_limits;
mod replica;
mod report_repository;
mod search_repository;
mod vote_batcher;

pub use ban_repository::Banned;
pub use blocked_images::{BlockedLately, Purged};
pub use create_batcher::CreateBatcher;
pub use error::{BoxError, RepositoryError};
pub use event_repository::{EventListener, EventPage, EventRepository, ResumePoint};
pub use moderation_repository::{ModAction, Moderated, ModeratedPost, OpenReport, QUEUE_LENGTH};
pub use moderator_repository::{Addition, ModeratorRepository, ModeratorRow};
pub use pool::{DbPool, SETTINGS};
pub use post_lifecycle::{Deletion, ImageUpload, UnusedImage, UploadCheck};
pub use post_repository::{Insertion, NewRow, PostRepository, Refusal};
pub use rate_limits::{Charge, RateLimitRepository};
pub use replica::{Replica, ReplicaStats};
pub use report_repository::Reported;
pub use search_repository::Found;
pub use vote_batcher::{Vote, VoteBatcher};
