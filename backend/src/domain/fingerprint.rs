//! A picture's perceptual fingerprint: what stays the same when the picture is re-encoded,
//! resized or trimmed a little, so that a purged picture can be recognised in another file.
//! Made by `crate::imaging::fingerprint`; compared by PostgreSQL when an upload is checked
//! (repository/blocked_images.rs), as the Hamming distance of the bit strings.

use std::fmt;

/// Bits in a fingerprint (image_hasher's double gradient at 16×16: 8×9 + 9×8 comparisons).
pub const FINGERPRINT_BITS: usize = 144;

/// Fingerprints this many bits apart or fewer are the same picture. Measured on the test set
/// of `imaging::fingerprint` (see docs/API.md "Blocked images"): re-encoded, scaled and 5 %
/// trimmed copies of a picture land at 0–7 bits, the nearest different picture at 26.
pub const SAME_PICTURE_WITHIN: u32 = 12;

#[derive(Clone, PartialEq, Eq)]
pub struct Fingerprint([u8; FINGERPRINT_BITS / 8]);

impl Fingerprint {
    pub fn from_bytes(bytes: [u8; FINGERPRINT_BITS / 8]) -> Self {
        Self(bytes)
    }

    /// How many bits differ.
    pub fn distance(&self, other: &Self) -> u32 {
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    /// As PostgreSQL reads a `BIT(144)` from text: `x` and the hex digits.
    pub fn to_bit_string(&self) -> String {
        format!("x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", hex::encode(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_differing_bits_and_the_text_is_postgres_bit_syntax() {
        let zero = Fingerprint::from_bytes([0; 18]);
        let mut bytes = [0; 18];
        bytes[0] = 0b1010_0000;
        bytes[17] = 0xff;
        let other = Fingerprint::from_bytes(bytes);
        assert_eq!(zero.distance(&other), 10);
        assert_eq!(other.distance(&other), 0);
        assert_eq!(other.to_bit_string(), format!("xa0{}ff", "00".repeat(16)));
    }
}
