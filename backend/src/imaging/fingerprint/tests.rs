//! The measurement behind [`SAME_PICTURE_WITHIN`] and [`BLOCKED_TRIMS`] (docs/API.md, "Blocked
//! images"): blocked pictures of ten kinds, copies of each made as a re-poster would (JPEG at
//! quality 70, scaled to 90 % and 50 %, a 5 % border cut), and 200 other pictures of the same
//! kinds. Every copy must be caught in at least 95 % of cases, and no other picture.
//! `cargo test -p postboard --lib fingerprint -- --nocapture` prints the figures.

use std::collections::BTreeMap;
use std::io::Cursor;

use image::{DynamicImage, ImageFormat, imageops::FilterType};

use super::pictures::{KINDS, picture};
use super::*;
use crate::domain::SAME_PICTURE_WITHIN;

const SIZES: [(u32, u32); 4] = [(400, 300), (300, 400), (480, 270), (360, 360)];

/// A picture as a file: its type and bytes.
type Encoded = (ImageKind, Vec<u8>);

/// Photos travel as JPEG, drawings and screenshots as PNG.
fn encoded(kind: usize, picture: &DynamicImage) -> Encoded {
    let photo = matches!(kind % KINDS, 0 | 5 | 6 | 7 | 8);
    if photo {
        jpeg(picture, 90)
    } else {
        png(picture)
    }
}

fn jpeg(picture: &DynamicImage, quality: u8) -> Encoded {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(&picture.to_rgb8())
        .unwrap();
    (ImageKind::Jpeg, bytes)
}

fn png(picture: &DynamicImage) -> Encoded {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    (ImageKind::Png, bytes)
}

fn scaled_by(picture: &DynamicImage, factor: f32) -> DynamicImage {
    let width = (picture.width() as f32 * factor).round() as u32;
    let height = (picture.height() as f32 * factor).round() as u32;
    picture.resize_exact(width, height, FilterType::Lanczos3)
}

fn cut(picture: &DynamicImage, left: f32, top: f32, right: f32, bottom: f32) -> DynamicImage {
    let (width, height) = (picture.width() as f32, picture.height() as f32);
    let (x, y) = ((width * left) as u32, (height * top) as u32);
    let w = (width * (1.0 - left - right)) as u32;
    let h = (height * (1.0 - top - bottom)) as u32;
    picture.crop_imm(x, y, w, h)
}

/// The copies a re-poster makes of a picture: what the issue asks to catch (`required`), and
/// harder ones whose figures are only reported.
fn copies(kind: usize, original: &DynamicImage) -> Vec<(&'static str, bool, Encoded)> {
    let as_original = |copy: &DynamicImage| encoded(kind, copy);
    vec![
        ("JPEG quality 70", true, jpeg(original, 70)),
        (
            "scaled to 90 %",
            true,
            as_original(&scaled_by(original, 0.9)),
        ),
        (
            "scaled to 50 %",
            true,
            as_original(&scaled_by(original, 0.5)),
        ),
        (
            "5 % border cut",
            true,
            as_original(&cut(original, 0.05, 0.05, 0.05, 0.05)),
        ),
        (
            "5 % cut, JPEG 70",
            false,
            jpeg(&cut(original, 0.05, 0.05, 0.05, 0.05), 70),
        ),
        (
            "3 % border cut",
            false,
            as_original(&cut(original, 0.03, 0.03, 0.03, 0.03)),
        ),
        (
            "7 % border cut",
            false,
            as_original(&cut(original, 0.07, 0.07, 0.07, 0.07)),
        ),
        (
            "10 % border cut",
            false,
            as_original(&cut(original, 0.1, 0.1, 0.1, 0.1)),
        ),
        (
            "5 % cut on one side",
            false,
            as_original(&cut(original, 0.05, 0.0, 0.0, 0.0)),
        ),
        ("JPEG quality 40", false, jpeg(original, 40)),
    ]
}

fn nearest(fingerprint: &Fingerprint, blocked: &[Fingerprint]) -> u32 {
    blocked
        .iter()
        .map(|b| b.distance(fingerprint))
        .min()
        .unwrap()
}

#[test]
fn copies_of_a_blocked_picture_are_caught_and_other_pictures_are_not() {
    const BLOCKED: usize = 2 * KINDS;
    const OTHERS: usize = 200;
    let mut caught: BTreeMap<&str, (bool, usize, usize, u32)> = BTreeMap::new();
    let mut blocked_all = Vec::new();
    for i in 0..BLOCKED {
        let (width, height) = SIZES[i % SIZES.len()];
        let original = DynamicImage::ImageRgb8(picture(i, (i / KINDS) as u64, width, height));
        let (kind, bytes) = encoded(i, &original);
        let blocked = blocking_fingerprints(kind, &bytes).unwrap();
        assert_eq!(blocked.len(), BLOCKED_TRIMS.len());
        for (name, required, (kind, bytes)) in copies(i, &original) {
            let distance = nearest(&fingerprint(kind, &bytes).unwrap(), &blocked);
            let entry = caught.entry(name).or_insert((required, 0, 0, 0));
            entry.1 += usize::from(distance <= SAME_PICTURE_WITHIN);
            entry.2 += 1;
            entry.3 = entry.3.max(distance);
        }
        blocked_all.extend(blocked);
    }

    let mut nearest_other = u32::MAX;
    let mut refused = 0;
    for i in 0..OTHERS {
        let (width, height) = SIZES[(i + 1) % SIZES.len()];
        let other = DynamicImage::ImageRgb8(picture(i, 1000 + (i / KINDS) as u64, width, height));
        let (kind, bytes) = encoded(i, &other);
        let distance = nearest(&fingerprint(kind, &bytes).unwrap(), &blocked_all);
        nearest_other = nearest_other.min(distance);
        refused += usize::from(distance <= SAME_PICTURE_WITHIN);
    }

    println!("{BLOCKED} blocked pictures, refused within {SAME_PICTURE_WITHIN} of 144 bits:");
    let (mut required_caught, mut required_total) = (0, 0);
    for (name, (required, hits, total, farthest)) in &caught {
        let mark = if *required { "required" } else { "reported" };
        println!("  {name:22} {hits:3}/{total} caught, farthest {farthest:2} bits ({mark})");
        if *required {
            required_caught += hits;
            required_total += total;
        }
    }
    println!("  {OTHERS} other pictures: {refused} refused, nearest {nearest_other} bits");
    assert!(
        required_caught * 100 >= required_total * 95,
        "only {required_caught} of {required_total} copies caught"
    );
    assert_eq!(refused, 0, "other pictures refused");
}

#[test]
fn a_picture_matches_its_blocking_fingerprint_and_another_picture_does_not() {
    let original = DynamicImage::ImageRgb8(picture(0, 7, 320, 240));
    let (kind, bytes) = jpeg(&original, 90);
    let plain = fingerprint(kind, &bytes).unwrap();
    assert_eq!(blocking_fingerprints(kind, &bytes).unwrap()[0], plain);
    let different = DynamicImage::ImageRgb8(picture(3, 7, 320, 240));
    let (kind, other) = png(&different);
    assert!(fingerprint(kind, &other).unwrap().distance(&plain) > SAME_PICTURE_WITHIN);
}
