//! Uploaded images: received chunk by chunk (refused past the size limit), then accepted only
//! when the bytes are PNG, JPEG, GIF or WebP of sane dimensions. What is stored is the image
//! with its metadata removed (`crate::imaging`), hashed after that: a [`CleanImage`].

use bytes::{Bytes, BytesMut};

use super::{ImageHash, ValidationError};

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

/// An image arriving in chunks. Holds at most `limit` bytes, copied once (into the buffer
/// that is later cleaned and uploaded).
pub struct ImageUpload {
    limit: usize,
    buffer: BytesMut,
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
        }
    }

    /// Appends a chunk; past the limit the upload is refused and the caller stops reading.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ImageError> {
        if self.buffer.len() + chunk.len() > self.limit {
            return Err(ImageError::TooLarge { limit: self.limit });
        }
        self.buffer.extend_from_slice(chunk);
        Ok(())
    }

    /// The received image, checked; `None` when no byte arrived (an empty file part).
    pub fn finish(self) -> Result<Option<UploadedImage>, ImageError> {
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
        Ok(Some(UploadedImage { kind, bytes }))
    }
}

/// An upload that passed the checks of its type, size and header dimensions, as received:
/// its metadata is still in it.
#[derive(Debug, Clone)]
pub struct UploadedImage {
    pub kind: ImageKind,
    pub bytes: Bytes,
}

/// An image as it is stored and served: metadata removed, `hash` the SHA-256 of these very
/// bytes, and its size as displayed (orientation applied).
#[derive(Debug, Clone)]
pub struct CleanImage {
    pub hash: ImageHash,
    pub kind: ImageKind,
    pub bytes: Bytes,
    pub width: u32,
    pub height: u32,
}

/// The width of a downscaled copy of an image: 320, 640 or 1280 pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VariantWidth(u32);

impl VariantWidth {
    pub const ALL: [u32; 3] = [320, 640, 1280];
    /// The width of link previews and feed enclosures.
    pub const LARGEST: Self = Self(1280);

    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        match u32::try_from(raw) {
            Ok(width) if Self::ALL.contains(&width) => Ok(Self(width)),
            _ => Err(ValidationError::new(
                "The image width must be 320, 640 or 1280.",
                format!("width: {raw} not in {:?}", Self::ALL),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
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

    fn receive(bytes: &[u8], limit: usize) -> Result<Option<UploadedImage>, ImageError> {
        let mut upload = ImageUpload::new(limit);
        for chunk in bytes.chunks(7) {
            upload.push(chunk)?;
        }
        upload.finish()
    }

    #[test]
    fn chunked_png_arrives_whole() {
        let png = png_header(640, 480);
        let image = receive(&png, 1024).unwrap().unwrap();
        assert_eq!(image.kind, ImageKind::Png);
        assert_eq!(image.bytes, png);
    }

    #[test]
    fn only_the_three_variant_widths_parse() {
        for width in [320, 640, 1280] {
            assert_eq!(VariantWidth::parse(width).unwrap().get(), width as u32);
        }
        for bad in [0, 1, 319, 321, 500, 1281, -640, i64::MAX] {
            assert!(VariantWidth::parse(bad).is_err(), "{bad}");
        }
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
