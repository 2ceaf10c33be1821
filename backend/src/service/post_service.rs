use futures_core::future::BoxFuture;

use crate::{
    domain::{Cursor, DeleteToken, ImageHash, NewPost, PageRequest, Post, ScoreChange, ValidImage},
    repository::PostRepository,
    storage::{ImageStore, StorageError, StoredImage},
};

use super::ServiceError;

/// One page of the board and the cursor of the next one, when there is a next one.
#[derive(Debug)]
pub struct Page {
    pub posts: Vec<Post>,
    pub next: Option<Cursor>,
}

/// A new post and its delete token, which is not kept anywhere: the one chance to show it.
#[derive(Debug)]
pub struct Created {
    pub post: Post,
    pub delete_token: DeleteToken,
}

#[derive(Clone)]
pub struct PostService {
    pub(super) posts: PostRepository,
    pub(super) images: ImageStore,
}

impl PostService {
    pub fn new(posts: PostRepository, images: ImageStore) -> Self {
        Self { posts, images }
    }

    #[tracing::instrument(name = "service.list", skip(self))]
    pub async fn list(&self, request: PageRequest) -> Result<Page, ServiceError> {
        let mut posts = self.posts.page(&request).await?;
        let limit = usize::from(request.limit.get());
        let next = if posts.len() > limit {
            posts.truncate(limit);
            posts.last().map(|last| Cursor::after(last, request.sort))
        } else {
            None
        };
        Ok(Page { posts, next })
    }

    /// Inserts the post with a new delete token. With an image, the row is inserted only once
    /// the image's object surely exists, under the image's lock (repository::post_lifecycle):
    /// a failed upload leaves no post, and a concurrent delete of the same image cannot take
    /// the object away from under the new post.
    #[tracing::instrument(name = "service.create", skip_all)]
    pub async fn create(
        &self,
        post: NewPost,
        image: Option<ValidImage>,
    ) -> Result<Created, ServiceError> {
        let delete_token =
            DeleteToken::generate().map_err(|error| ServiceError::Internal(Box::new(error)))?;
        let token_hash = delete_token.hash();
        let post = match &image {
            None => self.posts.insert(&post, &token_hash).await?,
            Some(image) => {
                let upload = || -> BoxFuture<'_, Result<(), StorageError>> {
                    Box::pin(self.images.put(image))
                };
                self.posts
                    .insert_with_image(&post, &image.hash, &token_hash, &upload)
                    .await??
            }
        };
        Ok(Created { post, delete_token })
    }

    #[tracing::instrument(name = "service.vote", skip(self))]
    pub async fn vote(&self, post_id: i64, change: ScoreChange) -> Result<Post, ServiceError> {
        self.posts
            .add_to_score(post_id, change)
            .await?
            .ok_or(ServiceError::PostNotFound(post_id))
    }

    #[tracing::instrument(name = "service.image", skip(self))]
    pub async fn image(&self, hash: &ImageHash) -> Result<StoredImage, ServiceError> {
        Ok(self.images.get(hash).await?)
    }

    /// Ready when both PostgreSQL and object storage answer.
    pub async fn check_ready(&self) -> Result<(), ServiceError> {
        let (database, storage) = tokio::join!(self.posts.ping(), self.images.ping());
        database?;
        storage?;
        Ok(())
    }
}
