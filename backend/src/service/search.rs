//! Search: the posts whose title, text or username match the words, best match first.

use std::{sync::atomic::Ordering, time::Duration};

use tokio_util::sync::CancellationToken;

use super::{Page, PostService, ServiceError};
use crate::{
    domain::{Freshness, SearchCursor, SearchRequest},
    observe::telemetry::cause_chain,
};

/// How often each replica merges the new posts' search entries into the index.
const MERGE_EVERY: Duration = Duration::from_millis(250);
/// How long a failed merge waits before the next try (the database may be away).
const MERGE_RETRY_AFTER: Duration = Duration::from_secs(30);

impl PostService {
    /// Merges the new posts' search entries into the search index every quarter second after
    /// this replica inserted posts, until `stop`. A new post's words first go to the GIN
    /// index's pending list; left alone, PostgreSQL merges the list inside the insert that
    /// fills it (4 MB, some 13 000 posts of the bench), and that batch of creates waits
    /// 0.3–1.5 s (BENCHMARKS.md, "the search index's merges"). Merged here, in small steps, the
    /// merge holds no create. Every replica merges after its own creates (a merge takes the
    /// whole list, others' words too; merges take turns); an idle one asks nothing.
    pub async fn merge_search_entries(self, stop: CancellationToken) {
        let mut every = tokio::time::interval(MERGE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => {}
            }
            if !self.words_to_merge.swap(false, Ordering::Relaxed) {
                continue;
            }
            if let Err(error) = self.posts.merge_pending_search_entries().await {
                self.words_to_merge.store(true, Ordering::Relaxed);
                let error = cause_chain(&error);
                tracing::warn!(%error, retry_in = ?MERGE_RETRY_AFTER,
                    "could not merge the search index's pending entries");
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(MERGE_RETRY_AFTER) => {}
                }
            }
        }
    }

    #[tracing::instrument(name = "service.search", skip(self))]
    pub async fn search(
        &self,
        request: &SearchRequest,
        freshness: Freshness,
    ) -> Result<Page<SearchCursor>, ServiceError> {
        let mut found = self.posts.search(request, freshness).await?;
        let limit = usize::from(request.limit.get());
        let next = if found.len() > limit {
            found.truncate(limit);
            found
                .last()
                .map(|last| SearchCursor::after(last.rank, last.post.id))
        } else {
            None
        };
        Ok(Page {
            posts: found.into_iter().map(|found| found.post).collect(),
            next,
        })
    }
}
