//! Taking a post back with its delete token, and letting its image object go when no post
//! uses it any more.

use tracing::Instrument as _;

use super::{PostService, ServiceError};
use crate::{
    domain::{ImageHash, TokenHash},
    observe::telemetry::cause_chain,
    repository::Deletion,
};

impl PostService {
    /// Deletes post `id` when `token` is its delete token; then, if no remaining post uses its
    /// image, the image's object.
    ///
    /// The work runs as a task of its own, which the request waits for but cannot cancel: a
    /// client that hangs up (or the request deadline) must not stop it between the deleted
    /// row and the object.
    #[tracing::instrument(name = "service.delete", skip(self, token))]
    pub async fn delete(&self, id: i64, token: TokenHash) -> Result<(), ServiceError> {
        let service = self.clone();
        let work = async move { service.delete_now(id, &token).await };
        tokio::spawn(work.in_current_span())
            .await
            .map_err(|error| ServiceError::Internal(Box::new(error)))?
    }

    async fn delete_now(&self, id: i64, token: &TokenHash) -> Result<(), ServiceError> {
        match self.posts.delete(id, token).await? {
            Deletion::NoSuchPost => Err(ServiceError::PostNotFound(id)),
            Deletion::WrongToken => Err(ServiceError::WrongDeleteToken(id)),
            Deletion::Deleted { image: None } => Ok(()),
            Deletion::Deleted { image: Some(image) } => {
                self.release_image(&image).await;
                Ok(())
            }
        }
    }

    /// Removes the image's object if no post uses it any more. The post is already gone, so
    /// the request succeeds whatever happens here: a failure leaves an object that no post
    /// points to (logged; space wasted, nothing broken), never a post without its image.
    async fn release_image(&self, image: &ImageHash) {
        let failure = match self.posts.claim_unused_image(image).await {
            Ok(None) => {
                tracing::debug!(%image, "image object kept: another post uses it");
                return;
            }
            Ok(Some(unused)) => {
                let removed = self.images.delete(image).await;
                // Whatever the storage said: the lock is released (or goes with its connection).
                if let Err(error) = unused.release().await {
                    tracing::info!(%image, error = %cause_chain(&error), "image lock released with its connection");
                }
                match removed {
                    Ok(()) => {
                        tracing::debug!(%image, "image object removed: no post uses it any more");
                        return;
                    }
                    Err(error) => cause_chain(&error),
                }
            }
            Err(error) => cause_chain(&error),
        };
        tracing::warn!(
            %image,
            error = %failure,
            "the deleted post's image object could not be removed; it stays in storage, unused"
        );
    }
}
