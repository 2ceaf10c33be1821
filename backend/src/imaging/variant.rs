//! Smaller copies of an image for lists and previews.
//!
//! Pipeline: header check (limits, orientation) → decode → resize → orient → encode.
//! - Output is lossy WebP (libwebp through the `webp` crate): every current browser shows it,
//!   it keeps transparency (PNG/GIF/WebP uploads), and on two real photos it was 18–30%
//!   smaller than `image`'s JPEG encoder at equal PSNR. Encoding costs ~20 ms at
//!   640 px, once per variant.
//! - JPEGs are decoded with `jpeg-decoder` and its DCT scaling (1/2, 1/4, 1/8): a 4000×3000
//!   photo bound for a 640-wide variant is decoded at 1000×750, 16 times fewer pixels to hold
//!   and to resize (peak RSS 16 MiB instead of 50 MiB with a full-size decode). `image`'s JPEG
//!   decoder (zune-jpeg) has no such option. Note: jpeg-decoder decodes the colour components
//!   on up to 3 short-lived threads of its own.
//! - PNG, GIF (first frame) and WebP (first frame) are decoded with `image`, with
//!   `image::Limits` set as a second line of defence behind the header check.
//! - Resizing uses `fast_image_resize` (Lanczos3, alpha-aware) on the stored pixels; the EXIF
//!   orientation is applied afterwards, on the small image.
//! - An RGB ICC profile (e.g. Display P3 from phones) is carried into the WebP (VP8X + ICCP),
//!   so wide-gamut colours do not turn dull; CMYK/grey profiles do not describe the RGB output
//!   and are dropped.

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use fast_image_resize as fr;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat};

use super::{Header, ImagingError, MAX_PIXELS, MAX_SIDE, exif, malformed, walk, webp as container};
use crate::domain::ImageKind;

/// libwebp quality (0–100). 80 keeps photos free of visible artefacts at these sizes.
const QUALITY: f32 = 80.0;

/// Cap on the decoded bitmap: an 8-bit RGBA image at the pixel limit, plus decoder working
/// memory. Refuses e.g. 16-bit PNGs above ~20 MP (`OverMemoryLimit`).
const MAX_DECODE_BYTES: u64 = 4 * MAX_PIXELS + (16 << 20);

/// Largest ICC profile copied into a variant (real RGB profiles are 0.5–4 KiB).
const MAX_ICC_BYTES: usize = 64 << 10;

/// A resized copy of an image.
#[derive(Debug, Clone)]
pub struct Variant {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Makes a copy of `original` scaled to `width` pixels wide (never upscaled: narrower images keep
/// their width), aspect ratio kept, EXIF orientation applied to the pixels, as lossy WebP.
/// Animated GIF/WebP give their first frame. Images over the limits are refused before any
/// pixel is decoded.
pub fn make_variant(kind: ImageKind, original: &[u8], width: u32) -> Result<Variant, ImagingError> {
    let (oriented, icc) = scaled(kind, original, width)?;
    let (width, height) = (oriented.width(), oriented.height());
    let encoded = encode(oriented)?;
    let bytes = match icc.filter(|p| is_rgb_profile(p)) {
        Some(profile) => container::with_icc(&encoded, &profile)?,
        None => encoded,
    };
    Ok(Variant {
        bytes,
        content_type: "image/webp",
        width,
        height,
    })
}

/// The picture scaled to `width` pixels wide (never upscaled), aspect ratio kept, EXIF
/// orientation applied, as RGB or RGBA pixels; and its ICC profile, if any. Refused before any
/// pixel is decoded when over the limits.
pub(super) fn scaled(
    kind: ImageKind,
    original: &[u8],
    width: u32,
) -> Result<(DynamicImage, Option<Vec<u8>>), ImagingError> {
    if width == 0 || width > MAX_SIDE {
        return Err(ImagingError::InvalidWidth(width));
    }
    let header = walk(kind, original)?.header;
    let (stored_width, stored_height) = resized_size(&header, width);

    let (decoded, icc) = guard(|| match kind {
        ImageKind::Jpeg => decode_jpeg(original, stored_width, stored_height),
        ImageKind::Png | ImageKind::Gif | ImageKind::Webp => decode_with_image(kind, original),
    })?;
    let resized = resize(decoded, stored_width, stored_height)?;
    Ok((orient(resized, header.orientation), icc))
}

/// The size a picture scaled to `width` pixels wide (never upscaled) is resized to, in stored
/// (not yet oriented) pixels.
fn resized_size(header: &Header, width: u32) -> (u32, u32) {
    let (display_width, display_height) = header.display_size();
    let out_width = width.min(display_width);
    let out_height = scale(display_height, out_width, display_width);
    if exif::swaps_axes(header.orientation) {
        (out_height, out_width)
    } else {
        (out_width, out_height)
    }
}

/// What decoding `original` for a copy `width` pixels wide holds at its peak, estimated from
/// its headers alone: the decoded bitmap and a progressive JPEG's coefficients, which the
/// decoder keeps for the whole image at any scale. A JPEG's bitmap is at the DCT scale
/// jpeg-decoder will pick, at most 8 bytes a pixel (up to 4 component planes, then RGB or
/// CMYK); the others are decoded whole, 4 bytes a pixel.
pub fn decoding_bytes(kind: ImageKind, original: &[u8], width: u32) -> Result<u64, ImagingError> {
    let header = walk(kind, original)?.header;
    let bitmap = match kind {
        ImageKind::Jpeg => {
            let (w, h) = dct_scaled_size(&header, resized_size(&header, width));
            8 * u64::from(w) * u64::from(h)
        }
        ImageKind::Png | ImageKind::Gif | ImageKind::Webp => {
            4 * u64::from(header.width) * u64::from(header.height)
        }
    };
    Ok(bitmap + header.coefficient_bytes)
}

/// The size jpeg-decoder decodes a frame to when asked for at least `wanted` (its
/// `choose_idct_size`): an eighth, a quarter, a half or the whole, the first that is large
/// enough on either side.
fn dct_scaled_size(header: &Header, (want_width, want_height): (u32, u32)) -> (u32, u32) {
    let at = |len: u32, eighths: u32| (len * eighths).div_ceil(8);
    [1, 2, 4]
        .into_iter()
        .find(|&e| at(header.width, e) >= want_width || at(header.height, e) >= want_height)
        .map_or((header.width, header.height), |e| {
            (at(header.width, e), at(header.height, e))
        })
}

/// `value * num / den`, rounded, at least 1.
fn scale(value: u32, num: u32, den: u32) -> u32 {
    let scaled = (u64::from(value) * u64::from(num) + u64::from(den) / 2) / u64::from(den);
    u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
}

/// Runs a third-party decoder, turning a panic on hostile input into an error: decoders are
/// fuzzed upstream, but a panic must not take a worker thread down with a 500.
fn guard<T>(f: impl FnOnce() -> Result<T, ImagingError>) -> Result<T, ImagingError> {
    panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(malformed("decoder panicked")))
}

/// 8-bit pixels, tightly packed.
struct Pixels {
    width: u32,
    height: u32,
    layout: Layout,
    data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Luma,
    Rgb,
    Rgba,
}

impl Layout {
    fn pixel_type(self) -> fr::PixelType {
        match self {
            Layout::Luma => fr::PixelType::U8,
            Layout::Rgb => fr::PixelType::U8x3,
            Layout::Rgba => fr::PixelType::U8x4,
        }
    }
}

type Decoded = (Pixels, Option<Vec<u8>>);

/// Decodes a JPEG at the smallest DCT scale still at least `width`×`height`.
fn decode_jpeg(original: &[u8], width: u32, height: u32) -> Result<Decoded, ImagingError> {
    let mut decoder = jpeg_decoder::Decoder::new(original);
    decoder.set_max_decoding_buffer_size(usize::try_from(MAX_DECODE_BYTES).unwrap_or(usize::MAX));
    decoder.read_info().map_err(jpeg_error)?;
    let icc = decoder.icc_profile();
    // Both are at most MAX_SIDE (checked by the caller), so they fit in u16.
    let request = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    decoder
        .scale(request(width), request(height))
        .map_err(jpeg_error)?;
    let data = decoder.decode().map_err(jpeg_error)?;
    let info = decoder
        .info()
        .ok_or_else(|| malformed("JPEG without frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let (layout, data) = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => (Layout::Luma, data),
        jpeg_decoder::PixelFormat::RGB24 => (Layout::Rgb, data),
        jpeg_decoder::PixelFormat::CMYK32 => (Layout::Rgb, cmyk_to_rgb(&data)),
        jpeg_decoder::PixelFormat::L16 => {
            return Err(ImagingError::Unsupported("16-bit JPEG".to_owned()));
        }
    };
    Ok((Pixels::checked(width, height, layout, data)?, icc))
}

/// jpeg-decoder's CMYK output (Adobe inversion already undone) to RGB, without a colour profile:
/// an approximation, fine for previews (print CMYK uploads are rare on a post board).
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        let k = 255 - u16::from(px[3]);
        for &c in &px[..3] {
            rgb.push(((255 - u16::from(c)) * k / 255) as u8);
        }
    }
    rgb
}

fn jpeg_error(e: jpeg_decoder::Error) -> ImagingError {
    match e {
        jpeg_decoder::Error::Unsupported(feature) => {
            ImagingError::Unsupported(format!("JPEG {feature:?}"))
        }
        jpeg_decoder::Error::Format(msg) if msg.contains("exceeds maximum allowed size") => {
            ImagingError::OverMemoryLimit
        }
        other => ImagingError::Malformed(other.to_string()),
    }
}

/// Decodes PNG, GIF or WebP (first frame for animations) with `image`, within limits.
fn decode_with_image(kind: ImageKind, original: &[u8]) -> Result<Decoded, ImagingError> {
    let format = match kind {
        ImageKind::Png => ImageFormat::Png,
        ImageKind::Gif => ImageFormat::Gif,
        ImageKind::Webp => ImageFormat::WebP,
        ImageKind::Jpeg => ImageFormat::Jpeg,
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(original), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(ImagingError::OverMemoryLimit);
    }
    let icc = decoder.icc_profile().ok().flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    let (width, height) = (image.width(), image.height());
    let (layout, data) = match image {
        DynamicImage::ImageLuma8(b) => (Layout::Luma, b.into_raw()),
        DynamicImage::ImageRgb8(b) => (Layout::Rgb, b.into_raw()),
        DynamicImage::ImageRgba8(b) => (Layout::Rgba, b.into_raw()),
        other if other.color().has_alpha() => (Layout::Rgba, other.into_rgba8().into_raw()),
        other => (Layout::Rgb, other.into_rgb8().into_raw()),
    };
    Ok((Pixels::checked(width, height, layout, data)?, icc))
}

fn image_error(e: image::ImageError) -> ImagingError {
    match e {
        image::ImageError::Limits(_) => ImagingError::OverMemoryLimit,
        image::ImageError::Unsupported(u) => ImagingError::Unsupported(u.to_string()),
        other => ImagingError::Malformed(other.to_string()),
    }
}

impl Pixels {
    /// A decoder's output, once it holds as many bytes as its dimensions say: a decoder is
    /// never trusted blindly.
    fn checked(
        width: u32,
        height: u32,
        layout: Layout,
        data: Vec<u8>,
    ) -> Result<Self, ImagingError> {
        let channels = match layout {
            Layout::Luma => 1,
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        };
        let expected = u64::from(width) * u64::from(height) * channels;
        if width == 0 || height == 0 || data.len() as u64 != expected {
            return Err(malformed("decoder returned an unexpected buffer"));
        }
        Ok(Self {
            width,
            height,
            layout,
            data,
        })
    }
}

fn resize(p: Pixels, width: u32, height: u32) -> Result<Pixels, ImagingError> {
    if (p.width, p.height) == (width, height) {
        return Ok(p);
    }
    let resize_error = |e: &dyn std::fmt::Display| ImagingError::Encode(format!("resize: {e}"));
    let pixel_type = p.layout.pixel_type();
    let mut src = fr::images::Image::from_vec_u8(p.width, p.height, p.data, pixel_type)
        .map_err(|e| resize_error(&e))?;
    let mut dst = fr::images::Image::new(width, height, pixel_type);
    // Colours must be weighted by alpha while resizing. fast_image_resize would premultiply
    // into a full-size copy of the source (160 MB for 40 MP); doing it in place on the buffer
    // we own, and undoing it on the small result, avoids that copy.
    let alpha = p.layout == Layout::Rgba;
    let mul_div = fr::MulDiv::default();
    if alpha {
        mul_div
            .multiply_alpha_inplace(&mut src)
            .map_err(|e| resize_error(&e))?;
    }
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
        .use_alpha(false);
    fr::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| resize_error(&e))?;
    drop(src);
    if alpha {
        mul_div
            .divide_alpha_inplace(&mut dst)
            .map_err(|e| resize_error(&e))?;
    }
    Ok(Pixels {
        width,
        height,
        layout: p.layout,
        data: dst.into_vec(),
    })
}

/// Applies the EXIF orientation and yields RGB or RGBA (alpha dropped when fully opaque).
fn orient(p: Pixels, orientation: u8) -> DynamicImage {
    let Pixels {
        width,
        height,
        layout,
        data,
    } = p;
    // `Pixels::checked` and `resize` guarantee the buffer length, so `from_raw` cannot fail.
    let mut image = match layout {
        Layout::Luma => image::GrayImage::from_raw(width, height, data).map(DynamicImage::from),
        Layout::Rgb => image::RgbImage::from_raw(width, height, data).map(DynamicImage::from),
        Layout::Rgba => image::RgbaImage::from_raw(width, height, data).map(DynamicImage::from),
    }
    .unwrap_or_else(|| DynamicImage::new_rgb8(width, height));
    if let Some(o) = Orientation::from_exif(orientation) {
        image.apply_orientation(o);
    }
    match image {
        DynamicImage::ImageRgba8(ref rgba) if rgba.pixels().any(|px| px[3] != 255) => image,
        DynamicImage::ImageRgb8(_) => image,
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    }
}

fn encode(image: DynamicImage) -> Result<Vec<u8>, ImagingError> {
    let (width, height) = (image.width(), image.height());
    let encoder = match &image {
        DynamicImage::ImageRgba8(b) => ::webp::Encoder::from_rgba(b.as_raw(), width, height),
        DynamicImage::ImageRgb8(b) => ::webp::Encoder::from_rgb(b.as_raw(), width, height),
        _ => return Err(ImagingError::Encode("unexpected pixel layout".to_owned())),
    };
    let encoded = encoder
        .encode_simple(false, QUALITY)
        .map_err(|e| ImagingError::Encode(format!("WebP: {e:?}")))?;
    Ok(encoded.to_vec())
}

/// An ICC profile that describes RGB data (colour space field "RGB ") of a sane size.
fn is_rgb_profile(profile: &[u8]) -> bool {
    profile.len() <= MAX_ICC_BYTES && profile.get(16..20) == Some(b"RGB ")
}
