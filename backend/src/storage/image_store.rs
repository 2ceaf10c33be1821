use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use aws_sdk_s3::{
    Client,
    config::{
        BehaviorVersion, Credentials, Region, RequestChecksumCalculation,
        ResponseChecksumValidation, http::HttpResponse, retry::RetryConfig, timeout::TimeoutConfig,
    },
    error::SdkError,
    primitives::ByteStream,
};
use bytes::Bytes;
use futures_core::Stream;
use secrecy::ExposeSecret;

use super::{ImageCache, ImageCacheStats, StorageError, error::failure_kind};
use crate::{
    config::S3Config,
    domain::{CleanImage, ImageHash, VariantWidth},
    observe::metrics::Metrics,
};

/// Where an image lives in the bucket: an original under its hash, a variant under
/// `variants/<hash>/<width>`. Objects never change once written (their key says what they
/// are), so any copy of them, anywhere, stays valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKey<'a> {
    Original(&'a ImageHash),
    Variant(&'a ImageHash, VariantWidth),
}

impl fmt::Display for ObjectKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Original(hash) => write!(f, "{hash}"),
            Self::Variant(hash, width) => write!(f, "variants/{hash}/{}", width.get()),
        }
    }
}

/// Images in one bucket, each under the key of its SHA-256, with its content type; the small
/// ones also in memory when given an [`ImageCache`] (see its module for why here).
#[derive(Clone)]
pub struct ImageStore {
    client: Client,
    bucket: String,
    cache: ImageCache,
    metrics: Metrics,
}

/// An image read back from storage: its bytes arrive as a stream, never whole in memory (a
/// small one may come from the cache, whole).
pub struct StoredImage {
    pub content_type: String,
    pub content_length: Option<u64>,
    pub bytes: ImageBytes,
}

impl StoredImage {
    /// An image already in memory (one just made, or cached), served like one read from
    /// storage.
    pub fn from_memory(content_type: &str, bytes: Bytes) -> Self {
        Self {
            content_type: content_type.to_owned(),
            content_length: Some(bytes.len() as u64),
            bytes: ImageBytes(ByteStream::from(bytes)),
        }
    }
}

/// The object's bytes, passed on in the pieces the S3 client received them in: no copy into
/// buffers of our own (see BENCHMARKS.md for what that did to memory).
pub struct ImageBytes(ByteStream);

impl ImageBytes {
    /// Reads the rest of the object into a buffer of its own, allocated once at `length` (the
    /// object's `Content-Length`, trusted up to a bound): no slice of the client's read
    /// buffers is kept alive, and the buffer is no larger than the object.
    pub(super) async fn collect(mut self, length: Option<u64>) -> Result<Bytes, StorageError> {
        const PREALLOCATE_AT_MOST: u64 = 64 * 1024 * 1024;
        let capacity = length.unwrap_or(0).min(PREALLOCATE_AT_MOST);
        let mut buffer = Vec::with_capacity(capacity as usize);
        while let Some(chunk) = self.0.next().await {
            let chunk = chunk.map_err(|e| StorageError::Unavailable {
                operation: "read object",
                source: Box::new(e),
            })?;
            buffer.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(buffer))
    }
}

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
            cache: ImageCache::disabled(),
            metrics: Metrics::disabled(),
        }
    }

    /// Keeps small objects in `cache` too, as they are read (and variants as they are made).
    pub fn with_cache(self, cache: ImageCache) -> Self {
        Self { cache, ..self }
    }

    /// Times every call to object storage, and counts those that fail, in `metrics`.
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Self { metrics, ..self }
    }

    pub fn cache_stats(&self) -> ImageCacheStats {
        self.cache.stats()
    }

    /// Sends one request to object storage (`operation` names it in the metrics), timing it
    /// to its answer's head.
    async fn send<T, E>(
        &self,
        operation: &'static str,
        request: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, SdkError<E, HttpResponse>> {
        let started = Instant::now();
        let result = request.await;
        let failure = result.as_ref().err().and_then(failure_kind);
        self.metrics.s3_call(operation, started.elapsed(), failure);
        result
    }

    /// Creates the bucket unless it exists already.
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        let head = self.client.head_bucket().bucket(&self.bucket).send();
        match self.send("head_bucket", head).await {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {}
            Err(e) => return Err(StorageError::from_sdk("head bucket", e)),
        }
        let create = self.client.create_bucket().bucket(&self.bucket).send();
        match self.send("create_bucket", create).await {
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
        let head = self.client.head_bucket().bucket(&self.bucket).send();
        self.send("head_bucket", head)
            .await
            .map(|_| ())
            .map_err(|e| StorageError::from_sdk("head bucket", e))
    }

    /// Stores the image under its hash. The same bytes uploaded twice are stored once.
    #[tracing::instrument(name = "storage.put", skip_all, fields(key = %image.hash))]
    pub async fn put(&self, image: &CleanImage) -> Result<(), StorageError> {
        let key = ObjectKey::Original(&image.hash).to_string();
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&key)
            .send();
        match self.send("head_object", head).await {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {}
            Err(e) => return Err(StorageError::from_sdk("head object", e)),
        }
        // Not kept in the cache: the board shows variants, and the original is asked for only
        // when someone opens it (then it is cached as it is read). Keeping every upload would
        // cost an upload burst the whole cache bound in memory at once.
        self.put_object(&key, image.kind.content_type(), image.bytes.clone())
            .await
    }

    /// Stores a variant of an image.
    #[tracing::instrument(name = "storage.put_variant", skip_all, fields(key = %key))]
    pub async fn put_variant(
        &self,
        key: ObjectKey<'_>,
        content_type: &str,
        bytes: Bytes,
    ) -> Result<(), StorageError> {
        self.put_object(&key.to_string(), content_type, bytes.clone())
            .await?;
        self.cache.insert(key, content_type, &bytes).await;
        Ok(())
    }

    async fn put_object(
        &self,
        key: &str,
        content_type: &str,
        bytes: Bytes,
    ) -> Result<(), StorageError> {
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(bytes.len() as i64)
            // `Bytes` is reference-counted: the upload shares the buffer, it does not copy it.
            .body(ByteStream::from(bytes))
            .send();
        self.send("put_object", put)
            .await
            .map_err(|e| StorageError::from_sdk("put object", e))?;
        Ok(())
    }

    /// Deletes the image's object and its variants, here and in this replica's cache.
    /// Deleting one that does not exist succeeds (S3's rule).
    #[tracing::instrument(name = "storage.delete", skip_all, fields(key = %hash))]
    pub async fn delete(&self, hash: &ImageHash) -> Result<(), StorageError> {
        let variants = VariantWidth::ALL
            .map(|width| VariantWidth::parse(i64::from(width)).expect("a variant width"));
        let keys = std::iter::once(ObjectKey::Original(hash))
            .chain(variants.map(|width| ObjectKey::Variant(hash, width)));
        let deletes = keys.map(|key| async move {
            let delete = self
                .client
                .delete_object()
                .bucket(&self.bucket)
                .key(key.to_string())
                .send();
            self.send("delete_object", delete)
                .await
                .map(|_| ())
                .map_err(|e| StorageError::from_sdk("delete object", e))
        });
        let deleted = futures_util::future::try_join_all(deletes).await.map(drop);
        self.cache.forget(hash).await;
        deleted
    }

    /// Drops the image and its variants from this replica's cache (another replica deleted
    /// them).
    pub async fn forget_cached(&self, hash: &ImageHash) {
        self.cache.forget(hash).await;
    }

    /// The object from memory, or opened for streaming; `NotFound` when there is no such
    /// object.
    pub async fn get(&self, key: ObjectKey<'_>) -> Result<StoredImage, StorageError> {
        self.cache.get_or_load(key, || self.get_object(key)).await
    }

    /// A GET to object storage (the span of each trip).
    #[tracing::instrument(name = "storage.get", skip_all, fields(key = %key))]
    async fn get_object(&self, key: ObjectKey<'_>) -> Result<StoredImage, StorageError> {
        let key = key.to_string();
        let get = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send();
        let output = self.send("get_object", get).await.map_err(|e| {
            if e.as_service_error().is_some_and(|e| e.is_no_such_key()) {
                StorageError::NotFound { key: key.clone() }
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

    /// Reads the object whole into memory (to make a variant of it, or read its size).
    pub async fn read(&self, key: ObjectKey<'_>) -> Result<Bytes, StorageError> {
        let object = self.get(key).await?;
        object.bytes.collect(object.content_length).await
    }
}
