//! Moderators (migration `moderators`): added, listed and revoked by the operator's command
//! line, and looked up by their token's hash on every moderator request.

use chrono::{DateTime, Utc};

use super::{error::RepositoryError, pool::DbPool};
use crate::domain::{ModeratorName, TokenHash};

/// A moderator as `postboard moderator list` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratorRow {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct ModeratorRepository {
    pool: DbPool,
}

/// What [`ModeratorRepository::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addition {
    Added,
    /// A moderator has the name (names are never reused, revoked or not).
    Taken,
    /// A post shows the name as its username.
    PostersName,
}

impl ModeratorRepository {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// Adds a moderator, unless the name is taken, by a moderator (revoked or not) or as a
    /// post's username in any case (a moderator's name must not look like a post's author, nor
    /// the other way round). Reading the usernames scans the posts: a rare command may.
    pub async fn add(
        &self,
        name: &ModeratorName,
        token: &TokenHash,
    ) -> Result<Addition, RepositoryError> {
        let row = self
            .pool
            .write(|db| {
                Box::pin(
                    sqlx::query!(
                        r#"WITH poster AS (
                               SELECT EXISTS (SELECT 1 FROM posts WHERE lower(username) = $1)
                                   AS named),
                           added AS (
                               INSERT INTO moderators (name, token_hash)
                               SELECT $1, $2 FROM poster WHERE NOT poster.named
                               ON CONFLICT (name) DO NOTHING
                               RETURNING 1)
                           SELECT (SELECT named FROM poster) AS "posters_name!",
                                  EXISTS (SELECT 1 FROM added) AS "added!""#,
                        name.as_str(),
                        token.as_bytes(),
                    )
                    .fetch_one(db),
                )
            })
            .await?;
        Ok(if row.added {
            Addition::Added
        } else if row.posters_name {
            Addition::PostersName
        } else {
            Addition::Taken
        })
    }

    pub async fn list(&self) -> Result<Vec<ModeratorRow>, RepositoryError> {
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_as!(
                        ModeratorRow,
                        "SELECT name, created_at, revoked_at FROM moderators ORDER BY name",
                    )
                    .fetch_all(db),
                )
            })
            .await
    }

    /// Revokes the moderator `name`; `false` when there is no such moderator, or they were
    /// revoked before.
    pub async fn revoke(&self, name: &ModeratorName) -> Result<bool, RepositoryError> {
        let revoked = self
            .pool
            .write(|db| {
                Box::pin(
                    sqlx::query!(
                        "UPDATE moderators SET revoked_at = now()
                         WHERE name = $1 AND revoked_at IS NULL",
                        name.as_str(),
                    )
                    .execute(db),
                )
            })
            .await?;
        Ok(revoked.rows_affected() == 1)
    }

    /// The name of the moderator whose token has this hash, unless they were revoked.
    #[tracing::instrument(name = "repository.moderator", skip_all)]
    pub async fn named_by(&self, token: &TokenHash) -> Result<Option<String>, RepositoryError> {
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_scalar!(
                        "SELECT name FROM moderators WHERE token_hash = $1 AND revoked_at IS NULL",
                        token.as_bytes(),
                    )
                    .fetch_optional(db),
                )
            })
            .await
    }
}
