//! What a read of the board must already show. With a read replica (`DATABASE_REPLICA_URL`),
//! the board is read from a copy that lags the primary a little; a reader who has just
//! written (a post, a vote, a delete) must still see their write. Each successful write
//! answers with a cookie holding its time, and reads that carry it are served only by a copy
//! that has replayed every commit up to that time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far the clocks of two replicas of the app may differ: a write's time comes from the
/// replica that took it, a copy's freshness from the one reading.
pub const CLOCK_MARGIN: Duration = Duration::from_millis(500);

/// How recent the data behind a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Any copy within the replica's allowed lag will do.
    Any,
    /// The reader wrote at this time (by the clock of the replica that took the write): the
    /// copy must hold every commit made until then.
    SinceWrite(SystemTime),
}

impl Freshness {
    /// The cookie value for a write made at `at`: milliseconds since the Unix epoch.
    pub fn cookie_value(at: SystemTime) -> String {
        let millis = at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        millis.to_string()
    }

    /// Reads a cookie value made by [`Freshness::cookie_value`]. Anything else (a mangled or
    /// hand-made cookie) asks for nothing in particular: the cookie only ever makes reads
    /// fresher, so a bad one can't do harm, and refusing the request for it would help no one.
    pub fn from_cookie_value(value: &str) -> Self {
        match value.parse::<u64>() {
            Ok(millis) if value.len() <= 16 => {
                Freshness::SinceWrite(UNIX_EPOCH + Duration::from_millis(millis))
            }
            _ => Freshness::Any,
        }
    }

    /// Whether a copy that holds every commit made until `replayed_until` may serve this read,
    /// allowing [`CLOCK_MARGIN`] for the clocks of the replicas to differ.
    pub fn satisfied_by(self, replayed_until: SystemTime) -> bool {
        match self {
            Freshness::Any => true,
            Freshness::SinceWrite(wrote_at) => replayed_until >= wrote_at + CLOCK_MARGIN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_value_reads_back_as_the_time_of_the_write_to_the_millisecond() {
        let at = UNIX_EPOCH + Duration::from_millis(1_796_000_123_456);
        assert_eq!(Freshness::cookie_value(at), "1796000123456");
        assert_eq!(
            Freshness::from_cookie_value("1796000123456"),
            Freshness::SinceWrite(at)
        );
    }

    #[test]
    fn a_cookie_value_that_is_not_a_time_asks_for_nothing() {
        for value in ["", "abc", "-5", "1.5", "99999999999999999999", " 12"] {
            assert_eq!(
                Freshness::from_cookie_value(value),
                Freshness::Any,
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_writer_is_served_only_by_a_copy_that_replayed_past_the_write_and_the_margin() {
        let wrote = UNIX_EPOCH + Duration::from_secs(1000);
        let read = Freshness::SinceWrite(wrote);
        assert!(!read.satisfied_by(wrote));
        assert!(!read.satisfied_by(wrote + CLOCK_MARGIN - Duration::from_millis(1)));
        assert!(read.satisfied_by(wrote + CLOCK_MARGIN));
        assert!(Freshness::Any.satisfied_by(UNIX_EPOCH));
    }
}
