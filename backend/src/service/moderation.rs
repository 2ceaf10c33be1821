//! Moderation: who is a moderator, the queue, the actions on posts, and the public log.

use super::{PostService, ServiceError};
use crate::{
    domain::{ModLogEntry, ModLogRequest, ModReason, PostState, TokenHash},
    repository::{ModAction, ModeratedPost},
};

/// A page of the moderation log, and the id to continue before (`?before=`), if any.
#[derive(Debug)]
pub struct ModLogPage {
    pub entries: Vec<ModLogEntry>,
    pub next_before: Option<i64>,
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
        let state = self
            .posts
            .moderate(id, action, &moderator.name, reason)
            .await?
            .ok_or(ServiceError::PostNotFound(id))?;
        tracing::info!(post_id = id, action = action.as_str(), "moderated");
        Ok(state)
    }

    /// A page of the public moderation log, newest first.
    pub async fn mod_log(&self, request: ModLogRequest) -> Result<ModLogPage, ServiceError> {
        let mut entries = self.posts.mod_log(&request).await?;
        let limit = usize::from(request.limit.get());
        let next_before = if entries.len() > limit {
            entries.truncate(limit);
            entries.last().map(|last| last.id)
        } else {
            None
        };
        Ok(ModLogPage {
            entries,
            next_before,
        })
    }
}
