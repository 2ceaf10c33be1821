//! The imaging functions as the server runs them: on tokio's blocking threads (they are CPU
//! work of milliseconds to a few hundred milliseconds, which must not stall the async workers),
//! and bounded, so that a burst of uploads or of cold thumbnails cannot take all the memory.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use bytes::Bytes;
use tokio::sync::Semaphore;

use super::{
    HASHED_WIDTH, ImagingError, Variant, blocking_fingerprints, decoding_bytes, display_size,
    fingerprint, make_variant, strip_metadata,
};
use crate::domain::{CleanImage, Fingerprint, ImageHash, ImageKind, UploadedImage, VariantWidth};

/// Uploads cleaned at once. Cleaning edits containers only (a copy of the file at most), so
/// this bounds CPU more than memory.
const CLEANING_JOBS: usize = 4;
/// Memory that decoding jobs (variants, fingerprints) may hold at once, in MiB. A job reserves
/// its estimate ([`decoding_bytes`]: the bitmap at the size it is decoded to, and a progressive
/// JPEG's coefficients); a job estimated over the whole budget reserves all of it and so runs
/// alone. The peak is then at most the larger of the budget and the largest job (a 40 MP
/// progressive 4:4:4 JPEG: ~230 MiB of coefficients, ~250 MiB in all).
const VARIANT_MEMORY_MIB: u32 = 160;

#[derive(Clone)]
pub struct ImageProcessor {
    cleaning: Arc<Semaphore>,
    variant_memory: Arc<Semaphore>,
    variants_made: Arc<AtomicU64>,
}

impl Default for ImageProcessor {
    fn default() -> Self {
        Self {
            cleaning: Arc::new(Semaphore::new(CLEANING_JOBS)),
            variant_memory: Arc::new(Semaphore::new(VARIANT_MEMORY_MIB as usize)),
            variants_made: Arc::default(),
        }
    }
}

impl ImageProcessor {
    /// Removes the upload's metadata and hashes what remains: the image as it will be stored.
    #[tracing::instrument(name = "imaging.clean", skip_all, fields(kind = ?upload.kind, bytes = upload.bytes.len()))]
    pub async fn clean(&self, upload: UploadedImage) -> Result<CleanImage, ImagingError> {
        let _permit = self.cleaning.acquire().await.expect("never closed");
        run_blocking(move || {
            let kind = upload.kind;
            let cleaned = strip_metadata(kind, upload.bytes)?;
            Ok(CleanImage {
                hash: ImageHash::of(&cleaned.bytes),
                kind,
                bytes: cleaned.bytes,
                width: cleaned.width,
                height: cleaned.height,
            })
        })
        .await
    }

    /// The displayed size of a stored image, from its headers.
    pub async fn size(&self, kind: ImageKind, bytes: Bytes) -> Result<(u32, u32), ImagingError> {
        let _permit = self.cleaning.acquire().await.expect("never closed");
        run_blocking(move || display_size(kind, &bytes)).await
    }

    /// A copy of `original` scaled to `width`.
    #[tracing::instrument(name = "imaging.variant", skip_all, fields(kind = ?kind, width = width.get()))]
    pub async fn variant(
        &self,
        kind: ImageKind,
        original: Bytes,
        width: VariantWidth,
    ) -> Result<Variant, ImagingError> {
        let variant = self
            .decoding(kind, original, width.get(), move |original| {
                make_variant(kind, &original, width.get())
            })
            .await?;
        self.variants_made.fetch_add(1, Ordering::Relaxed);
        Ok(variant)
    }

    /// The perceptual fingerprint of an image (an upload, checked against blocked pictures).
    #[tracing::instrument(name = "imaging.fingerprint", skip_all, fields(kind = ?kind))]
    pub async fn fingerprint(
        &self,
        kind: ImageKind,
        bytes: Bytes,
    ) -> Result<Fingerprint, ImagingError> {
        self.decoding(kind, bytes, HASHED_WIDTH, move |bytes| {
            fingerprint(kind, &bytes)
        })
        .await
    }

    /// The fingerprints a picture is blocked by (a purge).
    pub async fn blocking_fingerprints(
        &self,
        kind: ImageKind,
        bytes: Bytes,
    ) -> Result<Vec<Fingerprint>, ImagingError> {
        self.decoding(kind, bytes, HASHED_WIDTH, move |bytes| {
            blocking_fingerprints(kind, &bytes)
        })
        .await
    }

    /// Runs `job`, which decodes `image` for a copy `width` pixels wide, once the memory that
    /// needs is free.
    async fn decoding<T: Send + 'static>(
        &self,
        kind: ImageKind,
        image: Bytes,
        width: u32,
        job: impl FnOnce(Bytes) -> Result<T, ImagingError> + Send + 'static,
    ) -> Result<T, ImagingError> {
        let estimate_mib = decoding_bytes(kind, &image, width)?.div_ceil(1 << 20);
        let reserve = u32::try_from(estimate_mib)
            .unwrap_or(u32::MAX)
            .clamp(1, VARIANT_MEMORY_MIB);
        let _permit = self
            .variant_memory
            .acquire_many(reserve)
            .await
            .expect("never closed");
        run_blocking(move || job(image)).await
    }

    /// How many variants this process has made (decoded and encoded), for metrics and tests.
    pub fn variants_made(&self) -> u64 {
        self.variants_made.load(Ordering::Relaxed)
    }
}

async fn run_blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, ImagingError> + Send + 'static,
) -> Result<T, ImagingError> {
    tokio::task::spawn_blocking(job)
        .await
        .unwrap_or_else(|error| {
            Err(ImagingError::Malformed(format!(
                "imaging task failed: {error}"
            )))
        })
}
