//! The three text fields of a post. Lengths count Unicode scalar values, after trimming.
//! Control characters other than tab, LF and CR are refused, never removed: text is stored
//! exactly as sent (less the trimmed whitespace), and PostgreSQL cannot store NUL at all.
//!
//! A title and a username are also what a reader takes for who posted and what it is, so they
//! may not deceive: text direction controls are refused (through U+202E, "Invoice\u{202E}fdp.exe"
//! shows as "Invoiceexe.pdf"), and one made only of invisible characters counts as empty.

use std::ops::RangeInclusive;

use super::ValidationError;

/// Whether `c` is a C0 control character a text field may not hold (all but tab, LF, CR).
pub fn is_forbidden_control(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\n' | '\r')
}

/// The bidirectional embedding, override and isolate controls, which a title or a username may
/// not hold: they show the text in another order than it is written.
pub const BIDI_CONTROLS: [RangeInclusive<char>; 2] =
    ['\u{202A}'..='\u{202E}', '\u{2066}'..='\u{2069}'];

/// Characters of the Basic Multilingual Plane that draw nothing (format characters, fillers,
/// variation selectors): a title or a username made only of these and whitespace shows blank.
/// They stay allowed next to visible ones (a zero-width joiner inside an emoji sequence).
pub const INVISIBLE: [RangeInclusive<char>; 15] = [
    '\u{00AD}'..='\u{00AD}', // soft hyphen
    '\u{034F}'..='\u{034F}', // combining grapheme joiner
    '\u{061C}'..='\u{061C}', // Arabic letter mark
    '\u{115F}'..='\u{1160}', // Hangul choseong and jungseong fillers
    '\u{17B4}'..='\u{17B5}', // Khmer inherent vowels
    '\u{180B}'..='\u{180F}', // Mongolian variation selectors and vowel separator
    '\u{200B}'..='\u{200F}', // zero width space, non-joiner, joiner; LRM, RLM
    '\u{2060}'..='\u{2064}', // word joiner, invisible operators
    '\u{206A}'..='\u{206F}', // deprecated format characters
    '\u{2800}'..='\u{2800}', // braille blank
    '\u{3164}'..='\u{3164}', // Hangul filler
    '\u{FE00}'..='\u{FE0F}', // variation selectors
    '\u{FEFF}'..='\u{FEFF}', // zero width no-break space (BOM)
    '\u{FFA0}'..='\u{FFA0}', // halfwidth Hangul filler
    '\u{FFF9}'..='\u{FFFB}', // interlinear annotation
];

pub fn is_bidi_control(c: char) -> bool {
    BIDI_CONTROLS.iter().any(|range| range.contains(&c))
}

pub fn is_invisible(c: char) -> bool {
    INVISIBLE.iter().any(|range| range.contains(&c))
}

/// The text fields of a post (and a report's note, held to the same rules), with what the
/// contract says of each: one place for the names, labels and limits that validation, the
/// HTTP layer and the OpenAPI document use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Title,
    Post,
    Username,
    /// A report's note (see `report`).
    Note,
    /// Why a moderator acted (see `moderation`).
    Reason,
}

impl TextField {
    /// A post's fields, in the form's order.
    pub const ALL: [Self; 3] = [Self::Title, Self::Post, Self::Username];

    /// The form field's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Post => "post",
            Self::Username => "username",
            Self::Note => "note",
            Self::Reason => "reason",
        }
    }

    /// How users call the field.
    pub fn label(self) -> &'static str {
        match self {
            Self::Title => "Title",
            Self::Post => "Text",
            Self::Username => "Username",
            Self::Note => "Note",
            Self::Reason => "Reason",
        }
    }

    /// Most characters (Unicode scalar values) after trimming.
    pub fn max_chars(self) -> usize {
        match self {
            Self::Title => Title::MAX_CHARS,
            Self::Post => PostText::MAX_CHARS,
            Self::Username => Username::MAX_CHARS,
            Self::Note | Self::Reason => super::ReportNote::MAX_CHARS,
        }
    }

    /// Whether a post needs the field (a missing username means anonymous).
    pub fn required(self) -> bool {
        !matches!(self, Self::Username | Self::Note)
    }

    /// Whether the field names a post or its author, and so may not deceive (see the module).
    pub fn shown_as_a_name(self) -> bool {
        matches!(self, Self::Title | Self::Username)
    }

    /// Whether `text` shows nothing: only whitespace, and for a name only whitespace and
    /// invisible characters.
    fn shows_nothing(self, text: &str) -> bool {
        text.chars()
            .all(|c| c.is_whitespace() || (self.shown_as_a_name() && is_invisible(c)))
    }

    pub fn too_long(self, detail: impl std::fmt::Display) -> ValidationError {
        ValidationError::new(
            format!(
                "{} must be at most {} characters.",
                self.label(),
                self.max_chars()
            ),
            format!("{}: {detail}", self.name()),
        )
    }

    pub fn missing(self) -> ValidationError {
        ValidationError::new(
            format!("{} is required.", self.label()),
            format!("{}: missing", self.name()),
        )
    }

    /// An optional field: absent or blank (whitespace only, no control characters) is
    /// `None`; anything else is checked like a required field.
    pub(super) fn parse_optional(
        self,
        raw: Option<&str>,
    ) -> Result<Option<String>, ValidationError> {
        match raw {
            None => Ok(None),
            Some(text)
                if self.shows_nothing(text)
                    && !text
                        .chars()
                        .any(|c| is_forbidden_control(c) || is_bidi_control(c)) =>
            {
                Ok(None)
            }
            Some(text) => self.parse(text).map(Some),
        }
    }

    /// Trims `raw` and checks its characters and length.
    pub(super) fn parse(self, raw: &str) -> Result<String, ValidationError> {
        let (field, label) = (self.name(), self.label());
        if let Some((position, c)) = raw
            .chars()
            .enumerate()
            .find(|(_, c)| is_forbidden_control(*c))
        {
            return Err(ValidationError::new(
                format!("{label} must not contain control characters (such as NUL)."),
                format!(
                    "{field}: control character U+{:04X} at character {position}",
                    u32::from(c)
                ),
            ));
        }
        if self.shown_as_a_name()
            && let Some((position, c)) = raw.chars().enumerate().find(|(_, c)| is_bidi_control(*c))
        {
            return Err(ValidationError::new(
                format!(
                    "{label} must not contain text direction controls (U+202A to U+202E, U+2066 to U+2069)."
                ),
                format!(
                    "{field}: text direction control U+{:04X} at character {position}",
                    u32::from(c)
                ),
            ));
        }
        let trimmed = raw.trim();
        let length = trimmed.chars().count();
        if self.shows_nothing(trimmed) {
            let why = if length == 0 {
                "empty after trimming"
            } else {
                "only invisible characters"
            };
            return Err(ValidationError::new(
                format!("{label} must not be empty."),
                format!("{field}: {why}"),
            ));
        }
        if length > self.max_chars() {
            return Err(self.too_long(format_args!("length {length} > {}", self.max_chars())));
        }
        Ok(trimmed.to_owned())
    }
}

/// A post's title: 1..=100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        TextField::Title.parse(raw).map(Self)
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
        TextField::Post.parse(raw).map(Self)
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
        let name = TextField::Username.parse_optional(raw)?;
        Ok(Self(name.unwrap_or_else(|| Self::ANONYMOUS.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_refuse_text_direction_controls_and_the_post_text_keeps_them() {
        for c in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            let spoof = format!("Invoice{c}fdp.exe");
            let error = Title::parse(&spoof).unwrap_err();
            assert_eq!(
                error.user_message,
                "Title must not contain text direction controls (U+202A to U+202E, U+2066 to U+2069)."
            );
            assert_eq!(
                error.internal_message,
                format!(
                    "title: text direction control U+{:04X} at character 7",
                    u32::from(c)
                )
            );
            let error = Username::parse(Some(&format!("nimda{c}"))).unwrap_err();
            assert!(
                error
                    .user_message
                    .starts_with("Username must not contain text direction")
            );
            assert!(
                PostText::parse(&spoof).is_ok(),
                "a post's text may quote such text"
            );
        }
        // A lone control is refused too, not taken for a blank (anonymous) name.
        assert!(Username::parse(Some("\u{202E}")).is_err());
        // Marks that only set a direction (LRM, RLM, ALM) are invisible, not controls.
        assert_eq!(
            Title::parse("\u{200F}שלום").unwrap().as_str(),
            "\u{200F}שלום"
        );
    }

    #[test]
    fn a_name_of_invisible_characters_only_is_empty() {
        for blank in [
            "\u{200B}",
            "\u{3164}",
            "\u{FEFF}\u{200D}",
            " \u{2800} \u{115F} ",
            "\u{00AD}",
        ] {
            let error = Title::parse(blank).unwrap_err();
            assert_eq!(error.user_message, "Title must not be empty.");
            assert_eq!(error.internal_message, "title: only invisible characters");
            assert_eq!(Username::parse(Some(blank)).unwrap().as_str(), "anonymous");
            assert!(
                PostText::parse(blank).is_ok(),
                "{blank:?}: the text has no such rule"
            );
        }
        // Next to a visible character they stay: an emoji sequence joins with U+200D.
        assert_eq!(
            Title::parse("👩\u{200D}💻").unwrap().as_str(),
            "👩\u{200D}💻"
        );
        assert_eq!(
            Username::parse(Some("a\u{200B}b")).unwrap().as_str(),
            "a\u{200B}b"
        );
    }

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
    fn control_characters_other_than_tab_and_newlines_are_refused() {
        let err = Title::parse("a\0b").unwrap_err();
        assert_eq!(
            err.user_message,
            "Title must not contain control characters (such as NUL)."
        );
        assert_eq!(
            err.internal_message,
            "title: control character U+0000 at character 1"
        );
        assert!(PostText::parse("bell\u{7}").is_err());
        assert!(Username::parse(Some("esc\u{1b}[31m")).is_err());
        assert!(PostText::parse("tab\tand\r\nlines").is_ok());
        // DEL and C1 controls are not C0: kept as sent.
        assert!(PostText::parse("del\u{7f} c1\u{85}").is_ok());
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
