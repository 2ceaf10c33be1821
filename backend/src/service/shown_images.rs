//! Which images may be served: only those a visible post shows (docs/API.md, "Moderation").
//! Asking the database for every image request would cost the image route a statement each;
//! the answer is kept in this process for [`ANSWER_KEPT`], so a hide, removal or purge on any
//! replica stops the image everywhere within that time (the contract allows 1 s), for one
//! indexed read per image and replica at most twice a second.

use std::time::Duration;

use moka::future::Cache;

use crate::{domain::ImageHash, repository::PostRepository};

use super::ServiceError;

/// How long an answer is trusted: the most a replica goes on serving an image that no visible
/// post shows any more.
pub const ANSWER_KEPT: Duration = Duration::from_millis(500);

/// Images whose answer is kept at once; beyond that the least used are asked again.
const ANSWERS: u64 = 100_000;

#[derive(Clone)]
pub(super) struct ShownImages {
    answers: Cache<ImageHash, bool>,
}

impl ShownImages {
    pub fn new() -> Self {
        Self {
            answers: Cache::builder()
                .max_capacity(ANSWERS)
                .time_to_live(ANSWER_KEPT)
                .build(),
        }
    }

    /// Whether a visible post shows `image`.
    pub async fn is_shown(
        &self,
        posts: &PostRepository,
        image: &ImageHash,
    ) -> Result<bool, ServiceError> {
        if let Some(shown) = self.answers.get(image).await {
            return Ok(shown);
        }
        let shown = posts.image_shown(image).await?;
        self.answers.insert(image.clone(), shown).await;
        Ok(shown)
    }

    /// Drops the kept answer (this replica just purged the image).
    pub async fn forget(&self, image: &ImageHash) {
        self.answers.invalidate(image).await;
    }
}
