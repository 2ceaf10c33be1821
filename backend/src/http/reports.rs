//! `POST /post/{id}/report`: a reader flags a post for the moderators.

use axum::{extract::State, http::StatusCode};
use serde::Deserialize;

use super::{
    AppState,
    client::ClientAddress,
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiPath},
    openapi::ReportRequestSchema,
};
use crate::domain::{NewReport, RateLimitScope};

/// A report's body; described in the API document by [`ReportRequestSchema`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    reason: Option<String>,
    note: Option<String>,
}

/// Report a post to the moderators.
///
/// One report per client and post counts; a repeat is accepted and changes nothing. When
/// `REPORTS_TO_HIDE` different clients have reported a post, it is hidden until a moderator
/// decides.
#[utoipa::path(
    post, path = "/post/{id}/report", tag = "posts",
    params(("id" = i64, Path, description = "The post's id")),
    request_body = ReportRequestSchema,
    responses(
        (status = 202, description = "Received (or received before from this client)"),
        (status = 400, description = "Malformed JSON or not JSON, or the id is not a whole number", body = ErrorBody),
        (status = 404, description = "No such post, or it is not visible", body = ErrorBody),
        (status = 422, description = "Not an object, a reason missing or unknown, a note too long or with control characters, or an unknown field", body = ErrorBody),
        (status = 403, description = "The client is banned (the message says until when); nothing was recorded", body = ErrorBody),
        (status = 429, description = "Too many reports from this client (RATE_LIMIT_REPORTS); nothing was recorded", body = ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Database unavailable; nothing was recorded", body = ErrorBody),
    )
)]
pub async fn report_post(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ClientAddress(client): ClientAddress,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<StatusCode, ApiError> {
    let report = NewReport::parse(request.reason.as_deref(), request.note.as_deref())?;
    state.limits.check(RateLimitScope::Reports, client).await?;
    state.post_service.report(id, client, &report).await?;
    Ok(StatusCode::ACCEPTED)
}
