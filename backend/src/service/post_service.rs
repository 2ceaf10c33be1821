use crate::{
    domain::{Cursor, ImageHash, NewPost, PageRequest, Post, ScoreChange, ValidImage},
    repository::PostRepository,
    storage::{ImageStore, StoredImage},
};

use super::ServiceError;

/// One page of the board and the cursor of the next one, when there is a next one.
#[derive(Debug)]
pub struct Page {
    pub posts: Vec<Post>,
    pub next: Option<Cursor>,
}

#[derive(Clone)]
pub struct PostService {
    posts: PostRepository,
    images: ImageStore,
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

    /// Uploads the image, then inserts the row: a failed upload leaves no post.
    #[tracing::instrument(name = "service.create", skip_all)]
    pub async fn create(
        &self,
        post: NewPost,
        image: Option<ValidImage>,
    ) -> Result<Post, ServiceError> {
        if let Some(image) = &image {
            self.images.put(image).await?;
        }
        let hash = image.as_ref().map(|image| &image.hash);
        Ok(self.posts.insert(&post, hash).await?)
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
