//! Moderation: who is a moderator, the queue, the actions on posts, and the public log.

use super::{PostService, ServiceError};
use crate::{
    domain::{ModLogEntry, ModReason, NewestFirst, PostState, TokenHash},
    repository::{ModAction, Moderated, ModeratedPost},
};

/// A page of a list read newest first (the moderation log, the bans), and the id to continue
/// before (`?before=`), if any.
#[derive(Debug)]
pub struct NewestFirstPage<T> {
    pub entries: Vec<T>,
    pub next_before: Option<i64>,
}

impl<T> NewestFirstPage<T> {
    /// The page of `request` from `fetched`, which holds up to one entry more than its limit
    /// (that one only says there is a next page).
    pub(super) fn of(mut fetched: Vec<T>, request: NewestFirst, id: impl Fn(&T) -> i64) -> Self {
        let limit = usize::from(request.limit.get());
        let next_before = if fetched.len() > limit {
            fetched.truncate(limit);
            fetched.last().map(id)
        } else {
            None
        };
        Self {
            entries: fetched,
            next_before,
        }
    }
}

/// A moderator, as their token proved them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moderator {
    pub name: String,
}

impl PostService {
    /// The moderator whose token has this hash; [`ServiceError::NotAModerator`] for an
    /// unknown or revoked token. Asked of the database on every request, so a revocation holds
    /// on every replica at once.
    pub async fn moderator(&self, token: &TokenHash) -> Result<Moderator, ServiceError> {
        match self.moderators.named_by(token).await? {
            Some(name) => Ok(Moderator { name }),
            None => Err(ServiceError::NotAModerator),
        }
    }

    pub async fn queue(&self) -> Result<Vec<ModeratedPost>, ServiceError> {
        Ok(self.posts.queue().await?)
    }

    pub async fn moderated_post(&self, id: i64) -> Result<ModeratedPost, ServiceError> {
        self.posts
            .moderated_post(id)
            .await?
            .ok_or(ServiceError::PostNotFound(id))
    }

    /// Does `action` to post `id`; its new state. A removal and a restore reach every live
    /// board through the post's state change (a `delete` or `post` event).
    #[tracing::instrument(name = "service.moderate", skip(self, reason), fields(moderator = %moderator.name))]
    pub async fn moderate(
        &self,
        moderator: &Moderator,
        id: i64,
        action: ModAction,
        reason: &ModReason,
    ) -> Result<PostState, ServiceError> {
        let state = match self
            .posts
            .moderate(id, action, &moderator.name, reason)
            .await?
        {
            Moderated::Done(state) => state,
            Moderated::NoSuchPost => return Err(ServiceError::PostNotFound(id)),
            Moderated::ImagePurged => return Err(ServiceError::ImagePurged(id)),
        };
        tracing::info!(post_id = id, action = action.as_str(), "moderated");
        Ok(state)
    }

    /// A page of the public moderation log, newest first.
    pub async fn mod_log(
        &self,
        request: NewestFirst,
    ) -> Result<NewestFirstPage<ModLogEntry>, ServiceError> {
        let fetched = self.posts.mod_log(&request).await?;
        Ok(NewestFirstPage::of(fetched, request, |entry| entry.id))
    }
}
