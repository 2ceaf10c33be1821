//! Paging of the board: a sort order, a page size and a keyset cursor. A cursor names the
//! last post of the previous page, so pages stay stable while new posts arrive.

use super::{Post, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sort {
    /// Newest first.
    #[default]
    New,
    /// Highest score first; ties newest first.
    Top,
    /// Score and age combined (see the migration's `post_hotness`); ties newest first.
    Hot,
}

impl Sort {
    pub const ALL: [Self; 3] = [Self::New, Self::Top, Self::Hot];

    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        match raw {
            None | Some("new") => Ok(Self::New),
            Some("top") => Ok(Self::Top),
            Some("hot") => Ok(Self::Hot),
            Some(other) => Err(ValidationError::new(
                "Sort must be \"new\", \"top\" or \"hot\".",
                format!("sort: unknown value {other:?}"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Top => "top",
            Self::Hot => "hot",
        }
    }
}

/// Posts per page: 1..=200, 50 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u16);

impl PageLimit {
    pub const DEFAULT: u16 = 50;
    pub const MIN: u16 = 1;
    pub const MAX: u16 = 200;

    pub fn parse(raw: Option<i64>) -> Result<Self, ValidationError> {
        match raw {
            None => Ok(Self(Self::DEFAULT)),
            Some(n) if (i64::from(Self::MIN)..=i64::from(Self::MAX)).contains(&n) => {
                Ok(Self(n as u16))
            }
            Some(n) => Err(ValidationError::new(
                format!("Limit must be between {} and {}.", Self::MIN, Self::MAX),
                format!("limit: {n} not in {}..={}", Self::MIN, Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// Where the previous page ended: the key of its last post in the page's sort order. The
/// cursor names its order, so it continues the listing it came from whatever `sort` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// `id` of the last post (newest-first order).
    New { id: i64 },
    /// `score` and `id` of the last post (top order).
    Top { score: i64, id: i64 },
    /// The last post's `hot` rank (as the bits of the `f64`, so that it round-trips exactly
    /// and the cursor is `Eq`) and `id`.
    Hot { hot_bits: u64, id: i64 },
}

impl Cursor {
    /// Every text [`Cursor::parse`] accepts, as a regex (for the API document). Numbers have
    /// at most 18 digits, so that every one fits in an `i64`.
    pub const PATTERN: &'static str =
        "^(n[0-9]{1,18}|t-?[0-9]{1,18}_[0-9]{1,18}|h[0-9a-f]{16}_[0-9]{1,18})$";

    /// The cursor continuing after `post` in `sort` order.
    pub fn after(post: &Post, sort: Sort) -> Self {
        match sort {
            Sort::New => Self::New { id: post.id },
            Sort::Top => Self::Top {
                score: post.score,
                id: post.id,
            },
            Sort::Hot => Self::Hot {
                hot_bits: post.hot.to_bits(),
                id: post.id,
            },
        }
    }

    /// A cursor before every post in `sort` order: the first page is the page after it, so
    /// one query per order serves every page. (No post has the greatest `i64` as its id, nor
    /// an infinite rank.)
    pub fn before_first(sort: Sort) -> Self {
        match sort {
            Sort::New => Self::New { id: i64::MAX },
            Sort::Top => Self::Top {
                score: i64::MAX,
                id: i64::MAX,
            },
            Sort::Hot => Self::Hot {
                hot_bits: f64::INFINITY.to_bits(),
                id: i64::MAX,
            },
        }
    }

    /// The order this cursor continues.
    pub fn sort(self) -> Sort {
        match self {
            Self::New { .. } => Sort::New,
            Self::Top { .. } => Sort::Top,
            Self::Hot { .. } => Sort::Hot,
        }
    }

    /// Parses the text form written by [`Cursor::encode`]: `n<ID>`, `t<SCORE>_<ID>` or
    /// `h<16 hex digits of the rank's bits>_<ID>`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "The page cursor is invalid; start again from the first page.",
                format!("cursor: {raw:?} is not a cursor"),
            )
        };
        let digits = |text: &str, signed: bool| -> Result<i64, ValidationError> {
            let unsigned = if signed {
                text.strip_prefix('-').unwrap_or(text)
            } else {
                text
            };
            if unsigned.is_empty()
                || unsigned.len() > 18
                || !unsigned.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(invalid());
            }
            text.parse().map_err(|_| invalid())
        };
        if let Some(id) = raw.strip_prefix('n') {
            return Ok(Self::New {
                id: digits(id, false)?,
            });
        }
        if let Some(key) = raw.strip_prefix('h') {
            let (bits, id) = key.split_once('_').ok_or_else(invalid)?;
            if bits.len() != 16 || !bits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return Err(invalid());
            }
            return Ok(Self::Hot {
                hot_bits: u64::from_str_radix(bits, 16).map_err(|_| invalid())?,
                id: digits(id, false)?,
            });
        }
        if let Some(key) = raw.strip_prefix('t') {
            let (score, id) = key.split_once('_').ok_or_else(invalid)?;
            return Ok(Self::Top {
                score: digits(score, true)?,
                id: digits(id, false)?,
            });
        }
        Err(invalid())
    }

    pub fn encode(self) -> String {
        match self {
            Self::New { id } => format!("n{id}"),
            Self::Top { score, id } => format!("t{score}_{id}"),
            Self::Hot { hot_bits, id } => format!("h{hot_bits:016x}_{id}"),
        }
    }
}

/// One page to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub sort: Sort,
    pub limit: PageLimit,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Where the page starts: after the cursor given, or, for a first page, before every
    /// post ([`Cursor::before_first`]).
    pub fn start(&self) -> Cursor {
        self.after.unwrap_or(Cursor::before_first(self.sort))
    }

    /// A cursor decides the order (it continues its own listing); `sort` only picks the order
    /// of a first page.
    pub fn parse(
        sort: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let sort = Sort::parse(sort)?;
        let limit = PageLimit::parse(limit)?;
        let after = cursor.map(Cursor::parse).transpose()?;
        Ok(Self {
            sort: after.map_or(sort, Cursor::sort),
            limit,
            after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_page_starts_before_every_post_of_its_order() {
        for sort in Sort::ALL {
            let first = PageRequest::parse(Some(sort.as_str()), None, None).unwrap();
            assert_eq!(first.start(), Cursor::before_first(sort));
            assert_eq!(first.start().sort(), sort);
        }
        let Cursor::Hot { hot_bits, .. } = Cursor::before_first(Sort::Hot) else {
            unreachable!()
        };
        assert_eq!(f64::from_bits(hot_bits), f64::INFINITY);
        let next = PageRequest::parse(Some("hot"), None, Some("n42")).unwrap();
        assert_eq!(next.start(), Cursor::New { id: 42 });
    }

    #[test]
    fn defaults_are_newest_first_fifty() {
        let page = PageRequest::parse(None, None, None).unwrap();
        assert_eq!(page.sort, Sort::New);
        assert_eq!(page.limit.get(), 50);
        assert_eq!(page.after, None);
    }

    #[test]
    fn limit_edges() {
        assert_eq!(PageLimit::parse(Some(1)).unwrap().get(), 1);
        assert_eq!(PageLimit::parse(Some(200)).unwrap().get(), 200);
        assert!(PageLimit::parse(Some(0)).is_err());
        assert!(PageLimit::parse(Some(201)).is_err());
        assert!(PageLimit::parse(Some(-5)).is_err());
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        for cursor in [
            Cursor::New { id: 17 },
            Cursor::Top { score: -3, id: 9 },
            Cursor::Top {
                score: 999_999_999_999_999_999,
                id: 1,
            },
            Cursor::Hot {
                hot_bits: 39_123.456_f64.to_bits(),
                id: 77,
            },
        ] {
            assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), cursor);
        }
        for bad in [
            "",
            "abc",
            "17",
            "5_3",
            "n",
            "n-1",
            "nx",
            "t5",
            "t5_x",
            "t-_1",
            "t5_-1",
            "n1234567890123456789",
            "h40e31a0e978d4fdf",
            "h40E31A0E978D4FDF_1",
            "h1_1",
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Sort::parse(Some("best")).is_err());
    }

    #[test]
    fn the_pattern_describes_exactly_the_cursors_that_parse() {
        let pattern = regex::Regex::new(Cursor::PATTERN).unwrap();
        for text in [
            "n0",
            "n17",
            "t-3_9",
            "t0_0",
            "t999999999999999999_1",
            "",
            "17",
            "n-1",
            "t5",
            "t5_-1",
            "n1234567890123456789",
            "x1",
            "n1 ",
            "t--1_2",
        ] {
            assert_eq!(
                pattern.is_match(text),
                Cursor::parse(text).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_cursor_continues_its_own_order() {
        let page = PageRequest::parse(Some("new"), None, Some("t4_2")).unwrap();
        assert_eq!(page.sort, Sort::Top);
        assert_eq!(page.after, Some(Cursor::Top { score: 4, id: 2 }));
    }
}
