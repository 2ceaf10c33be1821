//! A reader's report of a post (docs/API.md, "Moderation"): one of a few fixed reasons, and
//! an optional note for the moderator.

use super::{TextField, ValidationError};

/// Why a post was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportReason {
    Spam,
    Abuse,
    Illegal,
    Sexual,
    Other,
}

impl ReportReason {
    pub const ALL: [Self; 5] = [
        Self::Spam,
        Self::Abuse,
        Self::Illegal,
        Self::Sexual,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Abuse => "abuse",
            Self::Illegal => "illegal",
            Self::Sexual => "sexual",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|reason| reason.as_str()).collect();
                ValidationError::new(
                    format!("The reason must be one of: {}.", names.join(", ")),
                    format!("reason: {raw:?} is not one of {}", names.join("|")),
                )
            })
    }
}

/// A report's note: at most 500 characters, with the rules of a post's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportNote(String);

impl ReportNote {
    pub const MAX_CHARS: usize = 500;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A report as a reader sent it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub reason: ReportReason,
    pub note: Option<ReportNote>,
}

impl NewReport {
    /// A missing reason is refused; a missing or blank note means none (it is optional, and
    /// a reader who typed only spaces has nothing to add).
    pub fn parse(reason: Option<&str>, note: Option<&str>) -> Result<Self, ValidationError> {
        let reason = reason
            .ok_or_else(|| ValidationError::new("A reason is required.", "reason: missing"))?;
        Ok(Self {
            reason: ReportReason::parse(reason)?,
            note: TextField::Note.parse_optional(note)?.map(ReportNote),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_of_the_contract_parses_and_nothing_else() {
        for name in ["spam", "abuse", "illegal", "sexual", "other"] {
            assert_eq!(ReportReason::parse(name).unwrap().as_str(), name);
        }
        for bad in ["", "Spam", "spam ", "rude"] {
            let error = ReportReason::parse(bad).unwrap_err();
            assert_eq!(
                error.user_message,
                "The reason must be one of: spam, abuse, illegal, sexual, other."
            );
        }
    }

    #[test]
    fn a_note_is_optional_trimmed_and_at_most_500_characters() {
        let report = NewReport::parse(Some("spam"), None).unwrap();
        assert_eq!(report.note, None);
        assert_eq!(
            NewReport::parse(Some("spam"), Some("  \n ")).unwrap().note,
            None
        );
        let report = NewReport::parse(Some("abuse"), Some("  see the photo ")).unwrap();
        assert_eq!(report.note.unwrap().as_str(), "see the photo");
        assert!(NewReport::parse(Some("other"), Some(&"é".repeat(500))).is_ok());
        let error = NewReport::parse(Some("other"), Some(&"é".repeat(501))).unwrap_err();
        assert_eq!(error.user_message, "Note must be at most 500 characters.");
        let error = NewReport::parse(Some("other"), Some("a\0b")).unwrap_err();
        assert!(
            error
                .internal_message
                .starts_with("note: control character")
        );
    }

    #[test]
    fn a_reason_is_required() {
        let error = NewReport::parse(None, Some("why")).unwrap_err();
        assert_eq!(error.user_message, "A reason is required.");
    }
}
