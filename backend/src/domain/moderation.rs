//! What moderators work with (docs/API.md, "Moderation"): a post's state, the reason an action
//! gives, and the entries of the public moderation log.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PageLimit, TextField, ValidationError};

/// Who sees a post: everyone (`visible`), nobody until a moderator decides (`hidden`, by
/// reports, or held for approval with `PREMODERATE_IMAGES`), or nobody (`removed`, by a
/// moderator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PostState {
    Visible,
    Hidden,
    Removed,
}

impl PostState {
    /// The state as the database stores it (a CHECK constraint allows these three only).
    pub fn as_stored(self) -> &'static str {
        match self {
            Self::Visible => "visible",
            Self::Hidden => "hidden",
            Self::Removed => "removed",
        }
    }

    /// The state from what the database stores.
    pub fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "visible" => Some(Self::Visible),
            "hidden" => Some(Self::Hidden),
            "removed" => Some(Self::Removed),
            _ => None,
        }
    }
}

/// Why a moderator acted: 1 to 500 characters, with the rules of a post's text. It is public
/// (the moderation log shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModReason(String);

impl ModReason {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        TextField::Reason.parse(raw).map(Self)
    }

    /// The reason of a moderator's action or ban, which must be given.
    pub fn parse_required(raw: Option<&str>) -> Result<Self, ValidationError> {
        let raw =
            raw.ok_or_else(|| ValidationError::new("Reason is required.", "reason: missing"))?;
        Self::parse(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One line of the public moderation log. It never names a poster or a reporter.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ModLogEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `hide`, `remove`, `purge`, `restore`, `dismiss`, `ban` or `unban`.
    pub action: String,
    pub post_id: Option<i64>,
    pub reason: String,
    /// `null` when the board acted by itself (a hide by reports).
    pub moderator: Option<String>,
}

/// A page of a list read newest first by id (the moderation log, the bans): `limit` entries,
/// those older than `before` when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewestFirst {
    pub limit: PageLimit,
    pub before: Option<i64>,
}
