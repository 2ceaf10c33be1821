use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ImageHash, PostText, Title, Username};

/// A post as stored and as sent to clients (API.md's JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Post {
    #[schema(example = 42)]
    pub id: i64,
    #[schema(example = "Hello")]
    pub title: String,
    #[schema(example = "Body text")]
    pub post: String,
    #[schema(example = "anonymous")]
    pub username: String,
    #[schema(example = 0)]
    pub score: i64,
    /// Lowercase hex SHA-256 of the image bytes; `null` when the post has no image.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub image_hash: Option<String>,
    /// RFC 3339, UTC.
    pub created_at: DateTime<Utc>,
}

/// A post that passed every rule and is ready to be inserted.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: Title,
    pub text: PostText,
    pub username: Username,
    pub image_hash: Option<ImageHash>,
}
