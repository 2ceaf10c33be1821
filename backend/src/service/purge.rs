//! Purging a post's image: the post and every other post with that image removed, the picture
//! blocked, its object and variants deleted from storage, and every replica's cache emptied of
//! them (docs/API.md, "Moderation").

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::{Moderator, PostService, ServiceError};
use crate::{
    domain::{Fingerprint, ImageHash, ImageKind, ModReason, PostState},
    observe::telemetry::cause_chain,
    repository::ModAction,
    storage::{ObjectKey, StorageError},
};

/// How often every replica asks which images were blocked lately.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// How far back each of those questions reaches before the previous one: a purge's
/// `blocked_at` is its transaction's start, which may come a little before an earlier
/// question's clock while the purge has not committed yet. Forgetting twice costs nothing.
const FOLLOW_OVERLAP: Duration = Duration::from_secs(30);

impl PostService {
    /// Removes post `id` and purges its image (a post without an image is only removed). The
    /// database work is one transaction; deleting the objects follows it. When storage fails
    /// there, the image is already blocked and served by no replica, and the error says to
    /// purge again, which then only deletes the objects.
    ///
    /// Runs as a task of its own, like a delete: a client that hangs up can't stop it between
    /// the commit and the objects.
    #[tracing::instrument(name = "service.purge", skip(self, reason), fields(moderator = %moderator.name))]
    pub async fn purge(
        &self,
        moderator: &Moderator,
        id: i64,
        reason: &ModReason,
    ) -> Result<PostState, ServiceError> {
        let (service, moderator, reason) = (self.clone(), moderator.clone(), reason.clone());
        let work = async move { service.purge_now(&moderator, id, &reason).await };
        tokio::spawn(work.in_current_span())
            .await
            .map_err(|error| ServiceError::Internal(Box::new(error)))?
    }

    async fn purge_now(
        &self,
        moderator: &Moderator,
        id: i64,
        reason: &ModReason,
    ) -> Result<PostState, ServiceError> {
        let post = self.moderated_post(id).await?;
        let Some(hash) = post.post.image_hash else {
            return self
                .moderate(moderator, id, ModAction::Remove, reason)
                .await;
        };
        let image =
            ImageHash::parse(&hash).map_err(|error| ServiceError::Internal(error.into()))?;
        let fingerprints = if self.posts.is_blocked(&image).await? {
            Vec::new()
        } else {
            self.blocking_fingerprints(&image).await?
        };
        let purged = self
            .posts
            .purge(id, &image, &fingerprints, &moderator.name, reason)
            .await?
            .ok_or(ServiceError::PostNotFound(id))?;
        self.shown.forget(&image).await;
        tracing::info!(post_id = id, removed = ?purged.removed, %image, "purged");
        self.images.delete(&image).await?;
        Ok(PostState::Removed)
    }

    /// The fingerprints to block the picture by, from its stored original. A picture whose
    /// object is gone, or that the decoders can't read, is blocked by its bytes only.
    async fn blocking_fingerprints(
        &self,
        image: &ImageHash,
    ) -> Result<Vec<Fingerprint>, ServiceError> {
        let bytes = match self.images.read(ObjectKey::Original(image)).await {
            Ok(bytes) => bytes,
            Err(StorageError::NotFound { .. }) => {
                tracing::warn!(%image, "purge: the object is gone; blocked by its hash only");
                return Ok(Vec::new());
            }
            Err(error) => return Err(error.into()),
        };
        let Some(kind) = ImageKind::sniff(&bytes) else {
            tracing::warn!(%image, "purge: not an image we read; blocked by its hash only");
            return Ok(Vec::new());
        };
        match self.imaging.blocking_fingerprints(kind, bytes).await {
            Ok(fingerprints) => Ok(fingerprints),
            Err(error) => {
                tracing::warn!(%image, %error, "purge: no fingerprint; blocked by its hash only");
                Ok(Vec::new())
            }
        }
    }

    /// Empties this replica's caches of every image blocked on any replica, within about a
    /// second, until `stop`. Runs on every replica, with live clients or without.
    pub async fn follow_purges(self, stop: CancellationToken) {
        let mut since: DateTime<Utc> = Utc::now() - FOLLOW_OVERLAP * 2;
        let mut every = tokio::time::interval(FOLLOW_EVERY);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => {}
            }
            match self.posts.blocked_since(since).await {
                Ok(lately) => {
                    for image in &lately.images {
                        self.images.forget_cached(image).await;
                        self.shown.forget(image).await;
                    }
                    since = lately.read_at - FOLLOW_OVERLAP;
                }
                Err(error) => {
                    let error = cause_chain(&error);
                    tracing::warn!(%error, "could not read the blocked images; retrying");
                }
            }
        }
    }
}
