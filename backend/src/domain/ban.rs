//! Bans (docs/API.md, "Moderation"): a moderator keeps the client that made a post from
//! creating, voting and reporting, at the width of its address or of its network, for some
//! days or for good.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ModReason, ValidationError};

/// How wide a ban is: the poster's address (IPv4, or IPv6 /64) or its network (IPv4 /24, or
/// IPv6 /48).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BanScope {
    Address,
    Network,
}

impl BanScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::Network => "network",
        }
    }

    /// The scope as the database stores it (a CHECK constraint allows these two only).
    pub fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "address" => Some(Self::Address),
            "network" => Some(Self::Network),
            _ => None,
        }
    }
}

/// The longest ban with an end, in days (ten years); longer is "for good" (`days: null`).
pub const MAX_BAN_DAYS: i64 = 3650;

/// How long a ban lasts: whole days from now, or for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanLength(Option<i64>);

impl BanLength {
    pub const FOR_GOOD: Self = Self(None);

    /// `days`: 1 to [`MAX_BAN_DAYS`], or `None` for good.
    pub fn parse(days: Option<i64>) -> Result<Self, ValidationError> {
        match days {
            Some(days) if !(1..=MAX_BAN_DAYS).contains(&days) => Err(ValidationError::new(
                format!("A ban lasts 1 to {MAX_BAN_DAYS} days, or for good (days: null)."),
                format!("days: {days} not in 1..={MAX_BAN_DAYS}"),
            )),
            days => Ok(Self(days)),
        }
    }

    pub fn days(self) -> Option<i64> {
        self.0
    }
}

/// A moderator's ban of the client that made `post_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBan {
    pub post_id: i64,
    pub scope: BanScope,
    pub length: BanLength,
    pub reason: ModReason,
    /// Whether the client's visible posts are removed too.
    pub remove_posts: bool,
}

/// A ban as moderators see it. It never shows the key it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Ban {
    pub id: i64,
    pub scope: BanScope,
    /// The post the ban was made from.
    pub post_id: i64,
    pub reason: String,
    pub moderator: String,
    pub created_at: DateTime<Utc>,
    /// `null`: for good.
    pub until: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_lasts_one_day_to_ten_years_or_for_good() {
        assert_eq!(BanLength::parse(Some(1)).unwrap().days(), Some(1));
        assert_eq!(BanLength::parse(Some(3650)).unwrap().days(), Some(3650));
        assert_eq!(BanLength::parse(None).unwrap(), BanLength::FOR_GOOD);
        for days in [0, -1, 3651, i64::MAX] {
            let error = BanLength::parse(Some(days)).unwrap_err();
            assert!(error.user_message.contains("1 to 3650 days"), "{error:?}");
        }
    }

    #[test]
    fn scopes_read_back_as_stored() {
        for scope in [BanScope::Address, BanScope::Network] {
            assert_eq!(BanScope::from_stored(scope.as_str()), Some(scope));
        }
        assert_eq!(BanScope::from_stored("everyone"), None);
    }
}
