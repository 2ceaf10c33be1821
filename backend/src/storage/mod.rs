//! Object storage for images (any S3-compatible server: MinIO, AWS S3, s3s-fs, Garage).

mod image_store;

pub use image_store::{ImageStore, StoredImage};
