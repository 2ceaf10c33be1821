use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PostText, TextField, Title, Username, ValidationError};

/// A post as stored and as sent to clients (API.md's JSON).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Post {
    #[schema(example = 42)]
    pub id: i64,
    #[schema(example = "Hello")]
    pub title: String,
    #[schema(example = "Body text")]
    pub post: String,
    #[schema(example = "anonymous")]
    pub username: String,
    #[schema(example = 0)]
    pub score: i64,
    /// Lowercase hex SHA-256 of the image bytes; `null` when the post has no image.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub image_hash: Option<String>,
    /// The image's width as displayed (orientation applied), in pixels; `null` without an
    /// image (and, until it is read, for an image stored before sizes were recorded).
    #[schema(example = 1280)]
    pub image_width: Option<i32>,
    /// The image's height as displayed, in pixels; `null` like `image_width`.
    #[schema(example = 960)]
    pub image_height: Option<i32>,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// The post's rank in the `hot` order (score and age combined); not sent to clients, it
    /// only positions the `hot` page cursor.
    #[serde(skip)]
    pub hot: f64,
}

/// The same text as chrono's own `Serialize`, built in one piece: chrono hands it to
/// serde_json one character at a time, a visible cost on a page of 50 posts (BENCHMARKS.md).
fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// The text of a post that passed every rule and is ready to be inserted.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: Title,
    pub text: PostText,
    pub username: Username,
}

impl NewPost {
    /// Checks the three text fields as received; `None` means the field was not sent.
    pub fn parse(
        title: Option<&str>,
        text: Option<&str>,
        username: Option<&str>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            title: Title::parse(title.ok_or_else(|| TextField::Title.missing())?)?,
            text: PostText::parse(text.ok_or_else(|| TextField::Post.missing())?)?,
            username: Username::parse(username)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn created_at_as_written(at: DateTime<Utc>) -> serde_json::Value {
        let post = Post {
            id: 1,
            title: "t".into(),
            post: "p".into(),
            username: "u".into(),
            score: 0,
            image_hash: None,
            image_width: None,
            image_height: None,
            created_at: at,
            hot: 0.0,
        };
        serde_json::to_value(&post).unwrap()["created_at"].take()
    }

    #[test]
    fn created_at_is_written_exactly_as_chrono_writes_it() {
        let second = Utc.with_ymd_and_hms(2026, 11, 26, 23, 5, 9).unwrap();
        for nanos in [0, 120_000_000, 123_456_000, 1_000, 999_999_000] {
            let at = second + chrono::Duration::nanoseconds(nanos);
            let chrono_text = serde_json::to_value(at).unwrap();
            assert_eq!(created_at_as_written(at), chrono_text, "{nanos} ns");
        }
        let at = Utc.timestamp_opt(1_700_000_000, 5_000).unwrap();
        assert_eq!(created_at_as_written(at), "2023-11-14T22:13:20.000005Z");
    }
}
