use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use aws_sdk_s3::{
    Client,
    config::{
        BehaviorVersion, Credentials, Region, RequestChecksumCalculation,
        ResponseChecksumValidation, retry::RetryConfig, timeout::TimeoutConfig,
    },
    primitives::ByteStream,
};
use bytes::Bytes;
use futures_core::Stream;
use secrecy::ExposeSecret;

use super::StorageError;
use crate::{
    config::S3Config,
    domain::{ImageHash, ValidImage},
};

/// Images in one bucket, each under the key of its SHA-256, with its content type.
#[derive(Clone)]
pub struct ImageStore {
    client: Client,
    bucket: String,
}

/// An image read back from storage: its bytes arrive as a stream, never whole in memory.
pub struct StoredImage {
    pub content_type: String,
    pub content_length: Option<u64>,
    pub bytes: ImageBytes,
}

/// The object's bytes, passed on in the pieces the S3 client received them in: no copy into
/// buffers of our own (see BENCHMARKS.md for what that did to memory).
pub struct ImageBytes(ByteStream);

impl Stream for ImageBytes {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map_err(std::io::Error::other)
    }
}

impl ImageStore {
    pub fn new(config: &S3Config) -> Self {
        let credentials = Credentials::new(
            config.access_key.expose_secret(),
            config.secret_key.expose_secret(),
            None,
            None,
            "postboard-config",
        );
        let sdk_config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .endpoint_url(&config.endpoint)
            .credentials_provider(credentials)
            // MinIO and most self-hosted servers have no per-bucket DNS names.
            .force_path_style(true)
            // Plain signed uploads: chunk-signed bodies with CRC trailers are refused by some
            // S3-compatible servers (see TIPS.md).
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            // A dead server must become a quick 503, not a hanging request.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .operation_timeout(Duration::from_secs(20))
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .build();
        Self {
            client: Client::from_conf(sdk_config),
            bucket: config.bucket.clone(),
        }
    }

    /// Creates the bucket unless it exists already.
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {}
            Err(e) => return Err(StorageError::from_sdk("head bucket", e)),
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Another instance won the race; servers differ in which code they answer.
            Err(e)
                if e.as_service_error().is_some_and(|e| {
                    e.is_bucket_already_owned_by_you() || e.is_bucket_already_exists()
                }) =>
            {
                Ok(())
            }
            Err(e) => Err(StorageError::from_sdk("create bucket", e)),
        }
    }

    /// Whether the bucket answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::from_sdk("head bucket", e))
    }

    /// Stores the image under its hash. The same bytes uploaded twice are stored once.
    #[tracing::instrument(name = "storage.put", skip_all, fields(key = %image.hash))]
    pub async fn put(&self, image: &ValidImage) -> Result<(), StorageError> {
        let key = image.hash.as_str();
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {}
            Err(e) => return Err(StorageError::from_sdk("head object", e)),
        }
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(image.kind.content_type())
            .content_length(image.bytes.len() as i64)
            // `Bytes` is reference-counted: the upload shares the buffer, it does not copy it.
            .body(ByteStream::from(image.bytes.clone()))
            .send()
            .await
            .map_err(|e| StorageError::from_sdk("put object", e))?;
        Ok(())
    }

    /// Deletes the image's object. Deleting one that does not exist succeeds (S3's rule).
    #[tracing::instrument(name = "storage.delete", skip_all, fields(key = %hash))]
    pub async fn delete(&self, hash: &ImageHash) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(hash.as_str())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StorageError::from_sdk("delete object", e))
    }

    /// Opens the image for streaming; `NotFound` when no such object exists.
    #[tracing::instrument(name = "storage.get", skip_all, fields(key = %hash))]
    pub async fn get(&self, hash: &ImageHash) -> Result<StoredImage, StorageError> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(hash.as_str())
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                    StorageError::NotFound {
                        key: hash.to_string(),
                    }
                } else {
                    StorageError::from_sdk("get object", e)
                }
            })?;
        Ok(StoredImage {
            content_type: output
                .content_type
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            content_length: output.content_length.and_then(|n| u64::try_from(n).ok()),
            bytes: ImageBytes(output.body),
        })
    }
}
