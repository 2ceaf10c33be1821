//! `PUBLIC_URL`: the board's address as its users reach it, for the absolute URLs that leave
//! the app (feed entries, link previews, canonical links).

/// An `http` or `https` URL without query, fragment or credentials, kept without its trailing
/// slash so that `join("/p/1")` makes one URL whatever the operator typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

#[derive(Debug, thiserror::Error)]
pub enum PublicUrlError {
    #[error("not a URL: {0}")]
    Syntax(#[from] url::ParseError),
    #[error("must be an http:// or https:// URL without user, query or fragment")]
    Shape,
}

impl std::str::FromStr for PublicUrl {
    type Err = PublicUrlError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl PublicUrl {
    pub fn parse(raw: &str) -> Result<Self, PublicUrlError> {
        let url = url::Url::parse(raw.trim())?;
        let plain = matches!(url.scheme(), "http" | "https")
            && url.has_host()
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none();
        if !plain {
            return Err(PublicUrlError::Shape);
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    /// The absolute URL of `path`, which starts with `/` (a path of the app's own).
    pub fn join(&self, path: &str) -> String {
        debug_assert!(path.starts_with('/'), "{path}");
        format!("{}{path}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_one_slash_whatever_was_typed() {
        for raw in ["https://board.example", "https://board.example/"] {
            let url = PublicUrl::parse(raw).unwrap();
            assert_eq!(url.join("/p/7"), "https://board.example/p/7");
        }
        let prefixed = PublicUrl::parse("https://example.org/board/").unwrap();
        assert_eq!(
            prefixed.join("/feed.atom"),
            "https://example.org/board/feed.atom"
        );
        assert_eq!(
            PublicUrl::parse("HTTP://Board.Example:8080")
                .unwrap()
                .as_str(),
            "http://board.example:8080"
        );
    }

    #[test]
    fn refuses_what_cannot_prefix_a_path() {
        for raw in [
            "",
            "board.example",
            "ftp://board.example",
            "https://user:pw@board.example",
            "https://board.example/?a=1",
            "https://board.example/#top",
            "javascript:alert(1)",
        ] {
            assert!(PublicUrl::parse(raw).is_err(), "{raw}");
        }
    }
}
