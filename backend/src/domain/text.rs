//! The three text fields of a post. Lengths count Unicode scalar values, after trimming.

use super::ValidationError;

/// Trims `raw` and checks its length in characters; `label` names the field for users.
fn bounded(raw: &str, field: &str, label: &str, max: usize) -> Result<String, ValidationError> {
    let trimmed = raw.trim();
    let length = trimmed.chars().count();
    if length == 0 {
        return Err(ValidationError::new(
            format!("{label} must not be empty."),
            format!("{field}: empty after trimming"),
        ));
    }
    if length > max {
        return Err(ValidationError::new(
            format!("{label} must be at most {max} characters."),
            format!("{field}: length {length} > {max}"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A post's title: 1..=100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        bounded(raw, "title", "Title", Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post's text: 1..=10000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostText(String);

impl PostText {
    pub const MAX_CHARS: usize = 10_000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        bounded(raw, "post", "Text", Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who posted: at most 50 characters; empty or absent means `anonymous`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 50;
    pub const ANONYMOUS: &'static str = "anonymous";

    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(Self(Self::ANONYMOUS.to_owned())),
            Some(name) => bounded(name, "username", "Username", Self::MAX_CHARS).map(Self),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_counted_in_characters_not_bytes() {
        assert_eq!(Title::parse("  Hello \n").unwrap().as_str(), "Hello");
        // 100 two-byte characters (200 bytes) fit; 101 do not.
        let at_limit = "é".repeat(100);
        assert_eq!(Title::parse(&at_limit).unwrap().as_str(), at_limit);
        let err = Title::parse(&"é".repeat(101)).unwrap_err();
        assert_eq!(err.user_message, "Title must be at most 100 characters.");
        assert_eq!(err.internal_message, "title: length 101 > 100");
        // Four-byte emoji count once each.
        assert!(Title::parse(&"🦀".repeat(100)).is_ok());
        assert!(Title::parse(&"🦀".repeat(101)).is_err());
    }

    #[test]
    fn blank_title_and_text_are_refused() {
        assert_eq!(
            Title::parse(" \t ").unwrap_err().user_message,
            "Title must not be empty."
        );
        assert_eq!(
            PostText::parse("").unwrap_err().internal_message,
            "post: empty after trimming"
        );
    }

    #[test]
    fn text_allows_ten_thousand_characters() {
        assert!(PostText::parse(&"ж".repeat(10_000)).is_ok());
        assert_eq!(
            PostText::parse(&"ж".repeat(10_001))
                .unwrap_err()
                .internal_message,
            "post: length 10001 > 10000"
        );
    }

    #[test]
    fn username_defaults_to_anonymous_and_is_bounded() {
        assert_eq!(Username::parse(None).unwrap().as_str(), "anonymous");
        assert_eq!(Username::parse(Some("   ")).unwrap().as_str(), "anonymous");
        assert_eq!(Username::parse(Some(" ada ")).unwrap().as_str(), "ada");
        assert!(Username::parse(Some(&"ü".repeat(50))).is_ok());
        assert_eq!(
            Username::parse(Some(&"ü".repeat(51)))
                .unwrap_err()
                .user_message,
            "Username must be at most 50 characters."
        );
    }
}
