//! Full-text search over the posts' stored documents (the table `post_search`; see the
//! migrations `search` and `search_documents_apart`): the GIN index finds the matches,
//! `ts_rank` orders them, and the page continues after the cursor's (rank, id), like every
//! keyset-paged list. Only visible posts are found: the matches are joined to `visible_posts`.

use super::{PostRepository, error::RepositoryError, pool::DbPool, replica::Share};
use crate::domain::{Freshness, Post, SearchRequest};

/// The share of `pool`'s connections searches may hold at once: a quarter (2 of the default
/// 8). A search ranks every match, a millisecond or more of database CPU each, ten times a
/// list's: more at once would only share the database's cores, each slower, while lists and
/// votes waited for a connection. Measured at 1 000 000 posts (BENCHMARKS.md): 2 at once, not
/// 8, gave 1.13× the searches per second and a p99 of 42 ms instead of 71 ms.
pub(super) fn searches_share(pool: &DbPool) -> DbPool {
    pool.share(pool.max_size() / 4)
}

/// A post that matched, with its relevance (higher is better).
#[derive(Debug)]
pub struct Found {
    pub post: Post,
    pub rank: f32,
}

impl PostRepository {
    /// Merges the search index's pending list into the index (`gin_clean_pending_list`). Only
    /// the index's owner may (the role that ran the migrations). A merge under way elsewhere
    /// is waited for.
    pub async fn merge_pending_search_entries(&self) -> Result<(), RepositoryError> {
        self.pool
            .write(|db| {
                // The pages merged: not needed.
                let merge = sqlx::query_scalar!(
                    r#"SELECT gin_clean_pending_list('post_search_document_idx'::regclass)
                           AS "pages!""#
                );
                Box::pin(async move { merge.fetch_one(db).await.map(drop) })
            })
            .await
    }

    /// One page of matches, best first (ties newest first), plus one extra row that tells
    /// whether another page exists.
    #[tracing::instrument(name = "repository.search", skip(self))]
    pub async fn search(
        &self,
        request: &SearchRequest,
        freshness: Freshness,
    ) -> Result<Vec<Found>, RepositoryError> {
        let fetch = i64::from(request.limit.get()) + 1;
        let after = request.after;
        self.read_board(
            freshness,
            Share::Search,
            |db| {
                let matches = sqlx::query!(
                    // The matches are ranked from `post_search` alone, then joined to their
                    // posts best first, only until the page is full. Joined all at once, every
                    // match's post was read (1 000 for a word in 0.1 % of 1 000 000 posts:
                    // four times the pages, and a quarter of the searches per second).
                    r#"SELECT p.id AS "id!", p.title AS "title!", p.post AS "post!",
                              p.username AS "username!", p.score AS "score!", p.image_hash,
                              p.image_width, p.image_height, p.created_at AS "created_at!",
                              p.hot AS "hot!", m.rank AS "rank!"
                       FROM (SELECT s.post_id, ts_rank(s.document, query) AS rank
                             FROM post_search s, post_search_query($1) AS query
                             WHERE s.document @@ query
                               AND ($2::real IS NULL
                                    OR (ts_rank(s.document, query), s.post_id) < ($2, $3))
                             ORDER BY rank DESC, s.post_id DESC) AS m
                       JOIN visible_posts p ON p.id = m.post_id
                       ORDER BY m.rank DESC, m.post_id DESC
                       LIMIT $4"#,
                    request.query.as_str(),
                    after.map(|after| after.rank()),
                    after.map_or(0, |after| after.id),
                    fetch,
                );
                Box::pin(async move {
                    let rows = matches.fetch_all(db).await?;
                    Ok(rows
                        .into_iter()
                        .map(|row| Found {
                            rank: row.rank,
                            post: post_of_row!(row),
                        })
                        .collect())
                })
            },
            |_| true,
        )
        .await
    }
}
