//! Object storage for images (any S3-compatible server: MinIO, AWS S3, s3s-fs, Garage).

mod error;
mod image_cache;
mod image_store;

pub use error::StorageError;
pub use image_cache::{ImageCache, ImageCacheStats, MAX_ITEM_BYTES};
pub use image_store::{ImageBytes, ImageStore, ObjectKey, StoredImage};
