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

impl ModeratorRepository {
    pub fn new(pool: DbPool) -> Self {
        Self { pool }
    }

    /// Adds a moderator; `false` when the name is taken (by a moderator, revoked or not).
    pub async fn add(
        &self,
        name: &ModeratorName,
        token: &TokenHash,
    ) -> Result<bool, RepositoryError> {
        let added = self
            .pool
            .write(&(name, token), |db, (name, token)| {
                Box::pin(
                    sqlx::query!(
                        "INSERT INTO moderators (name, token_hash) VALUES ($1, $2)
                         ON CONFLICT (name) DO NOTHING",
                        name.as_str(),
                        token.as_bytes(),
                    )
                    .execute(db),
                )
            })
            .await?;
        Ok(added.rows_affected() == 1)
    }

    pub async fn list(&self) -> Result<Vec<ModeratorRow>, RepositoryError> {
        self.pool
            .read(&(), |db, ()| {
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
            .write(name, |db, name| {
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
            .read(token, |db, token| {
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
