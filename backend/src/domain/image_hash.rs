use std::fmt;

use sha2::{Digest, Sha256};

use super::ValidationError;

/// The lowercase hex SHA-256 of an image's bytes: its identity and its object-storage key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageHash(String);

impl ImageHash {
    /// What a hash looks like, as a regex (for the API document).
    pub const PATTERN: &'static str = "^[0-9a-f]{64}$";

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let valid = raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "An image hash is 64 lowercase hexadecimal characters.",
                format!(
                    "image_hash: not 64 lowercase hex chars (got {} chars)",
                    raw.len()
                ),
            ))
        }
    }

    pub fn from_digest(digest: Sha256) -> Self {
        Self(hex::encode(digest.finalize()))
    }

    pub fn of(bytes: &[u8]) -> Self {
        Self::from_digest(Sha256::new_with_prefix(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_known_bytes() {
        assert_eq!(
            ImageHash::of(b"test").as_str(),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }

    #[test]
    fn only_64_lowercase_hex_characters_parse() {
        let good = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(ImageHash::parse(good).is_ok());
        assert!(ImageHash::parse(&good.to_uppercase()).is_err());
        assert!(ImageHash::parse(&good[..63]).is_err());
        assert!(ImageHash::parse(&format!("{good}0")).is_err());
        assert!(ImageHash::parse(&good.replace('a', "g")).is_err());
        assert!(ImageHash::parse("../../etc/passwd").is_err());
    }
}
