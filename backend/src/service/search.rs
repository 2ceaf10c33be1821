//! Search: the posts whose title, text or username match the words, best match first.

use super::{Page, PostService, ServiceError};
use crate::domain::{Freshness, SearchCursor, SearchRequest};

impl PostService {
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
