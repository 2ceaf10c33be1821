//! A moderator's name, as the operator gives it to `postboard moderator add NAME`: it is what the
//! public moderation log shows, so it is short and plain.

use std::fmt;

use super::{Username, ValidationError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratorName(String);

impl ModeratorName {
    pub const MAX_CHARS: usize = 32;

    /// 1 to 32 characters: lowercase ASCII letters, digits, `_`, `.` and `-`, starting with a
    /// letter or a digit.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let plain = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        let valid = raw.len() <= Self::MAX_CHARS
            && raw.chars().next().is_some_and(plain)
            && raw
                .chars()
                .all(|c| plain(c) || matches!(c, '_' | '.' | '-'));
        if raw == Username::ANONYMOUS {
            // Every post without a name shows it: no moderator may be named so.
            Err(ValidationError::new(
                "A moderator can't be named anonymous: posts without a name show that.",
                "moderator: name \"anonymous\"",
            ))
        } else if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "A moderator's name is 1 to 32 lowercase letters, digits, '_', '.' or '-', \
                 starting with a letter or a digit.",
                format!("moderator: name {raw:?}"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModeratorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_short_names_only() {
        for good in ["ana", "mod-1", "j.doe", "x", &"a".repeat(32)] {
            assert_eq!(ModeratorName::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "anonymous",
            "Ana",
            "-ana",
            "ana smith",
            "änа",
            &"a".repeat(33),
            "ana\n",
        ] {
            assert!(ModeratorName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
