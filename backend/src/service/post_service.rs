use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use crate::{
    domain::{
        CleanImage, ClientKeyer, Cursor, DeleteToken, Fingerprint, Freshness, ImageHash, ImageKind,
        NewPost, PageRequest, Post, PostState, ScoreChange, UploadedImage, VariantWidth,
    },
    imaging::{ImageProcessor, ImagingError},
    repository::{Insertion, ModeratorRepository, NewRow, PostRepository, UploadCheck, Vote},
    service::LiveEvents,
    storage::{ImageCacheStats, ImageStore, ObjectKey, StorageError, StoredImage},
};

use super::{ServiceError, shown_images::ShownImages};

/// One page of a list (the board, or search results) and the cursor of the next one, when
/// there is a next one.
#[derive(Debug)]
pub struct Page<C = Cursor> {
    pub posts: Vec<Post>,
    pub next: Option<C>,
}

/// What the image route answers.
pub enum ImageAnswer {
    /// The client's copy is the image: no trip to storage.
    Unchanged,
    Image(StoredImage),
}

/// A new post and its delete token, which is not kept anywhere: the one chance to show it.
#[derive(Debug)]
pub struct Created {
    pub post: Post,
    /// `Hidden` for a post held for a moderator (`PREMODERATE_IMAGES`).
    pub state: PostState,
    pub delete_token: DeleteToken,
}

/// The board's moderation settings.
#[derive(Debug, Clone, Copy)]
pub struct ModerationRules {
    /// Reports from this many different clients hide a post (`REPORTS_TO_HIDE`, at least 1).
    pub reports_to_hide: u32,
    /// New posts with an image wait hidden for a moderator (`PREMODERATE_IMAGES`).
    pub premoderate_images: bool,
}

#[derive(Clone)]
pub struct PostService {
    pub(super) posts: PostRepository,
    pub(super) images: ImageStore,
    pub(super) imaging: ImageProcessor,
    pub(super) live: LiveEvents,
    pub(super) moderators: ModeratorRepository,
    /// Who a client is, as keyed hashes of its address (reports count clients; posts keep
    /// their poster's, for bans).
    pub(super) clients: ClientKeyer,
    pub(super) rules: ModerationRules,
    /// Which images a visible post shows, asked of the database at most twice a second.
    pub(super) shown: ShownImages,
    /// Whether this replica inserted posts since its last merge of the search index's
    /// pending words (see `merge_search_entries`).
    pub(super) words_to_merge: Arc<AtomicBool>,
}

impl PostService {
    pub fn new(
        posts: PostRepository,
        images: ImageStore,
        imaging: ImageProcessor,
        live: LiveEvents,
        moderators: ModeratorRepository,
        clients: ClientKeyer,
        rules: ModerationRules,
    ) -> Self {
        Self {
            posts,
            images,
            imaging,
            live,
            moderators,
            clients,
            rules: ModerationRules {
                reports_to_hide: rules.reports_to_hide.max(1),
                ..rules
            },
            shown: ShownImages::new(),
            words_to_merge: Arc::default(),
        }
    }

    /// One page of the board, as fresh as `freshness` asks (see `domain::Freshness`).
    #[tracing::instrument(name = "service.list", skip(self))]
    pub async fn list(
        &self,
        request: PageRequest,
        freshness: Freshness,
    ) -> Result<Page, ServiceError> {
        let mut posts = self.posts.page(&request, freshness).await?;
        let limit = usize::from(request.limit.get());
        let next = if posts.len() > limit {
            posts.truncate(limit);
            posts.last().map(|last| Cursor::after(last, request.sort))
        } else {
            None
        };
        Ok(Page { posts, next })
    }

    /// The post `id`.
    #[tracing::instrument(name = "service.get", skip(self))]
    pub async fn get(&self, id: i64, freshness: Freshness) -> Result<Post, ServiceError> {
        self.posts
            .find(id, freshness)
            .await?
            .ok_or(ServiceError::PostNotFound(id))
    }

    /// Removes the image's metadata, then inserts the post with a new delete token. With an
    /// image, the row is inserted only once the image's object surely exists, under the
    /// image's lock (repository::post_lifecycle): a failed upload leaves no post, and a
    /// concurrent delete of the same image cannot take the object away from under the new
    /// post. An image that is blocked (a purged picture: the same bytes, or a copy, by its
    /// fingerprint) is refused, and so are a banned poster (asked by the insert itself) and a
    /// username that is a moderator's name. With
    /// `PREMODERATE_IMAGES`, a post with an image is inserted hidden, for a moderator to
    /// restore. The post keeps its poster's keys (from `poster`, the client's address), so a
    /// moderator can ban whoever made it.
    #[tracing::instrument(name = "service.create", skip_all)]
    pub async fn create(
        &self,
        post: NewPost,
        image: Option<UploadedImage>,
        poster: IpAddr,
    ) -> Result<Created, ServiceError> {
        let image = match image {
            Some(upload) => Some(self.imaging.clean(upload).await?),
            None => None,
        };
        let delete_token =
            DeleteToken::generate().map_err(|error| ServiceError::Internal(Box::new(error)))?;
        let token_hash = delete_token.hash();
        let poster = self.clients.keys_of(poster);
        let state = if image.is_some() && self.rules.premoderate_images {
            PostState::Hidden
        } else {
            PostState::Visible
        };
        let row = NewRow {
            post: &post,
            state,
            delete_token: &token_hash,
            poster: &poster,
        };
        let post = match &image {
            None => match self.posts.insert(row).await? {
                Insertion::Inserted(post) => post,
                Insertion::Refused(refusal) => return Err(refusal.into()),
            },
            Some(image) => self.insert_with_image(row, image).await?,
        };
        // Read first: a store from every create would pass the flag's cache line between the
        // cores on every request (the cost `http::AppState` avoids for its reference counts).
        if !self.words_to_merge.load(Ordering::Relaxed) {
            self.words_to_merge.store(true, Ordering::Relaxed);
        }
        Ok(Created {
            post,
            state,
            delete_token,
        })
    }

    /// Inserts a post with an image, under the image's lock (see `repository::post_lifecycle`):
    /// unless the image is blocked or the poster may not post, its object is made sure of
    /// (when no post uses it yet), then the row is inserted.
    async fn insert_with_image(
        &self,
        row: NewRow<'_>,
        image: &CleanImage,
    ) -> Result<Post, ServiceError> {
        let fingerprint = self.fingerprint(image).await?;
        let upload = match self
            .posts
            .begin_image_upload(row, image, fingerprint.as_ref())
            .await?
        {
            UploadCheck::Allowed(upload) => upload,
            UploadCheck::Blocked => return Err(ServiceError::ImageBlocked),
            UploadCheck::Refused(refusal) => return Err(refusal.into()),
        };
        if upload.needs_object()
            && let Err(error) = self.images.put(image).await
        {
            // The storage's failure is the answer. A rollback that fails too closes its
            // connection, which rolls the transaction back as well.
            let _ = upload.abandon().await;
            return Err(error.into());
        }
        match upload.insert().await? {
            Insertion::Inserted(post) => Ok(post),
            Insertion::Refused(refusal) => Err(refusal.into()),
        }
    }

    /// The upload's fingerprint, to compare with blocked pictures. Decoding it also proves
    /// the file whole: a damaged one (a truncated JPEG, which only its header vouched for) is
    /// refused, as no variant could ever be made of it. A format our decoders can't scale
    /// (arithmetic-coded JPEG, an over-large 16-bit PNG) is kept, served as the original,
    /// and compared by its bytes only.
    async fn fingerprint(&self, image: &CleanImage) -> Result<Option<Fingerprint>, ServiceError> {
        match self
            .imaging
            .fingerprint(image.kind, image.bytes.clone())
            .await
        {
            Ok(fingerprint) => Ok(Some(fingerprint)),
            Err(error @ ImagingError::Malformed(_)) => Err(error.into()),
            Err(error) => {
                tracing::info!(%error, image = %image.hash, "no fingerprint for the upload");
                Ok(None)
            }
        }
    }

    /// Adds `change` to the post's score, unless the client at `voter` is banned.
    #[tracing::instrument(name = "service.vote", skip(self, voter))]
    pub async fn vote(
        &self,
        post_id: i64,
        change: ScoreChange,
        voter: IpAddr,
    ) -> Result<Post, ServiceError> {
        let voter = self.clients.keys_of(voter);
        let post = match self.posts.add_to_score(post_id, change, voter).await? {
            Vote::Counted(post) => post,
            Vote::NoSuchPost => return Err(ServiceError::PostNotFound(post_id)),
            Vote::Banned { until } => return Err(ServiceError::Banned { until }),
        };
        self.live.score_changed(post_id);
        Ok(post)
    }

    /// The image, or its variant `width` wide, while a visible post shows it (nothing else is
    /// served, revalidations included): [`ImageAnswer::Unchanged`] without a trip to storage
    /// when the client holds it already (`client_has_it`: its `If-None-Match` names it; the
    /// bytes behind a hash never change).
    #[tracing::instrument(name = "service.image", skip(self))]
    pub async fn image(
        &self,
        hash: &ImageHash,
        width: Option<VariantWidth>,
        client_has_it: bool,
    ) -> Result<ImageAnswer, ServiceError> {
        if !self.shown.is_shown(&self.posts, hash).await? {
            return Err(ServiceError::ImageNotFound(hash.to_string()));
        }
        if client_has_it {
            return Ok(ImageAnswer::Unchanged);
        }
        Ok(ImageAnswer::Image(self.stored_image(hash, width).await?))
    }

    /// The image for a moderator, whatever the state of the posts that show it (a hidden or
    /// waiting post's picture must be seen to be judged). A purged image is gone.
    #[tracing::instrument(name = "service.moderated_image", skip(self, _moderator))]
    pub async fn moderated_image(
        &self,
        _moderator: &super::Moderator,
        hash: &ImageHash,
        width: Option<VariantWidth>,
    ) -> Result<StoredImage, ServiceError> {
        self.stored_image(hash, width).await
    }

    /// The image, or its variant `width` wide, from storage. A variant is made on its first
    /// request and kept in object storage, so it is computed once; when the image cannot be
    /// scaled (a format the decoders do not read), the original is served in its place.
    async fn stored_image(
        &self,
        hash: &ImageHash,
        width: Option<VariantWidth>,
    ) -> Result<StoredImage, ServiceError> {
        let Some(width) = width else {
            return Ok(self.images.get(ObjectKey::Original(hash)).await?);
        };
        let key = ObjectKey::Variant(hash, width);
        match self.images.get(key).await {
            Err(StorageError::NotFound { .. }) => {}
            found => return Ok(found?),
        }
        let original = self.images.read(ObjectKey::Original(hash)).await?;
        let kind = ImageKind::sniff(&original)
            .ok_or_else(|| ServiceError::Internal(format!("image {hash}: unknown type").into()))?;
        match self.imaging.variant(kind, original.clone(), width).await {
            Ok(variant) => {
                let bytes = bytes::Bytes::from(variant.bytes);
                self.images
                    .put_variant(key, variant.content_type, bytes.clone())
                    .await?;
                Ok(StoredImage::from_memory(variant.content_type, bytes))
            }
            Err(error @ (ImagingError::Unsupported(_) | ImagingError::OverMemoryLimit)) => {
                tracing::info!(%error, %hash, "cannot scale the image; serving the original");
                Ok(StoredImage::from_memory(kind.content_type(), original))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Reads and records the size of images stored before sizes were recorded. Runs in the
    /// background at startup on every replica; each update is idempotent, so replicas that
    /// do it at once only repeat a little work.
    pub async fn fill_in_image_sizes(&self) -> Result<usize, ServiceError> {
        let mut filled = 0;
        // Images whose size cannot be read (a missing object, a damaged file) are skipped,
        // so that they do not hide the others.
        let mut unreadable: Vec<String> = Vec::new();
        loop {
            let hashes = self.posts.images_without_size(50, &unreadable).await?;
            if hashes.is_empty() {
                return Ok(filled);
            }
            for raw in hashes {
                let size = match ImageHash::parse(&raw) {
                    Ok(hash) => self.image_size(&hash).await.map(|size| (hash, size)),
                    Err(error) => Err(error.into()),
                };
                match size {
                    Ok((hash, (width, height))) => {
                        self.posts.set_image_size(&hash, width, height).await?;
                        filled += 1;
                    }
                    Err(error) => {
                        let error = crate::observe::telemetry::cause_chain(&error);
                        tracing::warn!(hash = %raw, %error, "cannot read an image's size");
                        unreadable.push(raw);
                    }
                }
            }
        }
    }

    async fn image_size(&self, hash: &ImageHash) -> Result<(u32, u32), ServiceError> {
        let bytes = self.images.read(ObjectKey::Original(hash)).await?;
        let kind = ImageKind::sniff(&bytes).ok_or(ImagingError::Unsupported(
            "not PNG, JPEG, GIF or WebP".into(),
        ))?;
        Ok(self.imaging.size(kind, bytes).await?)
    }

    /// How the in-memory copy of small images is doing (for metrics).
    pub fn image_cache_stats(&self) -> ImageCacheStats {
        self.images.cache_stats()
    }

    /// How many scaled copies of images this process has made (for metrics).
    pub fn variants_made(&self) -> u64 {
        self.imaging.variants_made()
    }

    /// Ready when both PostgreSQL and object storage answer.
    pub async fn check_ready(&self) -> Result<(), ServiceError> {
        let (database, storage) = tokio::join!(self.posts.ping(), self.images.ping());
        database?;
        storage?;
        Ok(())
    }
}
