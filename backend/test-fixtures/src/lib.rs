//! What the tests share, as a dev-dependency of the unit and the API tests alike: image
//! fixtures built in code (images encoded with `image`, metadata spliced in by hand), used by
//! the imaging unit tests (`backend/src/imaging/tests.rs`) and the API tests (`backend/tests/`);
//! and an S3 server on a folder ([`s3`]).

pub mod s3;

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{
    Delay, DynamicImage, ExtendedColorType, Frame, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage,
};

/// Strings planted in the fixtures' metadata; none may survive stripping.
pub const SECRETS: &[&[u8]] = &[
    b"Canon",
    b"SERIAL-SECRET",
    b"MAKERNOTE-SECRET",
    b"GPS-SECRET",
    b"XMP-SECRET",
    b"IPTC-SECRET",
    b"COMMENT-SECRET",
    b"MPF-SECRET",
    b"TRAILER-SECRET",
    b"TIME-SECRET",
    b"PRIVATE-SECRET",
];

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub fn assert_no_secrets(bytes: &[u8]) {
    for secret in SECRETS {
        assert!(
            !contains(bytes, secret),
            "{} survived",
            String::from_utf8_lossy(secret)
        );
    }
}

pub fn gradient(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    })
}

/// A plausible ICC header (size, class `mntr`, colour space `RGB `, `acsp`) and a marker.
pub fn fake_icc() -> Vec<u8> {
    let mut p = vec![0u8; 160];
    p[..4].copy_from_slice(&160u32.to_be_bytes());
    p[8..12].copy_from_slice(&[4, 0x30, 0, 0]);
    p[12..16].copy_from_slice(b"mntr");
    p[16..20].copy_from_slice(b"RGB ");
    p[20..24].copy_from_slice(b"XYZ ");
    p[36..40].copy_from_slice(b"acsp");
    p[140..150].copy_from_slice(b"ICC-MARKER");
    p
}

pub fn jpeg_of(image: &RgbImage, icc: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub fn png_of(image: &DynamicImage, icc: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .unwrap();
    out
}

pub fn webp_lossless(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A JPEG segment: marker, length, payload.
pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// `jpeg` with `segments` inserted right after SOI.
pub fn with_segments(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Little-endian EXIF (TIFF) with IFD0 (Make, Orientation), an EXIF IFD (body serial number,
/// maker note) and a GPS IFD (latitude ref, processing method).
pub fn exif_tiff(orientation: u16) -> Vec<u8> {
    let make = b"Canon\0";
    let serial = b"SERIAL-SECRET-123\0";
    let maker_note = b"MAKERNOTE-SECRET";
    let gps_method = b"ASCII\0\0\0GPS-SECRET-LOCATION";
    let ifd0 = 8u32;
    let exif_ifd = ifd0 + 2 + 4 * 12 + 4;
    let gps_ifd = exif_ifd + 2 + 2 * 12 + 4;
    let data = gps_ifd + 2 + 2 * 12 + 4;
    let make_at = data;
    let serial_at = make_at + make.len() as u32;
    let maker_at = serial_at + serial.len() as u32;
    let gps_at = maker_at + maker_note.len() as u32;
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&ifd0.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    };
    t.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, make.len() as u32, make_at);
    entry(&mut t, 0x0112, 3, 1, u32::from(orientation));
    entry(&mut t, 0x8769, 4, 1, exif_ifd);
    entry(&mut t, 0x8825, 4, 1, gps_ifd);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0xA431, 2, serial.len() as u32, serial_at);
    entry(&mut t, 0x927C, 7, maker_note.len() as u32, maker_at);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes([b'N', 0, 0, 0]));
    entry(&mut t, 0x001B, 7, gps_method.len() as u32, gps_at);
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len() as u32, data);
    for blob in [&make[..], serial, maker_note, gps_method] {
        t.extend_from_slice(blob);
    }
    t
}

pub fn exif_app1(orientation: u16) -> Vec<u8> {
    segment(0xE1, &[&b"Exif\0\0"[..], &exif_tiff(orientation)].concat())
}

/// A JPEG carrying every kind of metadata a phone or editor writes, plus an ICC profile.
pub fn jpeg_with_metadata(image: &RgbImage, orientation: u16) -> (Vec<u8>, Vec<u8>) {
    let base = jpeg_of(image, Some(fake_icc()));
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>XMP-SECRET</x:xmpmeta>";
    let mut jpeg = with_segments(
        &base,
        &[
            exif_app1(orientation),
            segment(0xE1, xmp),
            segment(
                0xED,
                b"Photoshop 3.0\x008BIM\x04\x04\0\0\0\0\0\x0bIPTC-SECRET",
            ),
            segment(0xFE, b"COMMENT-SECRET"),
            segment(0xE2, b"MPF\0II*\0MPF-SECRET"),
        ],
    );
    jpeg.extend_from_slice(b"\xFF\xD8TRAILER-SECRET: a motion-photo video would be here");
    (jpeg, base)
}

/// PNG chunks as (type, data).
pub fn png_chunks(png: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut chunks = Vec::new();
    let mut pos = 8;
    while pos + 12 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = png[pos + 4..pos + 8].try_into().unwrap();
        chunks.push((kind, png[pos + 8..pos + 8 + len].to_vec()));
        pos += 12 + len;
        if &kind == b"IEND" {
            break;
        }
    }
    chunks
}

/// A PNG chunk: length, type, data and CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

/// `png` with `chunks` inserted right after IHDR (signature 8 + IHDR 25 bytes).
pub fn png_with_chunks(png: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = png[..33].to_vec();
    for c in chunks {
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&png[33..]);
    out
}

/// A WebP chunk with its padding byte.
pub fn riff_chunk(fourcc: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = fourcc.to_vec();
    c.extend_from_slice(&(data.len() as u32).to_le_bytes());
    c.extend_from_slice(data);
    if data.len() % 2 == 1 {
        c.push(0);
    }
    c
}

pub fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = chunks.concat();
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    out
}

pub fn vp8x(flags: u8, width: u32, height: u32) -> Vec<u8> {
    let mut d = vec![flags, 0, 0, 0];
    d.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    d.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    riff_chunk(b"VP8X", &d)
}

/// An extended WebP: VP8X + ICCP + the lossless image + EXIF + XMP (+ an unknown chunk).
pub fn webp_with_metadata(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let simple = webp_lossless(image);
    riff(&[
        vp8x(0x20 | 0x08 | 0x04, image.width(), image.height()),
        riff_chunk(b"ICCP", &fake_icc()),
        simple[12..].to_vec(),
        riff_chunk(b"EXIF", &exif_tiff(orientation)),
        riff_chunk(b"XMP ", b"<x:xmpmeta>XMP-SECRET</x:xmpmeta>"),
        riff_chunk(b"prVt", b"PRIVATE-SECRET"),
    ])
}

/// An animated GIF: a red frame, then a blue one, looping.
pub fn gif_two_frames(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder.set_repeat(Repeat::Infinite).unwrap();
        for colour in [Rgba([255, 0, 0, 255]), Rgba([0, 0, 255, 255])] {
            let frame = Frame::from_parts(
                RgbaImage::from_pixel(width, height, colour),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            );
            encoder.encode_frame(frame).unwrap();
        }
    }
    out
}

/// Where a GIF's first block starts (after header, logical screen and global palette).
pub fn gif_first_block(gif: &[u8]) -> usize {
    let flags = gif[10];
    13 + if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    }
}

pub fn gif_with_metadata(gif: &[u8]) -> Vec<u8> {
    let at = gif_first_block(gif);
    let mut out = gif[..at].to_vec();
    out.extend_from_slice(b"\x21\xFE\x0ECOMMENT-SECRET\x00");
    out.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP\x0AXMP-SECRET\x00");
    out.extend_from_slice(&gif[at..]);
    out.extend_from_slice(b"TRAILER-SECRET");
    out
}

// ---------------------------------------------------------------- small files for the API tests

/// A real, decodable 2×2 PNG whose pixels depend on `seed` (so different seeds differ).
pub fn png(seed: u8) -> Vec<u8> {
    let pixels = RgbaImage::from_fn(2, 2, |x, _| Rgba([seed, x as u8 * 100, 255 - seed, 255]));
    png_of(&DynamicImage::ImageRgba8(pixels), None)
}

/// A PNG that claims `width`×`height` pixels (a decompression bomb's header): `png(1)` with
/// its size changed, and its header's checksum made right again.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = png(1);
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// A valid PNG padded after its end to exactly `len` bytes.
pub fn png_of_len(len: usize) -> Vec<u8> {
    let mut png = png(7);
    assert!(len >= png.len());
    png.resize(len, 0);
    png
}

/// 1×1 GIF.
pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
/// 1×1 lossless WebP.
pub const WEBP: &[u8] = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00";

/// A real 3×2 baseline JPEG.
pub fn jpeg() -> Vec<u8> {
    jpeg_of(&gradient(3, 2), None)
}
