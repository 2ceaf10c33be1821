//! Perceptual fingerprints ([`Fingerprint`]): how a purged picture is recognised when it comes
//! back re-encoded, resized or trimmed.
//!
//! The picture is decoded at a small size (the variant pipeline: JPEG DCT scaling, Lanczos3,
//! EXIF orientation applied), then hashed by `image_hasher`'s double gradient at 16×16: 144
//! bits, each saying whether a cell of a 9×9 grey thumbnail is brighter than its right or its
//! lower neighbour. Gradients survive JPEG artefacts and scaling well; what no global hash
//! survives is cropping, which moves every cell. So a blocked picture is fingerprinted several
//! times, trimmed by each of [`BLOCKED_TRIMS`], and an upload is refused when it is near any
//! of them. The figures that chose these numbers are in docs/API.md ("Blocked images") and are
//! measured again by this module's tests.

use image::DynamicImage;
use image_hasher::{HashAlg, Hasher, HasherConfig};

use super::{ImagingError, variant::scaled};
use crate::domain::{FINGERPRINT_BITS, Fingerprint, ImageKind};

/// The width the picture is decoded to before hashing: far more than the 9×9 the hash looks
/// at, so that trimming a few per cent still moves the content by whole pixels.
pub const HASHED_WIDTH: u32 = 256;

/// The borders (a fraction of the width and of the height, on every side) that a blocked
/// picture is also fingerprinted without: a copy cut by up to ~8 % is caught.
pub const BLOCKED_TRIMS: [f32; 4] = [0.0, 0.025, 0.05, 0.075];

fn hasher() -> Hasher {
    HasherConfig::new()
        .hash_alg(HashAlg::DoubleGradient)
        .hash_size(16, 16)
        .to_hasher()
}

/// The fingerprint of the picture in `bytes`, as it is.
pub fn fingerprint(kind: ImageKind, bytes: &[u8]) -> Result<Fingerprint, ImagingError> {
    let picture = small(kind, bytes)?;
    Ok(hash(&hasher(), &picture))
}

/// The fingerprints a blocked picture is known by: the picture as it is, and trimmed by each
/// of [`BLOCKED_TRIMS`].
pub fn blocking_fingerprints(
    kind: ImageKind,
    bytes: &[u8],
) -> Result<Vec<Fingerprint>, ImagingError> {
    let picture = small(kind, bytes)?;
    let hasher = hasher();
    Ok(BLOCKED_TRIMS
        .iter()
        .map(|&border| hash(&hasher, &trimmed(&picture, border)))
        .collect())
}

fn small(kind: ImageKind, bytes: &[u8]) -> Result<DynamicImage, ImagingError> {
    Ok(scaled(kind, bytes, HASHED_WIDTH)?.0)
}

fn hash(hasher: &Hasher, picture: &DynamicImage) -> Fingerprint {
    let bytes = hasher.hash_image(picture).into_inner();
    let bytes = <[u8; FINGERPRINT_BITS / 8]>::try_from(&*bytes)
        .expect("a 16x16 double gradient hash is 144 bits");
    Fingerprint::from_bytes(bytes)
}

/// The picture without a border of `fraction` of its width and height on every side.
fn trimmed(picture: &DynamicImage, fraction: f32) -> DynamicImage {
    let (width, height) = (picture.width(), picture.height());
    let dx = (width as f32 * fraction).round() as u32;
    let dy = (height as f32 * fraction).round() as u32;
    if dx == 0 && dy == 0 || 2 * dx >= width || 2 * dy >= height {
        return picture.clone();
    }
    picture.crop_imm(dx, dy, width - 2 * dx, height - 2 * dy)
}

#[cfg(test)]
mod pictures;
#[cfg(test)]
mod tests;
