//! Bans under `/mod/` (moderator token): `POST /mod/ban`, `GET /mod/bans`,
//! `DELETE /mod/ban/{id}`.

use axum::{Json, extract::State, http::HeaderMap};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{
    AppState,
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery, json_integer},
    moderation::{ModeratorAuth, NewestFirstQuery, next_page_link},
};
use crate::domain::{Ban, BanLength, BanScope, ModReason, NewBan, ValidationError};

/// The body of `POST /mod/ban`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    /// The post whose poster is banned (in any state).
    #[serde(deserialize_with = "json_integer")]
    post_id: i64,
    /// `address`: the poster's IPv4 address or IPv6 /64; `network`: its IPv4 /24 or IPv6 /48.
    scope: BanScope,
    /// 1 to 3650 days, or `null` for good. Required: a ban for good is never a default.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650, required = true)]
    days: Option<Option<i64>>,
    /// 1 to 500 characters; shown in the public moderation log.
    reason: Option<String>,
    /// Also remove every post of that client that is not removed yet.
    #[serde(default)]
    remove_posts: bool,
}

/// `Some(value)` for a field that is present, `null` included; a missing field stays `None`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(deserializer).map(Some)
}

impl BanRequest {
    fn parse(self) -> Result<NewBan, ValidationError> {
        let days = self.days.ok_or_else(|| {
            ValidationError::new(
                "Say how many days the ban lasts (1 to 3650), or null for good.",
                "days: missing",
            )
        })?;
        Ok(NewBan {
            post_id: self.post_id,
            scope: self.scope,
            length: BanLength::parse(days)?,
            reason: ModReason::parse_required(self.reason.as_deref())?,
            remove_posts: self.remove_posts,
        })
    }
}

/// A ban just made, and the posts it removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct BanResult {
    #[serde(flatten)]
    ban: Ban,
    /// Ids of the posts removed with the ban (empty without `remove_posts`).
    removed_posts: Vec<i64>,
}

/// Ban the client that made a post: its creates, votes and reports get 403 until the ban ends
/// (deleting its own posts still works). Holds on every replica at once.
#[utoipa::path(
    post, path = "/mod/ban", tag = "moderation",
    request_body = BanRequest,
    security(("moderator_token" = [])),
    responses(
        (status = 200, description = "The ban holds", body = BanResult),
        (status = 400, description = "Malformed JSON or not JSON", body = ErrorBody),
        (status = 401, description = "No moderator token", body = ErrorBody),
        (status = 403, description = "Unknown or revoked moderator token", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "Scope unknown, days missing or out of 1..=3650, reason missing, blank or over 500 characters, an unknown field, or a post older than bans", body = ErrorBody),
        (status = 503, description = "Database unavailable; nothing changed", body = ErrorBody),
    )
)]
pub async fn ban(
    State(state): State<AppState>,
    ModeratorAuth(moderator): ModeratorAuth,
    ApiJson(request): ApiJson<BanRequest>,
) -> Result<Json<BanResult>, ApiError> {
    let made = state
        .post_service
        .ban(&moderator, &request.parse()?)
        .await?;
    Ok(Json(BanResult {
        ban: made.ban,
        removed_posts: made.removed,
    }))
}

/// The bans, newest first, expired ones included (until lifted).
#[utoipa::path(
    get, path = "/mod/bans", tag = "moderation", params(NewestFirstQuery),
    security(("moderator_token" = [])),
    responses(
        (status = 200, description = "One page of bans", body = [Ban],
         headers(("Link" = String, description = "`</mod/bans?...>; rel=\"next\"` when there is more"))),
        (status = 401, description = "No moderator token", body = ErrorBody),
        (status = 403, description = "Unknown or revoked moderator token", body = ErrorBody),
        (status = 422, description = "Invalid limit or before", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn bans(
    State(state): State<AppState>,
    ModeratorAuth(_moderator): ModeratorAuth,
    ApiQuery(query): ApiQuery<NewestFirstQuery>,
) -> Result<(HeaderMap, Json<Vec<Ban>>), ApiError> {
    let request = query.parse()?;
    let page = state.post_service.bans(request).await?;
    Ok((
        next_page_link("/mod/bans", request, &page),
        Json(page.entries),
    ))
}

/// Lift a ban (logged as `unban`); the ban as it was.
#[utoipa::path(
    delete, path = "/mod/ban/{id}", tag = "moderation",
    params(("id" = i64, Path, description = "The ban's id")),
    security(("moderator_token" = [])),
    responses(
        (status = 200, description = "Lifted", body = Ban),
        (status = 400, description = "The id is not a whole number", body = ErrorBody),
        (status = 401, description = "No moderator token", body = ErrorBody),
        (status = 403, description = "Unknown or revoked moderator token", body = ErrorBody),
        (status = 404, description = "No such ban", body = ErrorBody),
        (status = 503, description = "Database unavailable; nothing changed", body = ErrorBody),
    )
)]
pub async fn unban(
    State(state): State<AppState>,
    ModeratorAuth(moderator): ModeratorAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Ban>, ApiError> {
    Ok(Json(state.post_service.unban(&moderator, id).await?))
}
