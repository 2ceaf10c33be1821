//! Search (`GET /post?q=`): the words searched for, and the keyset cursor of a result list,
//! which is ordered by relevance, then newest first.

use super::{PageLimit, ValidationError, is_forbidden_control};

/// What a user searches for: 1..=200 characters once trimmed, in PostgreSQL's websearch
/// syntax (`"a phrase"`, `-excluded`, `or`). Any such text is a valid query; one that holds no
/// word at all (`-`, `!!`) simply matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(String);

impl SearchQuery {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let words = raw.trim();
        let length = words.chars().count();
        if length == 0 {
            return Err(ValidationError::new(
                "Type something to search for.",
                "q: empty",
            ));
        }
        if length > Self::MAX_CHARS {
            return Err(ValidationError::new(
                format!(
                    "A search can be at most {} characters long.",
                    Self::MAX_CHARS
                ),
                format!("q: length {length} > {}", Self::MAX_CHARS),
            ));
        }
        if words.chars().any(is_forbidden_control) {
            return Err(ValidationError::new(
                "A search must not contain control characters.",
                "q: control character",
            ));
        }
        Ok(Self(words.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the previous page of results ended: its last post's relevance (the bits of the
/// `real` PostgreSQL computed, so that it round-trips exactly) and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchCursor {
    pub rank_bits: u32,
    pub id: i64,
}

impl SearchCursor {
    /// Every text [`SearchCursor::parse`] accepts, as a regex (for the API document).
    pub const PATTERN: &'static str = "^s[0-9a-f]{8}_[0-9]{1,18}$";

    pub fn after(rank: f32, id: i64) -> Self {
        Self {
            rank_bits: rank.to_bits(),
            id,
        }
    }

    pub fn rank(self) -> f32 {
        f32::from_bits(self.rank_bits)
    }

    /// Parses `s<8 hex digits of the rank's bits>_<id>`, as written by [`SearchCursor::encode`].
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "The page cursor is invalid for a search; start again from the first page.",
                format!("cursor: {raw:?} is not a search cursor"),
            )
        };
        let (bits, id) = raw
            .strip_prefix('s')
            .and_then(|key| key.split_once('_'))
            .ok_or_else(invalid)?;
        let is_lower_hex = |b: u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
        if bits.len() != 8 || !bits.bytes().all(is_lower_hex) {
            return Err(invalid());
        }
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        Ok(Self {
            rank_bits: u32::from_str_radix(bits, 16).map_err(|_| invalid())?,
            id: id.parse().map_err(|_| invalid())?,
        })
    }

    pub fn encode(self) -> String {
        format!("s{:08x}_{}", self.rank_bits, self.id)
    }
}

/// One page of results to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub query: SearchQuery,
    pub limit: PageLimit,
    pub after: Option<SearchCursor>,
}

impl SearchRequest {
    /// A search has one order (relevance), so `sort` is refused rather than ignored: a client
    /// that sends both would otherwise believe it got the order it asked for.
    pub fn parse(
        q: &str,
        sort: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Self, ValidationError> {
        if sort.is_some() {
            return Err(ValidationError::new(
                "Search results are ordered by relevance; leave out sort when searching.",
                "q: combined with sort",
            ));
        }
        Ok(Self {
            query: SearchQuery::parse(q)?,
            limit: PageLimit::parse(limit)?,
            after: cursor.map(SearchCursor::parse).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_trimmed_and_bounded() {
        assert_eq!(
            SearchQuery::parse("  harbour ").unwrap().as_str(),
            "harbour"
        );
        assert!(SearchQuery::parse("   ").is_err());
        assert!(SearchQuery::parse(&"ü".repeat(200)).is_ok());
        let long = SearchQuery::parse(&"ü".repeat(201)).unwrap_err();
        assert_eq!(long.internal_message, "q: length 201 > 200");
        assert!(SearchQuery::parse("a\0b").is_err());
    }

    #[test]
    fn sort_and_search_do_not_mix() {
        let error = SearchRequest::parse("harbour", Some("new"), None, None).unwrap_err();
        assert_eq!(error.internal_message, "q: combined with sort");
        assert!(SearchRequest::parse("harbour", None, Some(10), None).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_match_their_pattern() {
        let pattern = regex::Regex::new(SearchCursor::PATTERN).unwrap();
        for cursor in [
            SearchCursor::after(0.607_927_1, 42),
            SearchCursor::after(0.0, 0),
        ] {
            let text = cursor.encode();
            assert!(pattern.is_match(&text), "{text}");
            assert_eq!(SearchCursor::parse(&text).unwrap(), cursor);
            assert_eq!(SearchCursor::parse(&text).unwrap().rank(), cursor.rank());
        }
        for bad in [
            "",
            "s",
            "n17",
            "s3f1b_1",
            "s3F1B0000_1",
            "s3f1b0000_",
            "s3f1b0000_-1",
            "s3f1b0000_1234567890123456789",
            "t3_4",
        ] {
            assert!(SearchCursor::parse(bad).is_err(), "{bad:?}");
            assert!(!pattern.is_match(bad), "{bad:?}");
        }
    }
}
