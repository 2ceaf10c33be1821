//! Fixtures are built in code: images encoded with `image`, then metadata spliced in by hand.

use std::io::Cursor;
use std::time::{Duration, Instant};

use bytes::Bytes;
use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::{
    AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage,
};

use super::*;

// ---------------------------------------------------------------- fixture helpers

use postboard_test_fixtures::*;

fn strip(kind: ImageKind, bytes: &[u8]) -> Cleaned {
    strip_metadata(kind, Bytes::copy_from_slice(bytes)).unwrap()
}

// ---------------------------------------------------------------- stripping

#[test]
fn jpeg_metadata_goes_icc_and_orientation_stay() {
    let image = gradient(64, 32);
    let (jpeg, base) = jpeg_with_metadata(&image, 6);
    let cleaned = strip(ImageKind::Jpeg, &jpeg);

    assert_no_secrets(&cleaned.bytes);
    assert!(!contains(&cleaned.bytes, b"http://ns.adobe.com/xap"));
    assert!(!contains(&cleaned.bytes, b"Photoshop 3.0"));
    // The ICC segment is kept byte for byte, and reads back whole.
    let icc_segment = segment(0xE2, &[&b"ICC_PROFILE\0\x01\x01"[..], &fake_icc()].concat());
    assert!(contains(&cleaned.bytes, &icc_segment));
    let mut decoder = jpeg_decoder::Decoder::new(&cleaned.bytes[..]);
    decoder.read_info().unwrap();
    assert_eq!(decoder.icc_profile(), Some(fake_icc()));
    // Orientation 6 survives, alone, in a minimal EXIF.
    assert!(contains(&cleaned.bytes, &jpeg::exif_segment(6)));
    assert_eq!(decoder.exif_data().map(exif::orientation), Some(Some(6)));
    assert_eq!(decoder.exif_data().map(<[u8]>::len), Some(26));
    // Displayed sideways: width and height swap.
    assert_eq!((cleaned.width, cleaned.height), (32, 64));
    assert_eq!(display_size(ImageKind::Jpeg, &jpeg).unwrap(), (32, 64));
    assert_eq!(
        display_size(ImageKind::Jpeg, &cleaned.bytes).unwrap(),
        (32, 64)
    );
    // Pixels untouched: the scans are copied, so the decoded image is identical.
    let decode = |b: &[u8]| {
        image::load_from_memory_with_format(b, ImageFormat::Jpeg)
            .unwrap()
            .to_rgb8()
    };
    assert_eq!(decode(&cleaned.bytes), decode(&base));
    assert!(cleaned.bytes.ends_with(&base[base.len() - 200..]));
    // Stripping again changes nothing.
    assert_eq!(strip(ImageKind::Jpeg, &cleaned.bytes).bytes, cleaned.bytes);
}

#[test]
fn jpeg_with_orientation_1_loses_its_exif_entirely() {
    let (jpeg, base) = jpeg_with_metadata(&gradient(64, 32), 1);
    let cleaned = strip(ImageKind::Jpeg, &jpeg);
    assert_no_secrets(&cleaned.bytes);
    assert!(!contains(&cleaned.bytes, b"Exif\0\0"));
    assert_eq!(cleaned.bytes, base, "only the added metadata was removed");
    assert_eq!((cleaned.width, cleaned.height), (64, 32));
}

#[test]
fn jpeg_without_metadata_is_returned_as_is() {
    let jpeg = Bytes::from(jpeg_of(&gradient(48, 40), None));
    let cleaned = strip_metadata(ImageKind::Jpeg, jpeg.clone()).unwrap();
    assert_eq!(cleaned.bytes, jpeg);
    assert_eq!(cleaned.bytes.as_ptr(), jpeg.as_ptr(), "not even copied");
    assert_eq!((cleaned.width, cleaned.height), (48, 40));
    // With an ICC profile (kept) it is untouched as well.
    let with_icc = jpeg_of(&gradient(48, 40), Some(fake_icc()));
    assert_eq!(strip(ImageKind::Jpeg, &with_icc).bytes, with_icc);
}

/// A progressive JPEG (several scans), from `jpeg-encoder`.
fn progressive_jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(true);
    encoder
        .encode(
            image.as_raw(),
            image.width() as u16,
            image.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

#[test]
fn progressive_jpeg_loses_metadata_between_scans() {
    let image = gradient(64, 48);
    let base = progressive_jpeg(&image);
    let scans: Vec<usize> = base
        .windows(2)
        .enumerate()
        .filter(|(_, w)| *w == [0xFF, 0xDA])
        .map(|(i, _)| i)
        .collect();
    assert!(scans.len() > 2, "progressive: several scans");
    // A comment and an XMP segment slipped in before the second scan.
    let at = scans[1];
    let jpeg = [
        &base[..at],
        &segment(0xFE, b"COMMENT-SECRET"),
        &segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0XMP-SECRET"),
        &base[at..],
    ]
    .concat();
    let cleaned = strip(ImageKind::Jpeg, &jpeg);
    assert_no_secrets(&cleaned.bytes);
    assert_eq!(cleaned.bytes, base);
    assert_eq!(strip(ImageKind::Jpeg, &base).bytes, base);
    let v = make_variant(ImageKind::Jpeg, &cleaned.bytes, 32).unwrap();
    assert_eq!((v.width, v.height), (32, 24));
}

#[test]
fn cmyk_jpeg_variants_have_the_right_colours() {
    // Pure red in CMYK: no cyan, full magenta and yellow, no black.
    let cmyk: Vec<u8> = [0u8, 255, 255, 0].repeat(64 * 32);
    for color_type in [
        jpeg_encoder::ColorType::Cmyk,
        jpeg_encoder::ColorType::CmykAsYcck,
    ] {
        let mut jpeg = Vec::new();
        jpeg_encoder::Encoder::new(&mut jpeg, 95)
            .encode(&cmyk, 64, 32, color_type)
            .unwrap();
        assert_eq!(strip(ImageKind::Jpeg, &jpeg).bytes, jpeg);
        let v = make_variant(ImageKind::Jpeg, &jpeg, 320).unwrap();
        assert_eq!((v.width, v.height), (64, 32));
        let decoded = decode_variant(&v).to_rgb8();
        assert!(
            close(*decoded.get_pixel(32, 16), [255, 0, 0]),
            "{color_type:?}: {:?}",
            decoded.get_pixel(32, 16)
        );
    }
}

#[test]
fn jfif_thumbnail_is_dropped() {
    let base = jpeg_of(&gradient(16, 16), None);
    // JFIF APP0 with a 2x1 RGB thumbnail, in place of the encoder's APP0.
    let app0_len = 2 + u16::from_be_bytes([base[4], base[5]]) as usize;
    let mut payload = b"JFIF\0\x01\x02\x00\x00\x01\x00\x01\x02\x01".to_vec();
    payload.extend_from_slice(b"THUMB!");
    let jpeg = [&base[..2], &segment(0xE0, &payload), &base[2 + app0_len..]].concat();
    let cleaned = strip(ImageKind::Jpeg, &jpeg);
    assert!(!contains(&cleaned.bytes, b"THUMB!"));
    assert!(contains(
        &cleaned.bytes,
        &segment(0xE0, b"JFIF\0\x01\x02\x00\x00\x01\x00\x01\x00\x00")
    ));
    image::load_from_memory_with_format(&cleaned.bytes, ImageFormat::Jpeg).unwrap();
}

#[test]
fn png_text_exif_and_time_go_iccp_and_pixels_stay() {
    let image = DynamicImage::ImageRgb8(gradient(40, 30));
    let base = png_of(&image, Some(fake_icc()));
    let png = png_with_chunks(
        &base,
        &[
            png::chunk(b"tEXt", b"Comment\0COMMENT-SECRET"),
            png::chunk(
                b"iTXt",
                b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>XMP-SECRET</x:xmpmeta>",
            ),
            png::chunk(b"zTXt", b"Raw profile type iptc\0\0IPTC-SECRET"),
            png::chunk(b"eXIf", &exif_tiff(6)),
            png::chunk(b"tIME", b"\x07\xE9\x01\x02\x03\x04\x05TIME-SECRET"),
            png::chunk(b"prVt", b"PRIVATE-SECRET"),
        ],
    );
    let mut png = png;
    png.extend_from_slice(b"TRAILER-SECRET");
    let cleaned = strip(ImageKind::Png, &png);

    assert_no_secrets(&cleaned.bytes);
    let kinds: Vec<[u8; 4]> = png_chunks(&cleaned.bytes).iter().map(|c| c.0).collect();
    assert_eq!(kinds, [*b"IHDR", *b"eXIf", *b"iCCP", *b"IDAT", *b"IEND"]);
    let chunk = |png: &[u8], kind: &[u8; 4]| {
        png_chunks(png)
            .into_iter()
            .find(|c| &c.0 == kind)
            .map(|c| c.1)
    };
    assert_eq!(chunk(&cleaned.bytes, b"iCCP"), chunk(&base, b"iCCP"));
    assert_eq!(chunk(&cleaned.bytes, b"IDAT"), chunk(&base, b"IDAT"));
    assert_eq!(chunk(&cleaned.bytes, b"eXIf"), Some(exif::minimal_tiff(6)));
    let mut decoder = image::codecs::png::PngDecoder::new(Cursor::new(&cleaned.bytes[..])).unwrap();
    assert_eq!(decoder.icc_profile().unwrap(), Some(fake_icc()));
    let decoded = DynamicImage::from_decoder(decoder).unwrap();
    assert_eq!(decoded.to_rgb8(), image.to_rgb8());
    assert_eq!((cleaned.width, cleaned.height), (30, 40));
    assert_eq!(strip(ImageKind::Png, &cleaned.bytes).bytes, cleaned.bytes);
    // Nothing to strip: same bytes.
    assert_eq!(strip(ImageKind::Png, &base).bytes, base);
}

#[test]
fn webp_exif_and_xmp_go_flags_fixed_iccp_stays() {
    let image = gradient(24, 20);
    let webp = webp_with_metadata(&image, 6);
    let cleaned = strip(ImageKind::Webp, &webp);

    assert_no_secrets(&cleaned.bytes);
    assert_eq!(&cleaned.bytes[12..16], b"VP8X");
    assert_eq!(
        cleaned.bytes[20],
        0x20 | 0x08,
        "ICC + EXIF (orientation), no XMP"
    );
    assert_eq!(
        u32::from_le_bytes(cleaned.bytes[4..8].try_into().unwrap()) as usize,
        cleaned.bytes.len() - 8
    );
    assert!(contains(
        &cleaned.bytes,
        &riff_chunk(b"EXIF", &exif::minimal_tiff(6))
    ));
    let mut decoder = WebPDecoder::new(Cursor::new(&cleaned.bytes[..])).unwrap();
    assert_eq!(decoder.icc_profile().unwrap(), Some(fake_icc()));
    let decoded = DynamicImage::from_decoder(decoder).unwrap().to_rgb8();
    assert_eq!(decoded, image, "lossless: same pixels");
    assert_eq!((cleaned.width, cleaned.height), (20, 24));
    assert_eq!(strip(ImageKind::Webp, &cleaned.bytes).bytes, cleaned.bytes);

    // With orientation 1 the EXIF chunk and its flag go as well.
    let cleaned = strip(ImageKind::Webp, &webp_with_metadata(&image, 1));
    assert_eq!(cleaned.bytes[20], 0x20);
    assert!(!contains(&cleaned.bytes, b"EXIF"));
    assert_eq!((cleaned.width, cleaned.height), (24, 20));
    WebPDecoder::new(Cursor::new(&cleaned.bytes[..])).unwrap();
}

#[test]
fn simple_webp_is_returned_as_is() {
    let lossless = webp_lossless(&gradient(30, 10));
    assert_eq!(&lossless[12..16], b"VP8L");
    assert_eq!(strip(ImageKind::Webp, &lossless).bytes, lossless);
    let lossy = ::webp::Encoder::from_rgb(gradient(30, 10).as_raw(), 30, 10)
        .encode_simple(false, 75.0)
        .unwrap()
        .to_vec();
    assert_eq!(&lossy[12..16], b"VP8 ");
    let cleaned = strip(ImageKind::Webp, &lossy);
    assert_eq!(cleaned.bytes, lossy);
    assert_eq!((cleaned.width, cleaned.height), (30, 10));
}

#[test]
fn gif_comment_and_xmp_go_frames_stay() {
    let gif = gif_two_frames(16, 8);
    let cleaned = strip(ImageKind::Gif, &gif_with_metadata(&gif));
    assert_no_secrets(&cleaned.bytes);
    assert!(contains(&cleaned.bytes, b"NETSCAPE2.0"), "looping kept");
    assert_eq!(cleaned.bytes, gif, "exactly the encoder's output again");
    let frames = GifDecoder::new(Cursor::new(&cleaned.bytes[..]))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].buffer().get_pixel(0, 0), &Rgba([0, 0, 255, 255]));
    assert_eq!((cleaned.width, cleaned.height), (16, 8));
    assert_eq!(strip(ImageKind::Gif, &gif).bytes, gif);
}

#[test]
fn kind_mismatch_is_malformed() {
    let png = png_of(&DynamicImage::ImageRgb8(gradient(4, 4)), None);
    for kind in [ImageKind::Jpeg, ImageKind::Gif, ImageKind::Webp] {
        assert!(matches!(
            strip_metadata(kind, Bytes::from(png.clone())),
            Err(ImagingError::Malformed(_))
        ));
    }
}

// ---------------------------------------------------------------- variants

fn decode_variant(v: &Variant) -> DynamicImage {
    assert_eq!(v.content_type, "image/webp");
    assert_eq!(&v.bytes[..4], b"RIFF");
    let decoded = image::load_from_memory_with_format(&v.bytes, ImageFormat::WebP).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (v.width, v.height));
    decoded
}

fn close(a: Rgb<u8>, b: [u8; 3]) -> bool {
    a.0.iter().zip(b).all(|(&x, y)| x.abs_diff(y) < 40)
}

#[test]
fn variants_have_the_requested_width_and_the_aspect_ratio() {
    let png = png_of(&DynamicImage::ImageRgb8(gradient(2000, 1000)), None);
    let jpeg = jpeg_of(&gradient(2000, 1000), None);
    for (kind, original) in [(ImageKind::Png, &png), (ImageKind::Jpeg, &jpeg)] {
        for width in crate::domain::VariantWidth::ALL {
            let v = make_variant(kind, original, width).unwrap();
            assert_eq!((v.width, v.height), (width, width / 2), "{kind:?} {width}");
            decode_variant(&v);
        }
    }
}

#[test]
fn narrow_images_are_not_upscaled() {
    let jpeg = jpeg_of(&gradient(200, 150), None);
    for width in crate::domain::VariantWidth::ALL {
        let v = make_variant(ImageKind::Jpeg, &jpeg, width).unwrap();
        assert_eq!((v.width, v.height), (200, 150));
        decode_variant(&v);
    }
}

#[test]
fn orientation_is_applied_to_variant_pixels() {
    // Stored 800x400, left half red, right half blue; orientation 6 = rotate 90° clockwise,
    // so it displays 400x800 with red on top.
    let stored = RgbImage::from_fn(800, 400, |x, _| {
        if x < 400 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let (jpeg, _) = jpeg_with_metadata(&stored, 6);
    let jpeg = strip(ImageKind::Jpeg, &jpeg).bytes;
    let v = make_variant(ImageKind::Jpeg, &jpeg, 320).unwrap();
    assert_eq!((v.width, v.height), (320, 640));
    let decoded = decode_variant(&v).to_rgb8();
    assert!(close(*decoded.get_pixel(160, 100), [255, 0, 0]));
    assert!(close(*decoded.get_pixel(160, 540), [0, 0, 255]));
    // The same through a PNG with an eXIf orientation.
    let png = png_with_chunks(
        &png_of(&DynamicImage::ImageRgb8(stored), None),
        &[png::chunk(b"eXIf", &exif::minimal_tiff(6))],
    );
    let v = make_variant(ImageKind::Png, &png, 320).unwrap();
    assert_eq!((v.width, v.height), (320, 640));
    let decoded = decode_variant(&v).to_rgb8();
    assert!(close(*decoded.get_pixel(160, 100), [255, 0, 0]));
}

#[test]
fn animated_gif_variant_is_the_first_frame() {
    let gif = gif_two_frames(400, 200);
    let v = make_variant(ImageKind::Gif, &gif, 320).unwrap();
    assert_eq!((v.width, v.height), (320, 160));
    let decoded = decode_variant(&v).to_rgb8();
    assert!(close(*decoded.get_pixel(100, 50), [255, 0, 0]));
}

#[test]
fn webp_originals_make_variants_too() {
    let webp = strip(ImageKind::Webp, &webp_with_metadata(&gradient(700, 350), 1)).bytes;
    let v = make_variant(ImageKind::Webp, &webp, 640).unwrap();
    assert_eq!((v.width, v.height), (640, 320));
    decode_variant(&v);
}

#[test]
fn variant_keeps_transparency_and_the_icc_profile() {
    let rgba = RgbaImage::from_fn(500, 250, |x, _| {
        Rgba([0, 128, 0, if x < 250 { 0 } else { 255 }])
    });
    let png = png_of(&DynamicImage::ImageRgba8(rgba), Some(fake_icc()));
    let v = make_variant(ImageKind::Png, &png, 320).unwrap();
    let mut decoder = WebPDecoder::new(Cursor::new(&v.bytes[..])).unwrap();
    assert_eq!(decoder.icc_profile().unwrap(), Some(fake_icc()));
    let decoded = DynamicImage::from_decoder(decoder).unwrap().to_rgba8();
    assert!(decoded.get_pixel(10, 10)[3] < 10);
    assert!(decoded.get_pixel(300, 10)[3] > 245);
    // From a JPEG too (simple WebP turned into VP8X + ICCP).
    let jpeg = jpeg_of(&gradient(700, 350), Some(fake_icc()));
    let v = make_variant(ImageKind::Jpeg, &jpeg, 320).unwrap();
    let mut decoder = WebPDecoder::new(Cursor::new(&v.bytes[..])).unwrap();
    assert_eq!(decoder.icc_profile().unwrap(), Some(fake_icc()));
    decode_variant(&v);
}

#[test]
fn variant_width_must_be_sane() {
    let jpeg = jpeg_of(&gradient(20, 10), None);
    assert_eq!(
        make_variant(ImageKind::Jpeg, &jpeg, 0).unwrap_err(),
        ImagingError::InvalidWidth(0)
    );
    assert!(make_variant(ImageKind::Jpeg, &jpeg, MAX_SIDE + 1).is_err());
}

// ---------------------------------------------------------------- decoding memory

/// A JPEG of headers only: a frame of `code` (SOF0 baseline, SOF2 progressive), three
/// components with the given sampling factors, one scan. Enough for the walker, not to decode.
fn jpeg_headers(code: u8, width: u16, height: u16, sampling: [u8; 3]) -> Vec<u8> {
    let mut frame = vec![8];
    frame.extend_from_slice(&height.to_be_bytes());
    frame.extend_from_slice(&width.to_be_bytes());
    frame.push(3);
    for (id, factors) in (1..).zip(sampling) {
        frame.extend_from_slice(&[id, factors, 0]);
    }
    let scan = [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 0, 0];
    [
        &[0xFF, 0xD8][..],
        &segment(code, &frame),
        &segment(0xDA, &scan),
        &[0x12, 0x34, 0xFF, 0xD9],
    ]
    .concat()
}

#[test]
fn a_progressive_jpeg_is_estimated_with_the_coefficients_it_holds() {
    const FULL: u8 = 0x11; // one sample per pixel
    const HALVED: u8 = 0x22; // luma of 4:2:0, beside two FULL chroma planes at a quarter
    let estimate = |code, sampling| {
        let jpeg = jpeg_headers(code, 10_000, 4_000, sampling);
        let header = walk(ImageKind::Jpeg, &jpeg).unwrap().header;
        let for_fingerprint = decoding_bytes(ImageKind::Jpeg, &jpeg, HASHED_WIDTH).unwrap();
        (header.coefficient_bytes, for_fingerprint)
    };
    // Decoded for a fingerprint at an eighth: 1250 × 500 pixels, at most 8 bytes each.
    let eighth = 8 * 1250 * 500;

    // Baseline: decoded a band at a time, nothing held for the whole image.
    assert_eq!(estimate(0xC0, [FULL; 3]), (0, eighth));
    // Progressive 4:4:4: 2 bytes for each of the 40 M samples of 3 planes (a 469 KB file of
    // this kind was measured at +228 MiB), whatever size it is decoded to.
    let coefficients = 2 * 3 * 40_000_000;
    assert_eq!(
        estimate(0xC2, [FULL; 3]),
        (coefficients, coefficients + eighth)
    );
    // Progressive 4:2:0: luma in full, each chroma plane at a quarter.
    let coefficients = 2 * (40_000_000 + 2 * 10_000_000);
    assert_eq!(
        estimate(0xC2, [HALVED, FULL, FULL]),
        (coefficients, coefficients + eighth)
    );

    // Others are decoded whole, 4 bytes a pixel, whatever the width asked for.
    let png = png_of(&DynamicImage::ImageRgb8(gradient(300, 200)), None);
    assert_eq!(
        decoding_bytes(ImageKind::Png, &png, 64).unwrap(),
        4 * 300 * 200
    );
}

// ---------------------------------------------------------------- bombs

/// A complete, tiny PNG whose header claims `width`×`height` pixels.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    [
        png::SIGNATURE,
        &png::chunk(b"IHDR", &ihdr),
        &png::chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]),
        &png::chunk(b"IEND", &[]),
    ]
    .concat()
}

fn assert_refused_fast(kind: ImageKind, bytes: &[u8]) {
    let started = Instant::now();
    for result in [
        strip_metadata(kind, Bytes::copy_from_slice(bytes)).map(|_| ()),
        display_size(kind, bytes).map(|_| ()),
        make_variant(kind, bytes, 640).map(|_| ()),
    ] {
        assert!(
            matches!(result, Err(ImagingError::TooManyPixels { .. })),
            "{kind:?}: {result:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_millis(50));
}

#[test]
fn decompression_bombs_are_refused_from_their_headers() {
    assert_refused_fast(ImageKind::Png, &png_claiming(100_000, 100_000));
    assert_refused_fast(ImageKind::Png, &png_claiming(8_000, 5_001));
    assert_refused_fast(ImageKind::Png, &png_claiming(10_001, 1));
    // Just under the limits, the header is fine (decoding this fake would fail later).
    assert_eq!(
        display_size(ImageKind::Png, &png_claiming(10_000, 4_000)).unwrap(),
        (10_000, 4_000)
    );

    // JPEG: a frame header claiming 60000x60000.
    let mut jpeg = jpeg_of(&gradient(8, 8), None);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    assert_refused_fast(ImageKind::Jpeg, &jpeg);

    // GIF: a small logical screen, but a frame claiming 65535x65535.
    let mut gif = gif_two_frames(8, 8);
    let frame = gif_first_block(&gif)
        + gif[gif_first_block(&gif)..]
            .iter()
            .position(|&b| b == 0x2C)
            .unwrap();
    gif[frame + 5..frame + 9].copy_from_slice(&[0xFF; 4]);
    assert_refused_fast(ImageKind::Gif, &gif);

    // WebP: a VP8X canvas of 16384x16384.
    let mut webp = webp_with_metadata(&gradient(8, 8), 1);
    webp[24..30].copy_from_slice(&[0xFF, 0x3F, 0x00, 0xFF, 0x3F, 0x00]);
    assert_refused_fast(ImageKind::Webp, &webp);
}

// ---------------------------------------------------------------- hostile input

/// Deterministic xorshift, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn small_fixtures() -> Vec<(ImageKind, Vec<u8>)> {
    let image = gradient(40, 24);
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(24, 16, |x, y| {
        Rgba([x as u8 * 10, y as u8 * 10, 0, (x * 10) as u8])
    }));
    vec![
        (ImageKind::Jpeg, jpeg_with_metadata(&image, 6).0),
        (ImageKind::Jpeg, jpeg_of(&image, None)),
        (ImageKind::Jpeg, progressive_jpeg(&image)),
        (
            ImageKind::Png,
            png_with_chunks(
                &png_of(&rgba, Some(fake_icc())),
                &[
                    png::chunk(b"tEXt", b"Comment\0COMMENT-SECRET"),
                    png::chunk(b"eXIf", &exif_tiff(8)),
                ],
            ),
        ),
        (ImageKind::Webp, webp_with_metadata(&image, 5)),
        (
            ImageKind::Webp,
            ::webp::Encoder::from_rgba(rgba.as_bytes(), 24, 16)
                .encode_simple(false, 75.0)
                .unwrap()
                .to_vec(),
        ),
        (ImageKind::Gif, gif_with_metadata(&gif_two_frames(20, 10))),
    ]
}

/// Every entry point on `bytes`: errors are fine, panics are not; and whatever strips cleanly
/// strips to itself again, with the same displayed size.
fn exercise(kind: ImageKind, bytes: &[u8]) {
    let size = display_size(kind, bytes);
    if let Ok(cleaned) = strip_metadata(kind, Bytes::copy_from_slice(bytes)) {
        assert_eq!(size, Ok((cleaned.width, cleaned.height)));
        let again = strip_metadata(kind, cleaned.bytes.clone()).unwrap();
        assert_eq!(again.bytes, cleaned.bytes, "stripping is idempotent");
    }
    if let Ok(v) = make_variant(kind, bytes, 320) {
        assert!(v.width >= 1 && v.width <= 320 && v.height >= 1);
    }
}

/// Mutations per fixture; `IMAGING_FUZZ_ITERATIONS=20000 cargo test --release truncated` for a
/// longer run.
fn fuzz_iterations() -> usize {
    std::env::var("IMAGING_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

#[test]
fn truncated_or_mutated_input_never_panics() {
    let mut rng = Rng(std::env::var("IMAGING_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9E37_79B9_7F4A_7C15));
    for (kind, original) in small_fixtures() {
        exercise(kind, &original);
        for len in 0..original.len() {
            if len < 64 || len % 7 == 0 || len + 64 > original.len() {
                exercise(kind, &original[..len]);
            }
        }
        for _ in 0..fuzz_iterations() {
            let mut mutated = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(mutated.len());
                mutated[at] = match rng.below(3) {
                    0 => rng.next() as u8,
                    1 => 0xFF,
                    _ => mutated[at] ^ (1 << rng.below(8)),
                };
            }
            exercise(kind, &mutated);
        }
    }
}
