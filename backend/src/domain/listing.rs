//! Paging of the board: a sort order, a page size and a keyset cursor. A cursor names the
//! last post of the previous page, so pages stay stable while new posts arrive.

use super::{Post, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest first.
    #[default]
    New,
    /// Highest score first; ties newest first.
    Top,
}

impl Sort {
    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        match raw {
            None | Some("new") => Ok(Self::New),
            Some("top") => Ok(Self::Top),
            Some(other) => Err(ValidationError::new(
                "Sort must be \"new\" or \"top\".",
                format!("sort: unknown value {other:?}"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Top => "top",
        }
    }
}

/// Posts per page: 1..=200, 50 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u16);

impl PageLimit {
    pub const DEFAULT: u16 = 50;
    pub const MAX: u16 = 200;

    pub fn parse(raw: Option<i64>) -> Result<Self, ValidationError> {
        match raw {
            None => Ok(Self(Self::DEFAULT)),
            Some(n @ 1..=200) => Ok(Self(n as u16)),
            Some(n) => Err(ValidationError::new(
                format!("Limit must be between 1 and {}.", Self::MAX),
                format!("limit: {n} not in 1..={}", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

/// Where the previous page ended: the key of its last post in the page's sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// `id` of the last post (newest-first order).
    New { id: i64 },
    /// `score` and `id` of the last post (top order).
    Top { score: i64, id: i64 },
}

impl Cursor {
    /// The cursor continuing after `post` in `sort` order.
    pub fn after(post: &Post, sort: Sort) -> Self {
        match sort {
            Sort::New => Self::New { id: post.id },
            Sort::Top => Self::Top {
                score: post.score,
                id: post.id,
            },
        }
    }

    /// Parses the text form written by [`Cursor::encode`]: `ID` or `SCORE_ID`.
    pub fn parse(raw: &str, sort: Sort) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "The page cursor is invalid; start again from the first page.",
                format!("cursor: {raw:?} is not a {} cursor", sort.as_str()),
            )
        };
        match sort {
            Sort::New => raw
                .parse()
                .map(|id| Self::New { id })
                .map_err(|_| invalid()),
            Sort::Top => {
                let (score, id) = raw.split_once('_').ok_or_else(invalid)?;
                Ok(Self::Top {
                    score: score.parse().map_err(|_| invalid())?,
                    id: id.parse().map_err(|_| invalid())?,
                })
            }
        }
    }

    pub fn encode(self) -> String {
        match self {
            Self::New { id } => id.to_string(),
            Self::Top { score, id } => format!("{score}_{id}"),
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
    pub fn parse(
        sort: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let sort = Sort::parse(sort)?;
        Ok(Self {
            sort,
            limit: PageLimit::parse(limit)?,
            after: cursor.map(|c| Cursor::parse(c, sort)).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for (cursor, sort) in [
            (Cursor::New { id: 17 }, Sort::New),
            (Cursor::Top { score: -3, id: 9 }, Sort::Top),
        ] {
            assert_eq!(Cursor::parse(&cursor.encode(), sort).unwrap(), cursor);
        }
        assert!(Cursor::parse("abc", Sort::New).is_err());
        assert!(Cursor::parse("5", Sort::Top).is_err());
        assert!(Cursor::parse("5_x", Sort::Top).is_err());
        assert!(Sort::parse(Some("best")).is_err());
    }
}
