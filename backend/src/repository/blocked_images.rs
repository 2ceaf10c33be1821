//! Blocked images: the purge (every post that uses the picture removed, the picture blocked
//! by its bytes and its fingerprints, a log row for each post, in one transaction under the
//! image's exclusive lock), the question an upload asks, and which images were blocked lately.
//!
//! The lock is the one of `post_lifecycle`: a create of the same bytes holds it shared from its
//! block check to its commit, so no new post can take up the image between the purge's removal
//! and its block, and none after it.

use chrono::{DateTime, Utc};
use futures_core::future::BoxFuture;
use sqlx::PgConnection;

use super::{
    PostRepository,
    error::RepositoryError,
    pool::Transaction,
    post_lifecycle::{Lock, lock_image},
    post_repository::{NewRow, Refusal},
};
use crate::domain::{Fingerprint, ImageHash, ModReason, SAME_PICTURE_WITHIN};

/// What a purge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purged {
    /// The posts it removed (every post that used the image and was not removed already).
    pub removed: Vec<i64>,
}

/// The images blocked since a point in time, and the database's clock when that was read.
#[derive(Debug)]
pub struct BlockedLately {
    pub images: Vec<ImageHash>,
    pub read_at: DateTime<Utc>,
}

impl PostRepository {
    /// Purges `image`, the image of post `id`: removes every post that uses it, blocks it with
    /// `fingerprints`, and logs a `purge` for each post it removed, all or nothing. `None` when
    /// there is no post `id`. Purging again changes and logs nothing, and succeeds (the caller
    /// may retry what object storage did not finish).
    #[tracing::instrument(name = "repository.purge", skip(self, fingerprints, reason))]
    pub async fn purge(
        &self,
        id: i64,
        image: &ImageHash,
        fingerprints: &[Fingerprint],
        moderator: &str,
        reason: &ModReason,
    ) -> Result<Option<Purged>, RepositoryError> {
        let fingerprints: Vec<String> = fingerprints.iter().map(|f| f.to_bit_string()).collect();
        let mut transaction = self.pool.begin().await?;
        transaction
            .run(|db| lock_image(db, image, Lock::Exclusive))
            .await?;
        let exists = transaction
            .fetch_optional(sqlx::query!(
                r#"SELECT true AS "exists!" FROM posts WHERE id = $1"#,
                id
            ))
            .await?;
        if exists.is_none() {
            transaction.rollback().await?;
            return Ok(None);
        }
        let removed = transaction
            .fetch_all(sqlx::query!(
                "UPDATE posts SET state = 'removed'
                 WHERE image_hash = $1 AND state <> 'removed'
                 RETURNING id",
                image.as_str(),
            ))
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect::<Vec<_>>();
        transaction
            .execute(sqlx::query!(
                "DELETE FROM reports WHERE post_id = ANY($1)",
                &removed
            ))
            .await?;
        block(&mut transaction, id, image, &fingerprints).await?;
        transaction
            .execute(sqlx::query!(
                "INSERT INTO mod_log (action, post_id, reason, moderator)
                 SELECT 'purge', removed.id, $2, $3 FROM unnest($1::bigint[]) AS removed(id)",
                &removed,
                reason.as_str(),
                moderator,
            ))
            .await?;
        transaction.commit().await?;
        Ok(Some(Purged { removed }))
    }

    /// Whether this image is blocked.
    pub async fn is_blocked(&self, image: &ImageHash) -> Result<bool, RepositoryError> {
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_scalar!(
                        r#"SELECT EXISTS (SELECT 1 FROM blocked_images WHERE image_hash = $1) AS "blocked!""#,
                        image.as_str(),
                    )
                    .fetch_one(db),
                )
            })
            .await
    }

    /// The images blocked after `since` (by the database's clock).
    pub async fn blocked_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<BlockedLately, RepositoryError> {
        let row = self
            .pool
            .read(|db| {
                Box::pin(
                    sqlx::query!(
                        r#"SELECT now() AS "read_at!",
                           ARRAY(SELECT image_hash FROM blocked_images
                                 WHERE blocked_at > $1) AS "images!""#,
                        since,
                    )
                    .fetch_one(db),
                )
            })
            .await?;
        let images = row
            .images
            .iter()
            .map(|hash| ImageHash::parse(hash))
            .collect::<Result<_, _>>()
            .map_err(|error| RepositoryError::Query(Box::new(error)))?;
        Ok(BlockedLately {
            images,
            read_at: row.read_at,
        })
    }
}

/// Blocks the image by its bytes and, the first time, by its fingerprints.
async fn block(
    transaction: &mut Transaction<'_>,
    post_id: i64,
    image: &ImageHash,
    fingerprints: &[String],
) -> Result<(), RepositoryError> {
    let first_time = transaction
        .fetch_optional(sqlx::query!(
            r#"INSERT INTO blocked_images (image_hash, post_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true AS "inserted!""#,
            image.as_str(),
            post_id,
        ))
        .await?
        .is_some();
    if first_time {
        transaction
            .execute(sqlx::query!(
                "INSERT INTO blocked_fingerprints (image_hash, fingerprint)
                 SELECT $1, f::bit(144) FROM unnest($2::text[]) AS f",
                image.as_str(),
                fingerprints,
            ))
            .await?;
    }
    Ok(())
}

/// Whether an upload is blocked: its bytes are a blocked image's, or its fingerprint is within
/// [`SAME_PICTURE_WITHIN`] bits of a blocked one; and whether the row's poster is banned or
/// its username a moderator's name (asked here too, so that such a post is refused before its
/// image is uploaded). Asked under
/// the image's lock, with the question whether a post uses the image, in one statement (see
/// `post_lifecycle`).
pub(super) fn upload_standing<'c>(
    db: &'c mut PgConnection,
    image: &ImageHash,
    fingerprint: Option<&Fingerprint>,
    row: &NewRow<'_>,
) -> BoxFuture<'c, Result<UploadStanding, sqlx::Error>> {
    let fingerprint = fingerprint.map(Fingerprint::to_bit_string);
    let standing = sqlx::query!(
        r#"WITH ban AS (
               SELECT until FROM bans_in_force WHERE client_key IN ($5, $6)
               ORDER BY until DESC NULLS FIRST LIMIT 1
           )
           SELECT EXISTS (SELECT 1 FROM posts WHERE image_hash = $1) AS "in_use!",
                  EXISTS (SELECT 1 FROM moderators WHERE name = lower($4)) AS "moderators_name!",
                  EXISTS (SELECT FROM ban) AS "banned!",
                  (SELECT until FROM ban) AS banned_until,
                  EXISTS (SELECT 1 FROM blocked_images WHERE image_hash = $1)
                  OR ($2::text IS NOT NULL AND EXISTS (
                         SELECT 1 FROM blocked_fingerprints
                         WHERE bit_count(fingerprint # $2::text::bit(144)) <= $3)) AS "blocked!""#,
        image.as_str(),
        fingerprint,
        i64::from(SAME_PICTURE_WITHIN),
        row.post.username.as_str(),
        row.poster.address.as_bytes(),
        row.poster.network.as_bytes(),
    );
    Box::pin(async move {
        let standing = standing.fetch_one(db).await?;
        let refusal = if standing.banned {
            Some(Refusal::Banned {
                until: standing.banned_until,
            })
        } else if standing.moderators_name {
            Some(Refusal::ModeratorsName)
        } else {
            None
        };
        Ok(UploadStanding {
            in_use: standing.in_use,
            blocked: standing.blocked,
            refusal,
        })
    })
}

pub(super) struct UploadStanding {
    /// A committed post uses the image (so its object exists).
    pub in_use: bool,
    pub blocked: bool,
    /// The poster is banned, or the post's username is a moderator's name.
    pub refusal: Option<Refusal>,
}
