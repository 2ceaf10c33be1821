use crate::{
    domain::{
        Cursor, ImageHash, NewPost, PageRequest, Post, PostText, ScoreChange, Title, Username,
        ValidImage, ValidationError,
    },
    error::AppError,
    repository::PostRepository,
    storage::{ImageStore, StoredImage},
};

/// A create request as received: raw text fields and an image already checked by type,
/// size and dimensions (the HTTP layer feeds the upload into [`crate::domain::ImageUpload`]).
#[derive(Debug, Default)]
pub struct NewPostInput {
    pub title: Option<String>,
    pub text: Option<String>,
    pub username: Option<String>,
    pub image: Option<ValidImage>,
}

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

    pub async fn list(&self, request: PageRequest) -> Result<Page, AppError> {
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

    /// Validates everything first, then uploads the image, then inserts the row: a failed
    /// upload leaves no post, and a refused input touches neither storage.
    pub async fn create(&self, input: NewPostInput) -> Result<Post, AppError> {
        let title = input
            .title
            .as_deref()
            .ok_or_else(|| ValidationError::missing("title", "Title"))?;
        let text = input
            .text
            .as_deref()
            .ok_or_else(|| ValidationError::missing("post", "Text"))?;
        let new_post = NewPost {
            title: Title::parse(title)?,
            text: PostText::parse(text)?,
            username: Username::parse(input.username.as_deref())?,
            image_hash: input.image.as_ref().map(|image| image.hash.clone()),
        };
        if let Some(image) = &input.image {
            self.images.put(image).await?;
        }
        self.posts.insert(&new_post).await
    }

    pub async fn vote(&self, post_id: i64, score_increase: i64) -> Result<Post, AppError> {
        let change = ScoreChange::parse(score_increase)?;
        self.posts
            .add_to_score(post_id, change)
            .await?
            .ok_or_else(|| {
                AppError::not_found(
                    "This post does not exist.",
                    format!("post {post_id}: no such post"),
                )
            })
    }

    pub async fn image(&self, hash: &ImageHash) -> Result<StoredImage, AppError> {
        self.images.get(hash).await
    }

    /// Ready when both PostgreSQL and object storage answer.
    pub async fn check_ready(&self) -> Result<(), AppError> {
        let (database, storage) = tokio::join!(self.posts.ping(), self.images.ping());
        database.and(storage)
    }
}
