//! Creating a post with an image and deleting posts: the statements that keep rows and image
//! objects consistent although object storage takes no part in PostgreSQL's transactions.
//!
//! Several posts may share one image object (its key is the hash of its bytes). A delete
//! removes the object once no post uses it; a create that reuses the same bytes at that very
//! moment must not end up pointing at a missing object. Both take a PostgreSQL advisory lock of
//! the image (transaction-scoped, keyed by the hash's first 8 bytes), which serialises them
//! across every replica:
//!
//! - **Create** (one transaction): take the image's lock *shared*; refuse the image if it is
//!   blocked (`blocked_images`); if no committed post uses the image, make sure its object
//!   exists (the caller's storage work: HEAD, PUT when
//!   missing); insert the row; commit, which releases the lock. If a committed post already
//!   uses the image, its object exists (below) and storage is not asked at all.
//! - **Delete**: delete the row (committed at once), then, in a transaction that writes
//!   nothing, take the image's lock *exclusive*; if no committed post uses the image any more,
//!   delete the object (the caller's storage work) while the lock is held.
//!
//! Hence the invariant: **every image that a committed post uses has its object**. A delete
//! checks for users and removes the object while no create of that image is between its own
//! check and its commit (they hold the lock shared); a create that starts afterwards finds no
//! user and uploads the object again (it still holds the bytes). Each check runs in a statement
//! of its own after the lock is granted, so it sees every commit made before.
//!
//! Removing the object *after* the row is committed means a storage failure can only leave an
//! object that no post uses (wasted space, logged), never a post whose image is gone. The one
//! gap a lock held by a database session cannot close: if the database connection dies while
//! the object is being deleted, PostgreSQL releases the lock while the deletion is in flight,
//! and a create of the same bytes could slip in and lose that race.
//!
//! This module knows nothing of S3: the storage work is a future the caller passes in.

use futures_core::future::BoxFuture;
use sqlx::PgConnection;

use super::{
    blocked_images::upload_standing,
    error::RepositoryError,
    pool::Finish,
    post_repository::{NewRow, PostRepository, Refusal, insert_row, refusal_of},
};
use crate::domain::{CleanImage, Fingerprint, ImageHash, Post, TokenHash};

/// Work on object storage to run while an image's lock is held; fails with the caller's error.
pub type StorageWork<'a, E> = &'a (dyn Fn() -> BoxFuture<'a, Result<(), E>> + Sync);

/// What [`PostRepository::insert_with_image`] did.
#[derive(Debug)]
pub enum WithImage<E> {
    Inserted(Post),
    /// The image is blocked (a purged picture, or a copy of one); nothing was stored.
    Blocked,
    /// The poster is banned, or the username is a moderator's name; nothing was stored.
    Refused(Refusal),
    /// The storage work failed with this; nothing was inserted.
    StorageFailed(E),
}

/// What [`PostRepository::delete`] did.
#[derive(Debug)]
pub enum Deletion {
    /// The post is gone; `image` is the image it had, for [`PostRepository::release_image`].
    Deleted {
        image: Option<ImageHash>,
    },
    NoSuchPost,
    /// The token is not the post's (or the post predates delete tokens); nothing changed.
    WrongToken,
}

impl PostRepository {
    /// Inserts a post with an image in one transaction under the image's shared lock, unless
    /// the image is blocked (by its hash, or by `fingerprint`), the poster is banned or the
    /// username is a moderator's name, after `ensure_object` made sure the object exists, unless a committed post already
    /// uses the image.
    #[tracing::instrument(name = "repository.insert_with_image", skip_all, fields(image = %image.hash))]
    pub async fn insert_with_image<E: Send>(
        &self,
        row: NewRow<'_>,
        image: &CleanImage,
        fingerprint: Option<&Fingerprint>,
        ensure_object: StorageWork<'_, E>,
    ) -> Result<WithImage<E>, RepositoryError> {
        self.pool
            .transaction(
                &(row, image, fingerprint, ensure_object),
                |db, (row, image, fingerprint, ensure_object)| {
                    Box::pin(async move {
                        lock_image(db, &image.hash, Lock::Shared).await?;
                        let standing = upload_standing(db, &image.hash, *fingerprint, row).await?;
                        if let Some(refusal) = standing.refusal {
                            return Ok(Finish::Rollback(WithImage::Refused(refusal)));
                        }
                        if standing.blocked {
                            return Ok(Finish::Rollback(WithImage::Blocked));
                        }
                        // Nobody uses the image: its object may be missing (never uploaded,
                        // or deleted with the last post that used it).
                        if !standing.in_use
                            && let Err(error) = ensure_object().await
                        {
                            return Ok(Finish::Rollback(WithImage::StorageFailed(error)));
                        }
                        Ok(match insert_row(&mut *db, row, Some(image)).await? {
                            Some(post) => Finish::Commit(WithImage::Inserted(post)),
                            // A ban or a moderator's name since the check above: the object
                            // may stay unused until a post uses the same bytes.
                            None => Finish::Rollback(WithImage::Refused(
                                refusal_of(&mut *db, row).await?,
                            )),
                        })
                    })
                },
            )
            .await
    }

    /// Deletes post `id` if `delete_token` is its token, compared in constant time. The
    /// `DELETE` repeats the check on the stored hash, so that the statement alone can never
    /// remove a post whose token was not shown (the hash of a post never changes).
    #[tracing::instrument(name = "repository.delete", skip(self, delete_token))]
    pub async fn delete(
        &self,
        id: i64,
        delete_token: &TokenHash,
    ) -> Result<Deletion, RepositoryError> {
        let stored = self
            .pool
            .read(&id, |db, id| {
                Box::pin(
                    sqlx::query_scalar!("SELECT delete_token_hash FROM posts WHERE id = $1", id)
                        .fetch_optional(db),
                )
            })
            .await?;
        let Some(stored) = stored else {
            return Ok(Deletion::NoSuchPost);
        };
        if !delete_token.matches(stored.as_deref()) {
            return Ok(Deletion::WrongToken);
        }
        let deleted = self
            .pool
            .write(&(id, delete_token), |db, (id, delete_token)| {
                Box::pin(
                    sqlx::query_scalar!(
                        "DELETE FROM posts WHERE id = $1 AND delete_token_hash = $2
                         RETURNING image_hash",
                        id,
                        delete_token.as_bytes(),
                    )
                    .fetch_optional(db),
                )
            })
            .await?;
        match deleted {
            // Deleted by someone else between the two statements.
            None => Ok(Deletion::NoSuchPost),
            Some(None) => Ok(Deletion::Deleted { image: None }),
            Some(Some(hash)) => {
                let image = ImageHash::parse(&hash).map_err(|error| {
                    RepositoryError::Query(Box::new(sqlx::Error::Decode(error.into())))
                })?;
                Ok(Deletion::Deleted { image: Some(image) })
            }
        }
    }

    /// After a post with this image was deleted: runs `remove_object` under the image's
    /// exclusive lock if no committed post uses the image any more. `Ok(true)` when it ran
    /// and succeeded, `Ok(false)` when the image is still in use.
    #[tracing::instrument(name = "repository.release_image", skip_all, fields(image = %image))]
    pub async fn release_image<E: Send>(
        &self,
        image: &ImageHash,
        remove_object: StorageWork<'_, E>,
    ) -> Result<Result<bool, E>, RepositoryError> {
        self.pool
            .transaction(&(image, remove_object), |db, (image, remove_object)| {
                Box::pin(async move {
                    lock_image(db, image, Lock::Exclusive).await?;
                    if image_in_use(db, image).await? {
                        return Ok(Finish::Rollback(Ok(false)));
                    }
                    // The transaction wrote nothing: ending it only releases the lock.
                    Ok(Finish::Rollback(remove_object().await.map(|()| true)))
                })
            })
            .await
    }
}

#[derive(Clone, Copy)]
pub(super) enum Lock {
    Shared,
    Exclusive,
}

/// Waits for the image's advisory lock, held until the transaction ends.
pub(super) async fn lock_image(
    db: &mut PgConnection,
    image: &ImageHash,
    lock: Lock,
) -> Result<(), sqlx::Error> {
    let key = lock_key(image);
    match lock {
        Lock::Shared => {
            sqlx::query_scalar!(
                r#"SELECT true AS "locked!" FROM pg_advisory_xact_lock_shared($1)"#,
                key
            )
            .fetch_one(db)
            .await?;
        }
        Lock::Exclusive => {
            sqlx::query_scalar!(
                r#"SELECT true AS "locked!" FROM pg_advisory_xact_lock($1)"#,
                key
            )
            .fetch_one(db)
            .await?;
        }
    }
    Ok(())
}

/// Whether a committed post (or one inserted earlier in this transaction) uses the image.
/// Run after the lock is granted, in a statement of its own: it sees every commit until then.
async fn image_in_use(db: &mut PgConnection, image: &ImageHash) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM posts WHERE image_hash = $1) AS "in_use!""#,
        image.as_str()
    )
    .fetch_one(db)
    .await
}

/// The advisory lock key of an image: the first 8 bytes of its hash. Two images that share
/// them (one pair in 2^64) merely wait for each other.
fn lock_key(image: &ImageHash) -> i64 {
    let prefix = u64::from_str_radix(&image.as_str()[..16], 16).expect("an image hash is hex");
    i64::from_be_bytes(prefix.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_key_is_the_hashs_first_eight_bytes() {
        let image = ImageHash::parse(&format!("80{}", "0".repeat(62))).unwrap();
        assert_eq!(lock_key(&image), i64::MIN);
        let image = ImageHash::of(b"test"); // 9f86d081884c7d65...
        assert_eq!(lock_key(&image), 0x9f86_d081_884c_7d65_u64 as i64);
        let image = ImageHash::parse(&format!("00000000000000ff{}", "f".repeat(48))).unwrap();
        assert_eq!(lock_key(&image), 255);
    }
}
