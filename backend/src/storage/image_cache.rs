//! Small image objects kept in memory, so that serving a popular image costs no trip to S3.
//!
//! The cache sits in the storage layer, inside [`ImageStore`](super::ImageStore), rather than in
//! the service, because what makes it correct is a property of the storage: an object's key is
//! its content's hash ([`ObjectKey`]), so an object never changes once written, and a copy of
//! it needs no invalidation, in this process or in any replica, without coordination (deletion
//! aside: see [`TIME_TO_LIVE`]). Here it also sees what only storage sees: the `Content-Length`
//! of a GET response before its body is read, which decides whether the object is small enough
//! to keep; large objects stream through as before, never buffered. And every reader benefits
//! without knowing: the image route, and the service reading an original to scale it.
//!
//! Objects up to [`MAX_ITEM_BYTES`] are kept, within a bound on the bytes held
//! (`IMAGE_CACHE_BYTES`); `moka` evicts by recency and frequency (TinyLFU) and coalesces
//! concurrent misses of one key into one GET.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use moka::future::Cache;

use super::{ObjectKey, StorageError, StoredImage};
use crate::domain::{ImageHash, VariantWidth};

/// The largest object kept in memory; larger ones always stream from storage.
pub const MAX_ITEM_BYTES: u64 = 1024 * 1024;

/// What an entry costs beyond its object, key and content type: moka's bookkeeping and the
/// allocations' own overhead. Measured at about 490 bytes (200 000 entries of 242-byte images);
/// counted in each entry's weight, so that the bound holds for tiny images too.
const ENTRY_OVERHEAD: usize = 512;

/// How long an entry may be served before it is read again. Objects never change, but they can
/// be deleted, and replicas do not tell each other: this bounds how long a replica that did not
/// delete an image goes on serving it, for one GET per popular object per period.
pub const TIME_TO_LIVE: Duration = Duration::from_secs(10 * 60);

/// A handle to the cache (clones share it); [`ImageCache::disabled`] keeps nothing.
#[derive(Clone, Default)]
pub struct ImageCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    objects: Cache<String, CachedObject>,
    capacity: u64,
    item_limit: u64,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Clone)]
struct CachedObject {
    content_type: Arc<str>,
    bytes: Bytes,
}

impl CachedObject {
    fn to_stored(&self) -> StoredImage {
        StoredImage::from_memory(&self.content_type, self.bytes.clone())
    }
}

/// What the cache holds and how it has served, for metrics. Sizes are moka's running
/// figures: they catch up with the latest inserts and evictions within moments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImageCacheStats {
    /// The bound (`IMAGE_CACHE_BYTES`); 0 when the cache is off.
    pub capacity_bytes: u64,
    /// Bytes held: objects, their keys and content types, and a fixed overhead per entry.
    pub bytes: u64,
    pub entries: u64,
    /// Reads answered from memory.
    pub hits: u64,
    /// Reads that went to storage (those too large to keep included).
    pub misses: u64,
}

/// Why a load did not give an object to keep.
#[derive(Debug, thiserror::Error)]
enum Miss {
    #[error(transparent)]
    Storage(StorageError),
    #[error("object too large to keep in memory")]
    TooLarge,
}

impl ImageCache {
    /// A cache holding at most `capacity_bytes`; 0 turns it off.
    pub fn new(capacity_bytes: u64) -> Self {
        if capacity_bytes == 0 {
            return Self::disabled();
        }
        let objects = Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(|key: &String, object: &CachedObject| {
                let weight =
                    ENTRY_OVERHEAD + key.len() + object.content_type.len() + object.bytes.len();
                u32::try_from(weight).unwrap_or(u32::MAX)
            })
            .time_to_live(TIME_TO_LIVE)
            .build();
        Self {
            inner: Some(Arc::new(Inner {
                objects,
                capacity: capacity_bytes,
                // An object heavier than the whole cache would only evict everything else.
                item_limit: MAX_ITEM_BYTES.min(capacity_bytes),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            })),
        }
    }

    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// The object under `key` from memory, or from `load` (a GET): kept when its
    /// `Content-Length` says it is small enough, otherwise returned as it streams. Concurrent
    /// callers for one key wait for a single load.
    pub(super) async fn get_or_load<F, Fut>(
        &self,
        key: ObjectKey<'_>,
        load: F,
    ) -> Result<StoredImage, StorageError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<StoredImage, StorageError>>,
    {
        let Some(inner) = &self.inner else {
            return load().await;
        };
        let name = key.to_string();
        if let Some(object) = inner.objects.get(&name).await {
            inner.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(object.to_stored());
        }
        inner.misses.fetch_add(1, Ordering::Relaxed);
        // Filled when this caller's own load met an object too large to keep.
        let mut streaming = None;
        let loaded = inner
            .objects
            .try_get_with(name, async {
                let object = load().await.map_err(Miss::Storage)?;
                match object.content_length {
                    Some(length) if length <= inner.item_limit => {
                        let content_type = Arc::from(object.content_type);
                        let bytes = object
                            .bytes
                            .collect(Some(length))
                            .await
                            .map_err(Miss::Storage)?;
                        Ok(CachedObject {
                            content_type,
                            bytes,
                        })
                    }
                    _ => {
                        streaming = Some(object);
                        Err(Miss::TooLarge)
                    }
                }
            })
            .await;
        match loaded {
            Ok(object) => Ok(object.to_stored()),
            Err(miss) => match (&*miss, streaming) {
                (Miss::TooLarge, Some(object)) => Ok(object),
                // Another caller's load found it too large while this one waited.
                (Miss::TooLarge, None) => load().await,
                (Miss::Storage(_), _) => Err(unshare(miss)),
            },
        }
    }

    /// Keeps an object just written (an upload, a variant made here), when small enough.
    pub(super) async fn insert(&self, key: ObjectKey<'_>, content_type: &str, bytes: &Bytes) {
        if let Some(inner) = &self.inner
            && bytes.len() as u64 <= inner.item_limit
        {
            let object = CachedObject {
                content_type: Arc::from(content_type),
                // A buffer of its own, exactly as large as the object: the one given may be a
                // slice of a larger one (an upload's), which would hold more than it weighs.
                bytes: Bytes::copy_from_slice(bytes),
            };
            inner.objects.insert(key.to_string(), object).await;
        }
    }

    /// Drops an image and its variants from this process's memory (after deleting them).
    pub async fn forget(&self, hash: &ImageHash) {
        let Some(inner) = &self.inner else { return };
        inner
            .objects
            .invalidate(&ObjectKey::Original(hash).to_string())
            .await;
        for width in VariantWidth::ALL {
            let width = VariantWidth::parse(i64::from(width)).expect("one of ALL");
            inner
                .objects
                .invalidate(&ObjectKey::Variant(hash, width).to_string())
                .await;
        }
        // Invalidated entries are dropped by moka's next maintenance; a purged picture's
        // bytes must leave memory now.
        inner.objects.run_pending_tasks().await;
    }

    pub fn stats(&self) -> ImageCacheStats {
        let Some(inner) = &self.inner else {
            return ImageCacheStats::default();
        };
        ImageCacheStats {
            capacity_bytes: inner.capacity,
            bytes: inner.objects.weighted_size(),
            entries: inner.objects.entry_count(),
            hits: inner.hits.load(Ordering::Relaxed),
            misses: inner.misses.load(Ordering::Relaxed),
        }
    }
}

/// The storage error of a failed load. Callers that waited on another's load share its error;
/// they get one of the same kind, with the shared error as its source.
fn unshare(miss: Arc<Miss>) -> StorageError {
    let shared = match Arc::try_unwrap(miss) {
        Ok(Miss::Storage(error)) => return error,
        Ok(too_large) => Arc::new(too_large),
        Err(shared) => shared,
    };
    match &*shared {
        Miss::Storage(StorageError::NotFound { key }) => {
            StorageError::NotFound { key: key.clone() }
        }
        Miss::Storage(StorageError::Refused { operation, .. }) => StorageError::Refused {
            operation,
            source: Box::new(shared.clone()),
        },
        Miss::Storage(StorageError::Unavailable { operation, .. }) => StorageError::Unavailable {
            operation,
            source: Box::new(shared.clone()),
        },
        Miss::TooLarge => StorageError::Unavailable {
            operation: "get object",
            source: Box::new(shared.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use futures::StreamExt;

    use super::*;

    fn hash(n: u8) -> ImageHash {
        ImageHash::of(&[n])
    }

    /// moka's pending maintenance done, so that the stats count what it keeps.
    async fn settle(cache: &ImageCache) {
        let inner = cache.inner.as_ref().expect("a cache that keeps objects");
        inner.objects.run_pending_tasks().await;
    }

    async fn body(image: StoredImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut stream = image.bytes;
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        bytes
    }

    /// A stand-in for S3: counts its GETs, and takes a moment to answer.
    struct Storage {
        gets: AtomicUsize,
        bytes: Bytes,
    }

    impl Storage {
        fn new(len: usize) -> Self {
            Self {
                gets: AtomicUsize::new(0),
                bytes: Bytes::from(vec![7; len]),
            }
        }

        async fn get(&self) -> Result<StoredImage, StorageError> {
            self.gets.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(StoredImage::from_memory("image/png", self.bytes.clone()))
        }

        fn gets(&self) -> usize {
            self.gets.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn a_small_object_is_read_from_storage_once() {
        let cache = ImageCache::new(1 << 20);
        let storage = Storage::new(100);
        let hash = hash(1);
        for _ in 0..3 {
            let image = cache
                .get_or_load(ObjectKey::Original(&hash), || storage.get())
                .await
                .unwrap();
            assert_eq!(image.content_type, "image/png");
            assert_eq!(image.content_length, Some(100));
            assert_eq!(body(image).await, vec![7; 100]);
        }
        assert_eq!(storage.gets(), 1);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (2, 1));
        assert_eq!(stats.capacity_bytes, 1 << 20);
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_key_load_once() {
        let cache = ImageCache::new(1 << 20);
        let storage = Storage::new(1000);
        let hash = hash(2);
        let reads =
            (0..16).map(|_| cache.get_or_load(ObjectKey::Original(&hash), || storage.get()));
        for image in futures::future::join_all(reads).await {
            assert_eq!(body(image.unwrap()).await.len(), 1000);
        }
        assert_eq!(storage.gets(), 1);
    }

    #[tokio::test]
    async fn objects_over_the_item_limit_stream_and_are_not_kept() {
        let cache = ImageCache::new(64 << 20);
        let storage = Storage::new(MAX_ITEM_BYTES as usize + 1);
        let hash = hash(3);
        for _ in 0..2 {
            let image = cache
                .get_or_load(ObjectKey::Original(&hash), || storage.get())
                .await
                .unwrap();
            assert_eq!(body(image).await.len(), MAX_ITEM_BYTES as usize + 1);
        }
        assert_eq!(storage.gets(), 2);

        // Callers that waited on a load that found the object too large read it themselves.
        let reads = (0..4).map(|_| cache.get_or_load(ObjectKey::Original(&hash), || storage.get()));
        for image in futures::future::join_all(reads).await {
            assert_eq!(
                body(image.unwrap()).await.len(),
                MAX_ITEM_BYTES as usize + 1
            );
        }
        settle(&cache).await;
        assert_eq!(cache.stats().entries, 0);
    }

    #[tokio::test]
    async fn an_object_of_unknown_length_is_not_buffered() {
        let cache = ImageCache::new(1 << 20);
        let hash = hash(4);
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            let mut image = StoredImage::from_memory("image/gif", Bytes::from_static(b"GIF89a"));
            image.content_length = None;
            Ok(image)
        };
        for _ in 0..2 {
            let image = cache
                .get_or_load(ObjectKey::Original(&hash), load)
                .await
                .unwrap();
            assert_eq!(body(image).await, b"GIF89a");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_are_not_kept_and_reach_every_waiting_caller() {
        let cache = ImageCache::new(1 << 20);
        let hash = hash(5);
        let load = || async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(StorageError::Unavailable {
                operation: "get object",
                source: "connection refused".into(),
            })
        };
        let reads = (0..4).map(|_| cache.get_or_load(ObjectKey::Original(&hash), load));
        for result in futures::future::join_all(reads).await {
            assert!(matches!(result, Err(StorageError::Unavailable { .. })));
        }
        let missing = cache
            .get_or_load(ObjectKey::Original(&hash), || async {
                Err(StorageError::NotFound { key: "k".into() })
            })
            .await;
        assert!(matches!(missing, Err(StorageError::NotFound { .. })));
        let storage = Storage::new(10);
        let found = cache
            .get_or_load(ObjectKey::Original(&hash), || storage.get())
            .await;
        assert_eq!(body(found.unwrap()).await.len(), 10);
    }

    #[tokio::test]
    async fn inserted_objects_are_served_and_forgotten_with_their_variants() {
        let cache = ImageCache::new(1 << 20);
        let hash = hash(6);
        let width = VariantWidth::parse(640).unwrap();
        let bytes = Bytes::from_static(b"RIFF....WEBP");
        cache
            .insert(ObjectKey::Variant(&hash, width), "image/webp", &bytes)
            .await;
        cache
            .insert(ObjectKey::Original(&hash), "image/png", &bytes)
            .await;
        let storage = Storage::new(5);
        let image = cache
            .get_or_load(ObjectKey::Variant(&hash, width), || storage.get())
            .await
            .unwrap();
        assert_eq!(image.content_type, "image/webp");
        assert_eq!(body(image).await, bytes);
        assert_eq!(storage.gets(), 0, "served from memory");

        cache.forget(&hash).await;
        for key in [ObjectKey::Original(&hash), ObjectKey::Variant(&hash, width)] {
            cache.get_or_load(key, || storage.get()).await.unwrap();
        }
        assert_eq!(storage.gets(), 2, "both were read again");
    }

    #[tokio::test]
    async fn the_bound_is_kept_and_zero_keeps_nothing() {
        let cache = ImageCache::new(10_000);
        let storage = Storage::new(1000);
        let hashes: Vec<_> = (0..50).map(hash).collect();
        for hash in &hashes {
            cache
                .get_or_load(ObjectKey::Original(hash), || storage.get())
                .await
                .unwrap();
        }
        settle(&cache).await;
        assert!(cache.stats().bytes <= 10_000, "{:?}", cache.stats());

        let off = ImageCache::new(0);
        let storage = Storage::new(10);
        for _ in 0..2 {
            off.get_or_load(ObjectKey::Original(&hashes[0]), || storage.get())
                .await
                .unwrap();
        }
        assert_eq!(storage.gets(), 2);
        assert_eq!(off.stats(), ImageCacheStats::default());
    }
}
