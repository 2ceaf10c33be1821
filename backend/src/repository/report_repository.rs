//! Readers' reports (migration `post_states_and_reports`): one per client and post, and the
//! hide that the `REPORTS_TO_HIDE`-th different client sets off, logged in `mod_log`.

use chrono::{DateTime, Utc};

use super::{PostRepository, error::RepositoryError};
use crate::domain::{ClientKeys, NewReport};

/// What a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// No visible post has that id: nothing was written.
    NoSuchPost,
    /// Counted, or already counted for this client before (a repeat changes nothing).
    Counted,
    /// Counted, and the post has now been reported by enough clients to be hidden.
    Hidden,
    /// The reporter is banned at either width (`until`: `None` for good): nothing was written.
    Banned { until: Option<DateTime<Utc>> },
}

impl PostRepository {
    /// Records `report` of post `post_id` by `reporter`, unless the reporter is banned, and
    /// hides the post when `hide_at` different clients have reported it. One transaction: the
    /// post's row is locked first (by the statement that reads the reporter's bans), so reports
    /// that arrive together are counted one after the other and exactly one of them hides the
    /// post.
    #[tracing::instrument(name = "repository.report", skip(self, reporter, report))]
    pub async fn report(
        &self,
        post_id: i64,
        reporter: &ClientKeys,
        report: &NewReport,
        hide_at: u32,
    ) -> Result<Reported, RepositoryError> {
        let hide_at = i64::from(hide_at);
        let mut transaction = self.pool.begin().await?;
        let standing = transaction
            .fetch_one(sqlx::query!(
                r#"WITH ban AS (
                       SELECT until FROM bans_in_force WHERE client_key IN ($2, $3)
                       ORDER BY until DESC NULLS FIRST LIMIT 1
                   ), post AS (
                       SELECT id FROM visible_posts
                       WHERE id = $1 AND NOT EXISTS (SELECT FROM ban)
                       FOR NO KEY UPDATE
                   )
                   SELECT EXISTS (SELECT FROM ban) AS "banned!",
                          (SELECT until FROM ban) AS banned_until,
                          EXISTS (SELECT FROM post) AS "visible!""#,
                post_id,
                reporter.address.as_bytes(),
                reporter.network.as_bytes(),
            ))
            .await?;
        if standing.banned {
            let until = standing.banned_until;
            transaction.rollback().await?;
            return Ok(Reported::Banned { until });
        }
        if !standing.visible {
            transaction.rollback().await?;
            return Ok(Reported::NoSuchPost);
        }
        let counted = transaction
            .execute(sqlx::query!(
                "INSERT INTO reports (post_id, reporter, reason, note)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                post_id,
                reporter.address.as_bytes(),
                report.reason.as_str(),
                report.note.as_ref().map(|note| note.as_str()),
            ))
            .await?;
        if counted == 0 {
            transaction.rollback().await?;
            return Ok(Reported::Counted);
        }
        // Exactly when this report is the hide_at-th: later ones find the
        // post hidden (and no longer visible, so they are 404s).
        let hidden = transaction
            .fetch_optional(sqlx::query!(
                r#"WITH hidden AS (
                       UPDATE posts SET state = 'hidden'
                       WHERE id = $1 AND state = 'visible'
                         AND (SELECT count(*) FROM reports WHERE post_id = $1) >= $2
                       RETURNING id)
                   INSERT INTO mod_log (action, post_id, reason)
                   SELECT 'hide', id, 'Reported by ' || $2
                       || CASE WHEN $2 = 1 THEN ' reader' ELSE ' readers' END
                   FROM hidden
                   RETURNING post_id AS "post_id!""#,
                post_id,
                hide_at,
            ))
            .await?;
        transaction.commit().await?;
        Ok(match hidden {
            Some(_) => Reported::Hidden,
            None => Reported::Counted,
        })
    }
}
