//! Image processing for uploads, pure and synchronous (run it in `spawn_blocking`):
//!
//! - [`strip_metadata`]: removes what a photo tells about its poster (EXIF with GPS and serial
//!   numbers, XMP, IPTC, comments, maker notes, embedded thumbnails, data appended after the
//!   image such as motion-photo videos) by editing the container only: pixels are never
//!   re-encoded, and an image with nothing to remove comes back as the very same bytes. What
//!   the browser needs to show the image as the poster saw it stays: the ICC profile, and the
//!   EXIF orientation, kept as a minimal EXIF block holding that one tag.
//! - [`display_size`]: width and height as displayed (orientation applied), from headers only.
//! - [`make_variant`]: a smaller copy for lists and previews, orientation applied to the pixels,
//!   as lossy WebP (see `variant.rs` for why).
//! - [`fingerprint`]: a perceptual hash, to recognise copies of a purged picture
//!   (`fingerprint.rs`).
//!
//! Every entry point reads the dimensions from the headers first and refuses an image over
//! [`MAX_SIDE`] / [`MAX_PIXELS`] before a single pixel is decoded (decompression bombs).
//!
//! Memory: stripping holds the input and at most one cleaned copy. A variant holds the decoded
//! bitmap: ~10–60 MiB for a 12 MP JPEG (DCT-scaled decoding), but up to ~210 MiB for a PNG or
//! GIF at the 40 MP limit, and a progressive JPEG also holds its coefficients (2 bytes a
//! sample, ~230 MiB for 40 MP at 4:4:4) whatever size it is decoded to. [`decoding_bytes`]
//! estimates a job from the headers, and `ImageProcessor` runs jobs within a budget of it.

mod exif;
mod fingerprint;
mod gif;
mod jpeg;
mod png;
mod processor;
mod variant;
mod webp;

#[cfg(test)]
mod tests;

use std::ops::Range;

use bytes::Bytes;

use crate::domain::{self, ImageKind};

pub use fingerprint::{BLOCKED_TRIMS, HASHED_WIDTH, blocking_fingerprints, fingerprint};
pub use processor::ImageProcessor;
pub use variant::{Variant, decoding_bytes, make_variant};

/// Largest accepted width or height, in pixels (the domain's rule).
pub const MAX_SIDE: u32 = domain::MAX_SIDE as u32;
/// Largest accepted pixel count: a tiny file must not decompress into a huge bitmap.
pub const MAX_PIXELS: u64 = domain::MAX_PIXELS as u64;

/// An image with its metadata removed, and its size as displayed.
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// The cleaned file; the input itself (same allocation) when there was nothing to remove.
    pub bytes: Bytes,
    /// Displayed width in pixels (EXIF orientation applied).
    pub width: u32,
    /// Displayed height in pixels (EXIF orientation applied).
    pub height: u32,
}

/// Why an image could not be processed. Suggested HTTP mapping: `TooManyPixels`, `Malformed`
/// and `OverMemoryLimit` → 422, `Unsupported` → 415, `InvalidWidth` and `Encode` → 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImagingError {
    #[error("image: {width}x{height} exceeds {MAX_SIDE}x{MAX_SIDE} or {MAX_PIXELS} pixels")]
    TooManyPixels { width: u32, height: u32 },
    #[error("image: malformed ({0})")]
    Malformed(String),
    #[error("image: unsupported ({0})")]
    Unsupported(String),
    #[error("image: decoding would need more memory than allowed")]
    OverMemoryLimit,
    #[error("image: variant width {0} is not in 1..={MAX_SIDE}")]
    InvalidWidth(u32),
    #[error("image: encoding failed ({0})")]
    Encode(String),
}

pub(crate) fn malformed(reason: &str) -> ImagingError {
    ImagingError::Malformed(reason.to_owned())
}

/// Removes privacy-sensitive metadata without touching the pixels (see the module docs for what
/// goes and what stays), and returns the displayed size. Refuses images over the limits.
pub fn strip_metadata(kind: ImageKind, bytes: Bytes) -> Result<Cleaned, ImagingError> {
    let walk = walk(kind, &bytes)?;
    let (width, height) = walk.header.display_size();
    let bytes = match walk.out.assemble() {
        Some(cleaned) => Bytes::from(cleaned),
        None => bytes,
    };
    Ok(Cleaned {
        bytes,
        width,
        height,
    })
}

/// Displayed width and height (swapped for EXIF orientations 5–8), read from the headers
/// without decoding pixels. Refuses images over the limits, like the other entry points.
pub fn display_size(kind: ImageKind, bytes: &[u8]) -> Result<(u32, u32), ImagingError> {
    Ok(walk(kind, bytes)?.header.display_size())
}

fn walk(kind: ImageKind, bytes: &[u8]) -> Result<Walk<'_>, ImagingError> {
    let walk = match kind {
        ImageKind::Jpeg => jpeg::walk(bytes)?,
        ImageKind::Png => png::walk(bytes)?,
        ImageKind::Gif => gif::walk(bytes)?,
        ImageKind::Webp => webp::walk(bytes)?,
    };
    check_dimensions(walk.header.width, walk.header.height)?;
    Ok(walk)
}

/// What the headers say, before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Stored width and height, before orientation.
    pub width: u32,
    pub height: u32,
    /// EXIF orientation, 1..=8 (1 when absent or invalid).
    pub orientation: u8,
    /// Memory a decoder holds for the whole image whatever size it decodes to: a progressive
    /// JPEG's DCT coefficients (2 bytes each, every scan refines them). 0 for the others.
    pub coefficient_bytes: u64,
}

impl Header {
    pub fn display_size(&self) -> (u32, u32) {
        if exif::swaps_axes(self.orientation) {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Refuses zero or over-limit dimensions. Called for the image and for each animation frame.
pub(crate) fn check_dimensions(width: u32, height: u32) -> Result<(), ImagingError> {
    if width == 0 || height == 0 {
        return Err(malformed("zero width or height"));
    }
    check_limits(width, height)
}

/// Refuses over-limit dimensions (zero allowed: used for animation frames and sub-images).
pub(crate) fn check_limits(width: u32, height: u32) -> Result<(), ImagingError> {
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImagingError::TooManyPixels { width, height });
    }
    Ok(())
}

/// A walked container: its header, and the cleaned file as pieces of the input.
pub(crate) struct Walk<'a> {
    pub header: Header,
    pub out: Output<'a>,
}

/// The cleaned file as a list of input ranges and new bytes, so that an unchanged file is never
/// copied and a changed one is copied once.
pub(crate) struct Output<'a> {
    src: &'a [u8],
    pieces: Vec<Piece>,
}

enum Piece {
    Keep(Range<usize>),
    New(Vec<u8>),
}

impl Piece {
    fn len(&self) -> usize {
        match self {
            Piece::Keep(r) => r.len(),
            Piece::New(v) => v.len(),
        }
    }
}

impl<'a> Output<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Self {
            src,
            pieces: Vec::new(),
        }
    }

    /// Keeps `range` of the input (merged with the previous range when contiguous).
    pub fn keep(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        if let Some(Piece::Keep(last)) = self.pieces.last_mut()
            && last.end == range.start
        {
            last.end = range.end;
            return;
        }
        self.pieces.push(Piece::Keep(range));
    }

    /// Adds bytes that are not in the input.
    pub fn insert(&mut self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.pieces.push(Piece::New(bytes));
        }
    }

    /// Moves the pieces of `other` (over the same input) to the end of this one.
    pub fn append(&mut self, other: Output<'a>) {
        for piece in other.pieces {
            match piece {
                Piece::Keep(r) => self.keep(r),
                Piece::New(v) => self.insert(v),
            }
        }
    }

    /// Total length of the pieces so far.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(Piece::len).sum()
    }

    /// The cleaned file, or `None` when it is the whole input, unchanged.
    pub fn assemble(self) -> Option<Vec<u8>> {
        if let [Piece::Keep(r)] = self.pieces.as_slice()
            && *r == (0..self.src.len())
        {
            return None;
        }
        let mut out = Vec::with_capacity(self.len());
        for piece in &self.pieces {
            match piece {
                Piece::Keep(r) => out.extend_from_slice(&self.src[r.clone()]),
                Piece::New(v) => out.extend_from_slice(v),
            }
        }
        Some(out)
    }
}

/// Bounds-checked big- and little-endian reads: every parser here goes through these, so a
/// truncated or lying header is an error, never a panic.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(crate) fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
