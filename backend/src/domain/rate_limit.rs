//! Rate limits: how many creates or votes one client may make per period, in the syntax of
//! `RATE_LIMIT_POSTS` / `RATE_LIMIT_VOTES`: `N/period` (`20/10m`, `300/1m`, `1/1s`) or `off`.

use std::{fmt, str::FromStr, time::Duration};

/// What a limit counts. Each has its own budget per client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitScope {
    /// `POST /post`.
    Posts,
    /// `POST /update-post-score`.
    Votes,
    /// `POST /post/{id}/report`.
    Reports,
}

impl RateLimitScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Posts => "posts",
            Self::Votes => "votes",
            Self::Reports => "reports",
        }
    }
}

/// At most `count` requests per `period` for one client (a burst of `count`, then one every
/// `period / count`), or no limit at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    Off,
    PerPeriod {
        count: u32,
        period: Duration,
        /// As written (`10m`), for messages.
        amount: u32,
        unit: PeriodUnit,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodUnit {
    Seconds,
    Minutes,
    Hours,
}

impl PeriodUnit {
    fn seconds(self) -> u64 {
        match self {
            Self::Seconds => 1,
            Self::Minutes => 60,
            Self::Hours => 3600,
        }
    }

    fn suffix(self) -> char {
        match self {
            Self::Seconds => 's',
            Self::Minutes => 'm',
            Self::Hours => 'h',
        }
    }
}

/// The generic cell rate algorithm's two numbers, in microseconds (PostgreSQL's resolution).
/// A client's state is its "theoretical arrival time" `tat`: a request at `now` is allowed
/// when `max(tat, now) - now <= tolerance`, and then moves `tat` to `max(tat, now) + interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// `period / count`: the time one request uses up.
    pub interval_micros: i64,
    /// `period - interval`: how far ahead of now `tat` may be; `count` requests in a burst.
    pub tolerance_micros: i64,
}

/// Largest `N`.
pub const MAX_COUNT: u32 = 1_000_000;
/// Longest period: a week. Longer ones would keep a client's row for as long.
pub const MAX_PERIOD: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0}; expected N/period with a period in s, m or h (such as 20/10m, 300/1m or 1/1s), or off"
)]
pub struct RateLimitSyntaxError(String);

impl RateLimit {
    pub fn parse(raw: &str) -> Result<Self, RateLimitSyntaxError> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") {
            return Ok(Self::Off);
        }
        let error = |reason: &str| RateLimitSyntaxError(reason.to_owned());
        let (count, period) = raw.split_once('/').ok_or_else(|| error("no '/'"))?;
        let count = whole_number(count)
            .ok_or_else(|| error("N must be a whole number from 1 to 1000000"))?;
        if count == 0 {
            return Err(error(
                "N must be at least 1 (to turn the limit off, write off)",
            ));
        }
        if count > MAX_COUNT {
            return Err(error("N must be a whole number from 1 to 1000000"));
        }
        let unit = match period.chars().last() {
            Some('s') => PeriodUnit::Seconds,
            Some('m') => PeriodUnit::Minutes,
            Some('h') => PeriodUnit::Hours,
            _ => return Err(error("the period must end in s, m or h")),
        };
        let amount = whole_number(&period[..period.len() - 1])
            .ok_or_else(|| error("the period must be a whole number followed by s, m or h"))?;
        if amount == 0 {
            return Err(error("the period must be longer than 0"));
        }
        let period = Duration::from_secs(u64::from(amount) * unit.seconds());
        if period > MAX_PERIOD {
            return Err(error("the period must be at most a week (168h)"));
        }
        Ok(Self::PerPeriod {
            count,
            period,
            amount,
            unit,
        })
    }

    /// The algorithm's parameters; `None` when the limit is off.
    pub fn gcra(&self) -> Option<Gcra> {
        match *self {
            Self::Off => None,
            Self::PerPeriod { count, period, .. } => {
                let period = period.as_micros() as i64;
                // Rounded down, so that `count` intervals always fit in the period.
                let interval_micros = period / i64::from(count);
                Some(Gcra {
                    interval_micros,
                    tolerance_micros: period - interval_micros,
                })
            }
        }
    }
}

/// Digits only: no sign, no blanks, no `_`.
fn whole_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl FromStr for RateLimit {
    type Err = RateLimitSyntaxError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::PerPeriod {
                count,
                amount,
                unit,
                ..
            } => write!(f, "{count}/{amount}{}", unit.suffix()),
        }
    }
}

/// A wait as the `Retry-After` header gives it: whole seconds, rounded up, at least 1 (a
/// client told 0 would retry at once and be refused again).
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(raw: &str) -> (u32, Duration) {
        match RateLimit::parse(raw).unwrap() {
            RateLimit::PerPeriod { count, period, .. } => (count, period),
            RateLimit::Off => panic!("{raw} is off"),
        }
    }

    #[test]
    fn the_documented_examples_parse() {
        assert_eq!(limit("20/10m"), (20, Duration::from_secs(600)));
        assert_eq!(limit("300/1m"), (300, Duration::from_secs(60)));
        assert_eq!(limit("6/10m"), (6, Duration::from_secs(600)));
        assert_eq!(limit("1/1s"), (1, Duration::from_secs(1)));
        assert_eq!(limit("6/1h"), (6, Duration::from_secs(3600)));
        assert_eq!(limit(" 5/30s "), (5, Duration::from_secs(30)));
        assert_eq!(limit("1000000/168h"), (1_000_000, MAX_PERIOD));
        assert_eq!(RateLimit::parse("off").unwrap(), RateLimit::Off);
        assert_eq!(RateLimit::parse("OFF").unwrap(), RateLimit::Off);
        for text in ["20/10m", "300/1m", "1/1s", "7/2h", "off"] {
            assert_eq!(RateLimit::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_expected_syntax() {
        for bad in [
            "",
            "20",
            "20/",
            "/10m",
            "20/10",
            "20/m",
            "20/10d",
            "20/10 m",
            "20 /10m",
            "+5/1m",
            "-5/1m",
            "5.5/1m",
            "0/1m",
            "5/0s",
            "1000001/1h",
            "5/169h",
            "5/1_0m",
            "five/1m",
            "20/10m/1",
            "on",
            "none",
            "4294967296/1h",
        ] {
            let error = RateLimit::parse(bad).expect_err(bad);
            assert!(error.to_string().contains("N/period"), "{bad}: {error}");
        }
        assert!(
            RateLimit::parse("0/1m")
                .unwrap_err()
                .to_string()
                .contains("off")
        );
    }

    #[test]
    fn gcra_parameters() {
        assert_eq!(RateLimit::Off.gcra(), None);
        let gcra = RateLimit::parse("20/10m").unwrap().gcra().unwrap();
        assert_eq!(gcra.interval_micros, 30_000_000);
        assert_eq!(gcra.tolerance_micros, 570_000_000);
        let one = RateLimit::parse("1/1s").unwrap().gcra().unwrap();
        assert_eq!((one.interval_micros, one.tolerance_micros), (1_000_000, 0));
        // A period that N does not divide: N intervals still fit in it, so a burst of N passes.
        let seven = RateLimit::parse("7/1s").unwrap().gcra().unwrap();
        assert_eq!(seven.interval_micros, 142_857);
        assert!(7 * seven.interval_micros <= 1_000_000);
        assert!(6 * seven.interval_micros <= seven.tolerance_micros);
        assert!(7 * seven.interval_micros > seven.tolerance_micros);
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_micros(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(599)), 599);
        assert_eq!(retry_after_seconds(Duration::from_micros(599_000_001)), 600);
    }
}
