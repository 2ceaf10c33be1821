//! What live clients are told: a post appeared, a score changed, a post was deleted.

use super::Post;

/// A change of the board, as `GET /events` sends it. `id`s increase in the order the changes
/// were committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new post, as it is now (without its delete token).
    Post(Post),
    Score {
        post_id: i64,
        score: i64,
    },
    Delete {
        post_id: i64,
    },
}

impl Event {
    /// About the bytes it takes on the wire (its text fields plus a fixed part for the rest of
    /// its JSON and the SSE framing): what a client that stops reading is measured behind by.
    pub fn approximate_size(&self) -> usize {
        match &self.change {
            Change::Post(post) => {
                300 + post.title.len()
                    + post.post.len()
                    + post.username.len()
                    + post.image_hash.as_ref().map_or(0, String::len)
            }
            Change::Score { .. } => 60,
            Change::Delete { .. } => 40,
        }
    }
}

impl Change {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Post(_) => "post",
            Self::Score { .. } => "score",
            Self::Delete { .. } => "delete",
        }
    }
}

/// Where a client that reconnects stands: what it last saw, by `Last-Event-ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastEventId(pub i64);

impl LastEventId {
    /// `None` for a header that is not a whole number: the client starts afresh.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim()
            .parse()
            .ok()
            .filter(|id: &i64| *id >= 0)
            .map(Self)
    }
}
