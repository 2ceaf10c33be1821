//! Reports: readers flag a post for the moderators; enough of them hide it at once.

use std::net::IpAddr;

use super::{PostService, ServiceError};
use crate::{domain::NewReport, repository::Reported};

impl PostService {
    /// Counts `report` of post `post_id` from the client at `client` (once per client: a
    /// repeat changes nothing), unless the client is banned. Only a visible post can be
    /// reported.
    #[tracing::instrument(name = "service.report", skip(self, client, report))]
    pub async fn report(
        &self,
        post_id: i64,
        client: IpAddr,
        report: &NewReport,
    ) -> Result<(), ServiceError> {
        let reporter = self.clients.keys_of(client);
        match self
            .posts
            .report(post_id, &reporter, report, self.rules.reports_to_hide)
            .await?
        {
            Reported::NoSuchPost => Err(ServiceError::PostNotFound(post_id)),
            Reported::Banned { until } => Err(ServiceError::Banned { until }),
            Reported::Counted => Ok(()),
            Reported::Hidden => {
                tracing::info!(post_id, "post hidden by reports");
                Ok(())
            }
        }
    }
}
