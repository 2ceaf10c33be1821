//! Bans: a moderator keeps the client that made a post from creating, voting and reporting.
//! The check itself is the rate limiter's (one statement with the limit's charge).

use super::{Moderator, NewestFirstPage, PostService, ServiceError};
use crate::{
    domain::{Ban, NewBan, NewestFirst, ValidationError},
    repository::Banned,
};

/// A ban that holds now, and the posts it removed.
#[derive(Debug)]
pub struct BanMade {
    pub ban: Ban,
    pub removed: Vec<i64>,
}

impl PostService {
    /// Bans the client that made `ban.post_id`. It holds on every replica at once: every
    /// create, vote and report reads the bans. Posts it removes leave every live board (their
    /// state change is a `delete` event).
    #[tracing::instrument(name = "service.ban", skip(self, ban), fields(moderator = %moderator.name, post_id = ban.post_id))]
    pub async fn ban(&self, moderator: &Moderator, ban: &NewBan) -> Result<BanMade, ServiceError> {
        match self.posts.ban(&moderator.name, ban).await? {
            Banned::Done { ban, removed } => {
                tracing::info!(ban_id = ban.id, removed = removed.len(), "banned");
                Ok(BanMade { ban, removed })
            }
            Banned::NoSuchPost => Err(ServiceError::PostNotFound(ban.post_id)),
            Banned::NoPoster => Err(ValidationError::new(
                "This post is older than bans: its poster can't be banned through it.",
                format!("ban: post {} has no poster keys", ban.post_id),
            )
            .into()),
        }
    }

    pub async fn bans(&self, request: NewestFirst) -> Result<NewestFirstPage<Ban>, ServiceError> {
        let fetched = self.posts.bans(&request).await?;
        Ok(NewestFirstPage::of(fetched, request, |ban| ban.id))
    }

    /// Lifts ban `id`; the ban as it was.
    #[tracing::instrument(name = "service.unban", skip(self), fields(moderator = %moderator.name))]
    pub async fn unban(&self, moderator: &Moderator, id: i64) -> Result<Ban, ServiceError> {
        let ban = self
            .posts
            .unban(id, &moderator.name)
            .await?
            .ok_or(ServiceError::BanNotFound(id))?;
        tracing::info!(ban_id = id, "ban lifted");
        Ok(ban)
    }
}
