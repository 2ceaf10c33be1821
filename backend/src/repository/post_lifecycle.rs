//! Creating a post with an image and deleting posts: the statements that keep rows and image
//! objects consistent although object storage takes no part in PostgreSQL's transactions.
//!
//! Several posts may share one image object (its key is the hash of its bytes). A delete
//! removes the object once no post uses it; a create that reuses the same bytes at that very
//! moment must not end up pointing at a missing object. Both take a PostgreSQL advisory lock of
//! the image (transaction-scoped, keyed by the hash's first 8 bytes), which serialises them
//! across every replica:
//!
//! - **Create** (one transaction): take the image's lock *shared* and refuse the image if it
//!   is blocked (`blocked_images`): [`PostRepository::begin_image_upload`]. If no committed
//!   post uses the image, the caller makes sure its object exists (HEAD, PUT when missing:
//!   [`ImageUpload::needs_object`]); then [`ImageUpload::insert`] inserts the row and
//!   commits, which releases the lock. If a committed post already uses the image, its object
//!   exists (below) and storage is not asked at all.
//! - **Delete**: delete the row (committed at once), then, in a transaction that writes
//!   nothing, take the image's lock *exclusive*: [`PostRepository::claim_unused_image`]. If no
//!   committed post uses the image any more, the caller deletes the object while the lock is
//!   held, then [`UnusedImage::release`]s it.
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
//! This module knows nothing of S3: it hands the caller a guard that holds the image's lock
//! ([`ImageUpload`], [`UnusedImage`]), and the caller does the storage work before it lets go.

use futures_core::future::BoxFuture;
use sqlx::PgConnection;

use super::{
    blocked_images::upload_standing,
    error::RepositoryError,
    pool::Transaction,
    post_repository::{
        Insertion, NewRow, PostRepository, Refusal, RowValues, insert_rows, refusal_of,
    },
};
use crate::domain::{CleanImage, Fingerprint, ImageHash, TokenHash};

/// What [`PostRepository::begin_image_upload`] found.
pub enum UploadCheck<'a> {
    /// The post may be stored: its image's lock is held until [`ImageUpload::insert`] or
    /// [`ImageUpload::abandon`].
    Allowed(ImageUpload<'a>),
    /// The image is blocked (a purged picture, or a copy of one); nothing was stored.
    Blocked,
    /// The poster is banned, or the username is a moderator's name; nothing was stored.
    Refused(Refusal),
}

/// A post with an image on its way in: a transaction that holds the image's lock shared,
/// and the post it was checked for (so the one inserted is the one whose image is locked).
pub struct ImageUpload<'a> {
    transaction: Transaction<'a>,
    row: NewRow<'a>,
    image: &'a CleanImage,
    in_use: bool,
}

/// What [`PostRepository::delete`] did.
#[derive(Debug)]
pub enum Deletion {
    /// The post is gone; `image` is the image it had, for [`PostRepository::claim_unused_image`].
    Deleted {
        image: Option<ImageHash>,
    },
    NoSuchPost,
    /// The token is not the post's (or the post predates delete tokens); nothing changed.
    WrongToken,
}

/// An image that no post uses, under its exclusive lock: no post of it can be stored until
/// [`UnusedImage::release`], so its object may be removed meanwhile.
pub struct UnusedImage<'r> {
    transaction: Transaction<'r>,
}

impl PostRepository {
    /// Takes the image's lock shared, then checks that the image is not blocked (by its hash,
    /// or by `fingerprint`), that the poster is not banned and that the username is not a
    /// moderator's name.
    #[tracing::instrument(name = "repository.begin_image_upload", skip_all, fields(image = %image.hash))]
    pub async fn begin_image_upload<'a>(
        &'a self,
        row: NewRow<'a>,
        image: &'a CleanImage,
        fingerprint: Option<&Fingerprint>,
    ) -> Result<UploadCheck<'a>, RepositoryError> {
        let mut transaction = self.pool.begin().await?;
        transaction
            .run(|db| lock_image(db, &image.hash, Lock::Shared))
            .await?;
        let standing = transaction
            .run(|db| upload_standing(db, &image.hash, fingerprint, &row))
            .await?;
        if let Some(refusal) = standing.refusal {
            transaction.rollback().await?;
            return Ok(UploadCheck::Refused(refusal));
        }
        if standing.blocked {
            transaction.rollback().await?;
            return Ok(UploadCheck::Blocked);
        }
        Ok(UploadCheck::Allowed(ImageUpload {
            transaction,
            row,
            image,
            in_use: standing.in_use,
        }))
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
            .read(|db| {
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
            .write(|db| {
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

    /// After a post with this image was deleted: the image under its exclusive lock if no
    /// committed post uses it any more, `None` when one still does.
    #[tracing::instrument(name = "repository.claim_unused_image", skip_all, fields(image = %image))]
    pub async fn claim_unused_image(
        &self,
        image: &ImageHash,
    ) -> Result<Option<UnusedImage<'_>>, RepositoryError> {
        let mut transaction = self.pool.begin().await?;
        transaction
            .run(|db| lock_image(db, image, Lock::Exclusive))
            .await?;
        if transaction.run(|db| image_in_use(db, image)).await? {
            transaction.rollback().await?;
            return Ok(None);
        }
        Ok(Some(UnusedImage { transaction }))
    }
}

impl ImageUpload<'_> {
    /// Whether the image's object must be made sure of before [`ImageUpload::insert`]: no
    /// committed post uses the image, so its object may be missing (never uploaded, or
    /// deleted with the last post that used it). When one does, its object exists.
    pub fn needs_object(&self) -> bool {
        !self.in_use
    }

    /// Inserts the post and commits, which releases the image's lock.
    pub async fn insert(self) -> Result<Insertion, RepositoryError> {
        let Self {
            mut transaction,
            row,
            image,
            ..
        } = self;
        let values = [RowValues::of(&row, Some(image))];
        match transaction.run(|db| insert_rows(db, &values)).await?.pop() {
            Some(inserted) => {
                transaction.commit().await?;
                Ok(Insertion::Inserted(inserted.post))
            }
            // A ban or a moderator's name since the check: the object may stay unused until a
            // post uses the same bytes.
            None => {
                let refusal = transaction.run(|db| refusal_of(db, &row)).await?;
                transaction.rollback().await?;
                Ok(Insertion::Refused(refusal))
            }
        }
    }

    /// Stores nothing, and releases the image's lock (the storage work failed).
    pub async fn abandon(self) -> Result<(), RepositoryError> {
        self.transaction.rollback().await
    }
}

impl UnusedImage<'_> {
    /// Releases the image's lock, once its object is removed (or could not be). The
    /// transaction wrote nothing: ending it only releases the lock.
    pub async fn release(self) -> Result<(), RepositoryError> {
        self.transaction.rollback().await
    }
}

#[derive(Clone, Copy)]
pub(super) enum Lock {
    Shared,
    Exclusive,
}

/// Waits for the image's advisory lock, held until the transaction ends.
pub(super) fn lock_image<'c>(
    db: &'c mut PgConnection,
    image: &ImageHash,
    lock: Lock,
) -> BoxFuture<'c, Result<(), sqlx::Error>> {
    let key = lock_key(image);
    let locked = match lock {
        Lock::Shared => Box::pin(
            sqlx::query_scalar!(
                r#"SELECT true AS "locked!" FROM pg_advisory_xact_lock_shared($1)"#,
                key
            )
            .fetch_one(db),
        ) as BoxFuture<'c, _>,
        Lock::Exclusive => Box::pin(
            sqlx::query_scalar!(
                r#"SELECT true AS "locked!" FROM pg_advisory_xact_lock($1)"#,
                key
            )
            .fetch_one(db),
        ),
    };
    Box::pin(async move { locked.await.map(drop) })
}

/// Whether a committed post (or one inserted earlier in this transaction) uses the image.
/// Run after the lock is granted, in a statement of its own: it sees every commit until then.
fn image_in_use<'c>(
    db: &'c mut PgConnection,
    image: &ImageHash,
) -> BoxFuture<'c, Result<bool, sqlx::Error>> {
    Box::pin(
        sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM posts WHERE image_hash = $1) AS "in_use!""#,
            image.as_str()
        )
        .fetch_one(db),
    )
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
