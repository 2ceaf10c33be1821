//! Bearer tokens, handed out once and kept only as a hash: a post's delete token (the key that
//! lets an anonymous poster take their post back, in the answer to the create) and a
//! moderator's token (printed once by `postboard moderator add`).

use std::fmt;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in a token: 256 bits, far beyond guessing.
pub const DELETE_TOKEN_BYTES: usize = 32;
/// Characters of a token: 32 bytes in base64url without padding.
pub const DELETE_TOKEN_LEN: usize = 43;

/// A new post's delete token: [`DELETE_TOKEN_BYTES`] bytes from the operating system's CSPRNG,
/// base64url without padding. Its `Debug` output never shows it, so no log line can carry it.
pub struct DeleteToken(String);

/// [`DELETE_TOKEN_BYTES`] random bytes from the operating system, in base64url.
fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; DELETE_TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What both kinds of token share: made the same way, hashed the same way for the database,
/// and never shown by `Debug`.
macro_rules! secret_token {
    ($token:ident) => {
        impl $token {
            /// A fresh token; fails only when the operating system's random source does.
            pub fn generate() -> Result<Self, getrandom::Error> {
                random_token().map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// What the database keeps instead of the token.
            pub fn hash(&self) -> TokenHash {
                TokenHash::of(&self.0)
            }
        }

        impl fmt::Debug for $token {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($token), "(..)"))
            }
        }
    };
}

secret_token!(DeleteToken);

impl DeleteToken {
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A moderator's token: made like a delete token (256 random bits, base64url), shown once to
/// the operator. Its `Debug` output never shows it.
pub struct ModeratorToken(String);

secret_token!(ModeratorToken);

/// The SHA-256 of a token's text. A fast hash is enough: with 256 random bits, nobody can
/// search for the token behind a hash, so a slow password hash would only cost CPU.
///
/// It has no `PartialEq` on purpose: the one comparison, [`TokenHash::matches`], takes
/// constant time.
#[derive(Clone, Copy)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of a token as a client presented it. Any text hashes: one that was never
    /// handed out simply matches no post.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether a post's stored hash is this one, in time independent of where they differ.
    /// A post without a stored hash (created before delete tokens existed) matches nothing.
    pub fn matches(&self, stored: Option<&[u8]>) -> bool {
        stored.is_some_and(|stored| bool::from(self.0.as_slice().ct_eq(stored)))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters_of_32_random_bytes() {
        let tokens: Vec<DeleteToken> = (0..100).map(|_| DeleteToken::generate().unwrap()).collect();
        for token in &tokens {
            let text = token.as_str();
            assert_eq!(text.len(), DELETE_TOKEN_LEN, "{text}");
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{text}"
            );
            assert_eq!(
                URL_SAFE_NO_PAD.decode(text).unwrap().len(),
                DELETE_TOKEN_BYTES
            );
        }
        let distinct: HashSet<&str> = tokens.iter().map(DeleteToken::as_str).collect();
        assert_eq!(distinct.len(), tokens.len());
    }

    #[test]
    fn a_token_matches_its_own_hash_only() {
        let token = DeleteToken::generate().unwrap();
        let stored = token.hash();
        assert_eq!(
            stored.as_bytes(),
            Sha256::digest(token.as_str().as_bytes()).as_slice()
        );
        assert!(TokenHash::of(token.as_str()).matches(Some(stored.as_bytes())));
        let other = DeleteToken::generate().unwrap();
        assert!(!TokenHash::of(other.as_str()).matches(Some(stored.as_bytes())));
        assert!(!TokenHash::of("").matches(Some(stored.as_bytes())));
        assert!(
            !stored.matches(Some(&stored.as_bytes()[..31])),
            "length differs"
        );
        assert!(!stored.matches(None), "posts from before tokens");
    }

    #[test]
    fn debug_output_shows_neither_token_nor_hash() {
        let token = DeleteToken::generate().unwrap();
        let shown = format!("{token:?} {:?}", token.hash());
        assert!(!shown.contains(token.as_str()), "{shown}");
        assert!(
            !shown.contains(&hex::encode(token.hash().as_bytes())),
            "{shown}"
        );
    }
}
