//! Uploaded images: received chunk by chunk (hashed as they arrive, refused past the size
//! limit), then accepted only when the bytes are PNG, JPEG, GIF or WebP of sane dimensions.

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::ImageHash;

/// The image formats Postboard serves, decided by the bytes alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageKind {
    pub const ALL: [Self; 4] = [Self::Png, Self::Jpeg, Self::Gif, Self::Webp];

    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match imagesize::image_type(bytes).ok()? {
            imagesize::ImageType::Png => Some(Self::Png),
            imagesize::ImageType::Jpeg => Some(Self::Jpeg),
            imagesize::ImageType::Gif => Some(Self::Gif),
            imagesize::ImageType::Webp => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("image: larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("image: not PNG, JPEG, GIF or WebP")]
    UnsupportedType,
    #[error("image: header unreadable")]
    Unreadable,
    #[error("image: {width}x{height} exceeds {max_side}x{max_side} or {max_pixels} pixels")]
    TooManyPixels {
        width: usize,
        height: usize,
        max_side: usize,
        max_pixels: usize,
    },
}

impl ImageError {
    pub fn user_message(&self) -> String {
        match self {
            Self::TooLarge { limit } => {
                format!("The image must be at most {}.", human_size(*limit))
            }
            Self::UnsupportedType => "The file must be a PNG, JPEG, GIF or WebP image.".to_owned(),
            Self::Unreadable => "The image file is damaged and cannot be read.".to_owned(),
            Self::TooManyPixels { .. } => format!(
                "The image must be at most {MAX_SIDE}×{MAX_SIDE} pixels and {} megapixels.",
                MAX_PIXELS / 1_000_000
            ),
        }
    }
}

fn human_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Largest accepted width or height, in pixels.
pub const MAX_SIDE: usize = 10_000;
/// Largest accepted pixel count: a tiny file must not decompress into a huge bitmap.
pub const MAX_PIXELS: usize = 40_000_000;

/// An image arriving in chunks. Holds at most `limit` bytes and hashes as it goes, so the
/// bytes are copied once (into the buffer that is later uploaded) and read once.
pub struct ImageUpload {
    limit: usize,
    buffer: BytesMut,
    hasher: Sha256,
}

impl ImageUpload {
    pub fn new(limit: usize) -> Self {
        Self::with_expected_size(limit, 0)
    }

    /// Reserves room for `expected` bytes (e.g. the request's Content-Length), at most `limit`,
    /// so that the buffer is not copied as it grows.
    pub fn with_expected_size(limit: usize, expected: usize) -> Self {
        Self {
            limit,
            buffer: BytesMut::with_capacity(expected.min(limit)),
            hasher: Sha256::new(),
        }
    }

    /// Appends a chunk; past the limit the upload is refused and the caller stops reading.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ImageError> {
        if self.buffer.len() + chunk.len() > self.limit {
            return Err(ImageError::TooLarge { limit: self.limit });
        }
        self.hasher.update(chunk);
        self.buffer.extend_from_slice(chunk);
        Ok(())
    }

    /// The received image, checked; `None` when no byte arrived (an empty file part).
    pub fn finish(self) -> Result<Option<ValidImage>, ImageError> {
        if self.buffer.is_empty() {
            return Ok(None);
        }
        let bytes = self.buffer.freeze();
        let kind = ImageKind::sniff(&bytes).ok_or(ImageError::UnsupportedType)?;
        let size = imagesize::blob_size(&bytes).map_err(|_| ImageError::Unreadable)?;
        let (width, height) = (size.width, size.height);
        if width == 0 || height == 0 {
            return Err(ImageError::Unreadable);
        }
        if width > MAX_SIDE || height > MAX_SIDE || width.saturating_mul(height) > MAX_PIXELS {
            return Err(ImageError::TooManyPixels {
                width,
                height,
                max_side: MAX_SIDE,
                max_pixels: MAX_PIXELS,
            });
        }
        Ok(Some(ValidImage {
            hash: ImageHash::from_digest(self.hasher),
            kind,
            bytes,
        }))
    }
}

/// An image that passed every check, with its hash and detected type.
#[derive(Debug, Clone)]
pub struct ValidImage {
    pub hash: ImageHash,
    pub kind: ImageKind,
    pub bytes: Bytes,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A PNG header (signature + IHDR) claiming the given dimensions; enough for sniffing.
    pub fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0]);
        png.extend_from_slice(&[0, 0, 0, 0]); // CRC: not checked by a header probe
        png
    }

    fn receive(bytes: &[u8], limit: usize) -> Result<Option<ValidImage>, ImageError> {
        let mut upload = ImageUpload::new(limit);
        for chunk in bytes.chunks(7) {
            upload.push(chunk)?;
        }
        upload.finish()
    }

    #[test]
    fn chunked_png_is_hashed_like_the_whole() {
        let png = png_header(640, 480);
        let image = receive(&png, 1024).unwrap().unwrap();
        assert_eq!(image.kind, ImageKind::Png);
        assert_eq!(image.hash, ImageHash::of(&png));
        assert_eq!(image.bytes, png);
    }

    #[test]
    fn limit_is_inclusive() {
        let png = png_header(1, 1);
        assert!(receive(&png, png.len()).is_ok());
        assert_eq!(
            receive(&png, png.len() - 1).unwrap_err(),
            ImageError::TooLarge {
                limit: png.len() - 1
            }
        );
    }

    #[test]
    fn empty_upload_is_no_image() {
        assert!(ImageUpload::new(10).finish().unwrap().is_none());
    }

    #[test]
    fn type_is_decided_by_bytes() {
        assert_eq!(
            receive(b"hello world, not an image", 100).unwrap_err(),
            ImageError::UnsupportedType
        );
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
        assert_eq!(receive(svg, 1000).unwrap_err(), ImageError::UnsupportedType);
        let gif = b"GIF89a\x0a\x00\x14\x00\x00\x00\x00;";
        assert_eq!(receive(gif, 100).unwrap().unwrap().kind, ImageKind::Gif);
    }

    #[test]
    fn decompression_bombs_are_refused_by_their_dimensions() {
        assert!(receive(&png_header(10_000, 4_000), 1024).is_ok());
        assert!(matches!(
            receive(&png_header(10_001, 1), 1024),
            Err(ImageError::TooManyPixels { .. })
        ));
        assert!(matches!(
            receive(&png_header(8_000, 5_001), 1024),
            Err(ImageError::TooManyPixels { .. })
        ));
    }
}
