//! The one EXIF tag Postboard keeps: Orientation (0x0112). Phones store photos sideways and set
//! this tag; browsers rotate by it (CSS `image-orientation: from-image`, the default). Everything
//! else in EXIF goes, so the block is rebuilt from scratch rather than edited.

use super::{be16, be32};

const ORIENTATION_TAG: u16 = 0x0112;
const TYPE_SHORT: u16 = 3;
/// Defensive bound on IFD0 entries walked (real files have a few dozen).
const MAX_IFD_ENTRIES: usize = 1024;

/// The prefix of EXIF data in a JPEG APP1 segment (also found, non-standard, in some PNG eXIf
/// and WebP EXIF chunks).
pub const JPEG_EXIF_PREFIX: &[u8] = b"Exif\0\0";

/// Reads the Orientation tag of IFD0 from TIFF-structured EXIF data (with or without the
/// `Exif\0\0` prefix). `None` when absent, unreadable or out of 1..=8.
pub fn orientation(data: &[u8]) -> Option<u8> {
    let tiff = data.strip_prefix(JPEG_EXIF_PREFIX).unwrap_or(data);
    let big_endian = match tiff.get(..4)? {
        b"MM\0*" => true,
        b"II*\0" => false,
        _ => return None,
    };
    let u16_at = |at: usize| be16(tiff, at).map(|v| if big_endian { v } else { v.swap_bytes() });
    let u32_at = |at: usize| be32(tiff, at).map(|v| if big_endian { v } else { v.swap_bytes() });
    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd0)?).min(MAX_IFD_ENTRIES);
    for i in 0..count {
        let entry = ifd0.checked_add(2 + 12 * i)?;
        if u16_at(entry)? != ORIENTATION_TAG {
            continue;
        }
        if u16_at(entry + 2)? != TYPE_SHORT || u32_at(entry + 4)? != 1 {
            return None;
        }
        // A single SHORT sits in the first two bytes of the value field, in either byte order.
        let value = u16_at(entry + 8)?;
        return u8::try_from(value).ok().filter(|v| (1..=8).contains(v));
    }
    None
}

/// Whether an orientation turns the image by a quarter (transpose, rotate 90/270, transverse):
/// the displayed width is then the stored height.
pub fn swaps_axes(orientation: u8) -> bool {
    (5..=8).contains(&orientation)
}

/// A TIFF block (big-endian) holding IFD0 with the Orientation tag alone: 26 bytes.
pub fn minimal_tiff(orientation: u8) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"MM\0*");
    t.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    t.extend_from_slice(&1u16.to_be_bytes()); // one entry
    t.extend_from_slice(&ORIENTATION_TAG.to_be_bytes());
    t.extend_from_slice(&TYPE_SHORT.to_be_bytes());
    t.extend_from_slice(&1u32.to_be_bytes()); // count
    t.extend_from_slice(&u16::from(orientation).to_be_bytes());
    t.extend_from_slice(&[0, 0]); // value field padding
    t.extend_from_slice(&0u32.to_be_bytes()); // no next IFD (so no thumbnail IFD1)
    t
}

/// What to keep of an EXIF block: the minimal block when the orientation matters, nothing when
/// it is absent or 1 (the default).
pub fn kept_orientation(data: &[u8]) -> Option<u8> {
    orientation(data).filter(|&o| o != 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_block_reads_back() {
        for o in 1..=8 {
            let t = minimal_tiff(o);
            assert_eq!(t.len(), 26);
            assert_eq!(orientation(&t), Some(o));
        }
    }

    #[test]
    fn little_endian_and_prefixed() {
        let mut t = b"Exif\0\0II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes());
        t.extend_from_slice(&2u16.to_le_bytes());
        // 0x010F Make, ASCII, inline "ab\0"
        t.extend_from_slice(&[0x0F, 0x01, 2, 0, 3, 0, 0, 0, b'a', b'b', 0, 0]);
        t.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(orientation(&t), Some(6));
    }

    #[test]
    fn garbage_is_no_orientation() {
        assert_eq!(orientation(b""), None);
        assert_eq!(orientation(b"MM\0*\xff\xff\xff\xff"), None);
        assert_eq!(orientation(b"MM\0*\0\0\0\x08\xff\xff"), None);
        let mut t = minimal_tiff(6);
        t[19] = 9; // out of range
        assert_eq!(orientation(&t), None);
    }
}
