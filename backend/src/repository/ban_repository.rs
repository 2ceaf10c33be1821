//! Bans (migration `bans`): made from a post, by the keys its poster left with it; listed;
//! lifted. Each is one transaction with its moderation-log rows. Whether a client is banned is
//! asked by the rate-limit statement (`rate_limits.rs`), not here.

use super::{PostRepository, error::RepositoryError};
use crate::domain::{Ban, BanScope, NewBan, NewestFirst};

/// What a ban did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banned {
    /// The ban holds; `removed` are the poster's posts it removed (with `remove_posts`).
    Done { ban: Ban, removed: Vec<i64> },
    /// No post has that id.
    NoSuchPost,
    /// The post was made before posts kept their poster's keys: nobody to ban.
    NoPoster,
}

/// A ban's row as stored.
struct BanRow {
    id: i64,
    scope: String,
    post_id: i64,
    reason: String,
    moderator: String,
    created_at: chrono::DateTime<chrono::Utc>,
    until: Option<chrono::DateTime<chrono::Utc>>,
}

impl TryFrom<BanRow> for Ban {
    type Error = sqlx::Error;

    fn try_from(row: BanRow) -> Result<Self, sqlx::Error> {
        let scope = BanScope::from_stored(&row.scope).ok_or_else(|| {
            sqlx::Error::Decode(format!("ban {}: scope {:?}", row.id, row.scope).into())
        })?;
        Ok(Self {
            id: row.id,
            scope,
            post_id: row.post_id,
            reason: row.reason,
            moderator: row.moderator,
            created_at: row.created_at,
            until: row.until,
        })
    }
}

impl PostRepository {
    /// Bans the client that made `ban.post_id` at `ban.scope`'s width, for `moderator`. With
    /// `remove_posts`, every post of that client that is not removed yet (visible or hidden)
    /// is removed too, its reports settled, and each removal logged. Finding those posts reads
    /// the table once (there is no index on poster keys: see the migration).
    #[tracing::instrument(name = "repository.ban", skip(self, ban), fields(post_id = ban.post_id))]
    pub async fn ban(&self, moderator: &str, ban: &NewBan) -> Result<Banned, RepositoryError> {
        let mut transaction = self.pool.begin().await?;
        let Some(poster) = transaction
            .fetch_optional(sqlx::query!(
                "SELECT poster_address, poster_network FROM posts WHERE id = $1",
                ban.post_id,
            ))
            .await?
        else {
            transaction.rollback().await?;
            return Ok(Banned::NoSuchPost);
        };
        let key = match ban.scope {
            BanScope::Address => poster.poster_address,
            BanScope::Network => poster.poster_network,
        };
        let Some(key) = key else {
            transaction.rollback().await?;
            return Ok(Banned::NoPoster);
        };
        let row = transaction
            .fetch_one(sqlx::query_as!(
                BanRow,
                "INSERT INTO bans (scope, client_key, post_id, reason, moderator, until)
                 VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 day')
                 RETURNING id, scope, post_id, reason, moderator, created_at, until",
                ban.scope.as_str(),
                &key,
                ban.post_id,
                ban.reason.as_str(),
                moderator,
                ban.length.days().map(|days| days as f64),
            ))
            .await?;
        transaction
            .execute(sqlx::query!(
                "INSERT INTO mod_log (action, post_id, reason, moderator)
                 VALUES ('ban', $1, $2, $3)",
                ban.post_id,
                ban.reason.as_str(),
                moderator,
            ))
            .await?;
        let removed = if ban.remove_posts {
            // The two keys are hashed in different domains: a key matches only
            // the column of its own width.
            transaction
                .fetch_all(sqlx::query!(
                    r#"WITH removed AS (
                           UPDATE posts SET state = 'removed'
                           WHERE $1 IN (poster_address, poster_network)
                             AND state <> 'removed'
                           RETURNING id),
                       settled AS (
                           DELETE FROM reports WHERE post_id IN (SELECT id FROM removed))
                       INSERT INTO mod_log (action, post_id, reason, moderator)
                       SELECT 'remove', id, $2, $3 FROM removed ORDER BY id
                       RETURNING post_id AS "post_id!""#,
                    &key,
                    ban.reason.as_str(),
                    moderator,
                ))
                .await?
                .into_iter()
                .map(|row| row.post_id)
                .collect()
        } else {
            Vec::new()
        };
        let ban = Ban::try_from(row)?;
        transaction.commit().await?;
        Ok(Banned::Done { ban, removed })
    }

    /// A page of the bans, newest first, expired ones included (they no longer hold, and
    /// stay until lifted).
    pub async fn bans(&self, request: &NewestFirst) -> Result<Vec<Ban>, RepositoryError> {
        let fetch = i64::from(request.limit.get()) + 1;
        let rows = self
            .pool
            .read(|db| {
                Box::pin(
                    sqlx::query_as!(
                        BanRow,
                        "SELECT id, scope, post_id, reason, moderator, created_at, until
                         FROM bans WHERE $1::bigint IS NULL OR id < $1
                         ORDER BY id DESC LIMIT $2",
                        request.before,
                        fetch,
                    )
                    .fetch_all(db),
                )
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(Ban::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// Lifts ban `id` for `moderator`, with its log row; the ban as it was, or `None` when
    /// there is no such ban.
    #[tracing::instrument(name = "repository.unban", skip(self))]
    pub async fn unban(&self, id: i64, moderator: &str) -> Result<Option<Ban>, RepositoryError> {
        let mut transaction = self.pool.begin().await?;
        let Some(row) = transaction
            .fetch_optional(sqlx::query_as!(
                BanRow,
                "DELETE FROM bans WHERE id = $1
                 RETURNING id, scope, post_id, reason, moderator, created_at, until",
                id,
            ))
            .await?
        else {
            transaction.rollback().await?;
            return Ok(None);
        };
        transaction
            .execute(sqlx::query!(
                "INSERT INTO mod_log (action, post_id, reason, moderator)
                 VALUES ('unban', $1, 'Lifted ban ' || $2::bigint, $3)",
                row.post_id,
                row.id,
                moderator,
            ))
            .await?;
        let ban = Ban::try_from(row)?;
        transaction.commit().await?;
        Ok(Some(ban))
    }
}
