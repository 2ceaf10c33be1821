//! The moderators' side of posts: the queue, one post in any state, the actions, and the
//! public log. Each action is one transaction with its log row, so the log never misses an
//! action nor records one that did not happen.

use chrono::{DateTime, Utc};

use super::{PostRepository, error::RepositoryError};
use crate::domain::{ModLogEntry, ModReason, NewestFirst, Post, PostState};

/// A post as moderators see it: in any state, with its open reports.
#[derive(Debug, Clone)]
pub struct ModeratedPost {
    pub post: Post,
    pub state: PostState,
    pub reports: Vec<OpenReport>,
    /// A short opaque key of the client that made the post: the first bytes of its keyed
    /// address hash, in hex (the same client, the same key), so moderators can tell posts of
    /// one client apart from others. `None` for posts older than poster keys.
    pub poster: Option<String>,
}

/// How many bytes of the poster's address key the queue shows: enough to tell clients apart,
/// too few to stand for the key.
const POSTER_KEY_BYTES: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    pub reason: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// What a moderator does to a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModAction {
    /// Nobody sees it any more; its reports are settled.
    Remove,
    /// Everyone sees it again; its reports are cleared.
    Restore,
    /// Its reports are cleared; its state stays.
    Dismiss,
}

impl ModAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remove => "remove",
            Self::Restore => "restore",
            Self::Dismiss => "dismiss",
        }
    }
}

/// What [`PostRepository::moderate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderated {
    /// Done (or nothing to do); the post's state now.
    Done(PostState),
    NoSuchPost,
    /// A restore refused: the post's image was purged, it would come back without it.
    ImagePurged,
}

/// How many posts the queue shows at most: the most reported first.
pub const QUEUE_LENGTH: i64 = 100;

impl PostRepository {
    /// Posts with open reports, or hidden: most reported first, then newest.
    #[tracing::instrument(name = "repository.queue", skip(self))]
    pub async fn queue(&self) -> Result<Vec<ModeratedPost>, RepositoryError> {
        let ids = self
            .pool
            .read(|db| {
                Box::pin(
                    sqlx::query_scalar!(
                        r#"WITH waiting AS (
                               SELECT post_id AS id FROM reports
                               UNION SELECT id FROM posts WHERE state = 'hidden')
                           SELECT w.id AS "id!" FROM waiting w
                           ORDER BY (SELECT count(*) FROM reports r WHERE r.post_id = w.id) DESC,
                                    w.id DESC
                           LIMIT $1"#,
                        QUEUE_LENGTH,
                    )
                    .fetch_all(db),
                )
            })
            .await?;
        self.moderated(&ids).await
    }

    /// The post `id` in any state, with its open reports.
    pub async fn moderated_post(&self, id: i64) -> Result<Option<ModeratedPost>, RepositoryError> {
        Ok(self.moderated(&[id]).await?.pop())
    }

    /// These posts (those that exist), in this order, each with its open reports.
    async fn moderated(&self, ids: &[i64]) -> Result<Vec<ModeratedPost>, RepositoryError> {
        let (posts, reports) = self
            .pool
            .read(|db| {
                let posts = sqlx::query!(
                    r#"SELECT p.id, title, post, username, score, image_hash, image_width,
                              image_height, created_at, hot AS "hot!", state, poster_address
                       FROM unnest($1::bigint[]) WITH ORDINALITY AS wanted(id, place)
                       JOIN posts p ON p.id = wanted.id
                       ORDER BY wanted.place"#,
                    ids,
                );
                let reports = sqlx::query!(
                    "SELECT post_id, reason, note, created_at FROM reports
                     WHERE post_id = ANY($1) ORDER BY created_at",
                    ids,
                );
                Box::pin(async move {
                    let posts = posts.fetch_all(&mut *db).await?;
                    Ok((posts, reports.fetch_all(db).await?))
                })
            })
            .await?;
        posts
            .into_iter()
            .map(|row| {
                let state = PostState::from_stored(&row.state).ok_or_else(|| {
                    RepositoryError::Query(format!("post {}: state {:?}", row.id, row.state).into())
                })?;
                Ok(ModeratedPost {
                    reports: reports
                        .iter()
                        .filter(|report| report.post_id == row.id)
                        .map(|report| OpenReport {
                            reason: report.reason.clone(),
                            note: report.note.clone(),
                            at: report.created_at,
                        })
                        .collect(),
                    state,
                    poster: row
                        .poster_address
                        .as_deref()
                        .map(|key| hex::encode(&key[..POSTER_KEY_BYTES.min(key.len())])),
                    post: post_of_row!(row),
                })
            })
            .collect()
    }

    /// Does `action` to post `id` for `moderator`, with its log row, in one transaction. An
    /// action that changes nothing (removing a removed post, dismissing no reports) is not
    /// logged again. A restore of a post whose image was purged changes nothing.
    #[tracing::instrument(name = "repository.moderate", skip(self, reason))]
    pub async fn moderate(
        &self,
        id: i64,
        action: ModAction,
        moderator: &str,
        reason: &ModReason,
    ) -> Result<Moderated, RepositoryError> {
        let mut transaction = self.pool.begin().await?;
        let Some(row) = transaction
            .fetch_optional(sqlx::query!(
                r#"SELECT state, EXISTS (SELECT 1 FROM blocked_images b
                                        WHERE b.image_hash = p.image_hash)
                                 AS "image_purged!"
                   FROM posts p WHERE id = $1 FOR NO KEY UPDATE"#,
                id,
            ))
            .await?
        else {
            transaction.rollback().await?;
            return Ok(Moderated::NoSuchPost);
        };
        // Read under the post's lock: a purge that commits first is seen, and
        // one that comes later waits for this action and removes the post.
        if action == ModAction::Restore && row.image_purged {
            transaction.rollback().await?;
            return Ok(Moderated::ImagePurged);
        }
        let before = row.state;
        let after = match action {
            ModAction::Remove => "removed",
            ModAction::Restore => "visible",
            ModAction::Dismiss => before.as_str(),
        };
        // A dismiss, or a repeated action, leaves the row alone (no rewrite of
        // the row and its generated columns for nothing).
        if after != before {
            transaction
                .execute(sqlx::query!(
                    "UPDATE posts SET state = $2 WHERE id = $1",
                    id,
                    after
                ))
                .await?;
        }
        let cleared = transaction
            .execute(sqlx::query!("DELETE FROM reports WHERE post_id = $1", id))
            .await?;
        if after != before || cleared > 0 {
            transaction
                .execute(sqlx::query!(
                    "INSERT INTO mod_log (action, post_id, reason, moderator)
                     VALUES ($1, $2, $3, $4)",
                    action.as_str(),
                    id,
                    reason.as_str(),
                    moderator,
                ))
                .await?;
        }
        let after = PostState::from_stored(after)
            .ok_or_else(|| sqlx::Error::Decode(format!("post {id}: state {after:?}").into()))?;
        transaction.commit().await?;
        Ok(Moderated::Done(after))
    }

    /// A page of the public moderation log, newest first.
    pub async fn mod_log(
        &self,
        request: &NewestFirst,
    ) -> Result<Vec<ModLogEntry>, RepositoryError> {
        let fetch = i64::from(request.limit.get()) + 1;
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_as!(
                        ModLogEntry,
                        "SELECT id, at, action, post_id, reason, moderator FROM mod_log
                         WHERE $1::bigint IS NULL OR id < $1
                         ORDER BY id DESC LIMIT $2",
                        request.before,
                        fetch,
                    )
                    .fetch_all(db),
                )
            })
            .await
    }
}
