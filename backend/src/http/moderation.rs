//! The moderators' routes under `/mod/` (`Authorization: Bearer <moderator_token>`: missing
//! 401, unknown or revoked 403) and the public moderation log, `GET /modlog`.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    Extension, Json,
    extract::{FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{
    IntoParams, Modify, ToSchema,
    openapi::{
        OpenApi,
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};

use super::{
    AppState,
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery, bearer_token},
    post_page::{AppShell, app_page},
    spa::wants_html,
};
use crate::{
    domain::{
        ModLogEntry, ModReason, NewestFirst, PageLimit, Post, PostState, TokenHash, ValidationError,
    },
    repository::{ModAction, ModeratedPost},
    service::{Moderator, NewestFirstPage},
};

/// The name of the moderator token's security scheme in the OpenAPI document.
pub const MODERATOR_TOKEN_SCHEME: &str = "moderator_token";

/// The moderator a request's bearer token names.
pub struct ModeratorAuth(pub Moderator);

impl FromRequestParts<AppState> for ModeratorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(
            &parts.headers,
            "Moderator routes need a moderator token.",
            MODERATOR_TOKEN_SCHEME,
        )?;
        Ok(Self(
            state.post_service.moderator(&TokenHash::of(token)).await?,
        ))
    }
}

/// A post as moderators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModeratedPostBody {
    #[serde(flatten)]
    post: Post,
    state: PostState,
    /// Open reports in all.
    reports: usize,
    /// Open reports by reason.
    reasons: BTreeMap<String, usize>,
    /// The reports' notes, oldest first.
    notes: Vec<String>,
    /// A short opaque key of the client that made the post (from the keyed hash of its
    /// address, never the address); `null` for posts older than bans.
    poster: Option<String>,
}

impl From<ModeratedPost> for ModeratedPostBody {
    fn from(moderated: ModeratedPost) -> Self {
        let mut reasons = BTreeMap::new();
        for report in &moderated.reports {
            *reasons.entry(report.reason.clone()).or_insert(0) += 1;
        }
        Self {
            reports: moderated.reports.len(),
            notes: moderated
                .reports
                .into_iter()
                .filter_map(|report| report.note)
                .collect(),
            reasons,
            poster: moderated.poster,
            state: moderated.state,
            post: moderated.post,
        }
    }
}

/// Posts waiting for a moderator: with open reports, or hidden; most reported first (100 at
/// most).
#[utoipa::path(
    get, path = "/mod/queue", tag = "moderation",
    security(("moderator_token" = [])),
    responses(
        (status = 200, description = "The queue", body = [ModeratedPostBody]),
        (status = 401, description = "No moderator token", body = ErrorBody),
        (status = 403, description = "Unknown or revoked moderator token", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    ModeratorAuth(_moderator): ModeratorAuth,
) -> Result<Json<Vec<ModeratedPostBody>>, ApiError> {
    let queue = state.post_service.queue().await?;
    Ok(Json(queue.into_iter().map(Into::into).collect()))
}

/// One post in any state, with its open reports.
#[utoipa::path(
    get, path = "/mod/post/{id}", tag = "moderation",
    params(("id" = i64, Path, description = "The post's id")),
    security(("moderator_token" = [])),
    responses(
        (status = 200, description = "The post", body = ModeratedPostBody),
        (status = 401, description = "No moderator token", body = ErrorBody),
        (status = 403, description = "Unknown or revoked moderator token", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn moderated_post(
    State(state): State<AppState>,
    ModeratorAuth(_moderator): ModeratorAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ModeratedPostBody>, ApiError> {
    Ok(Json(state.post_service.moderated_post(id).await?.into()))
}

/// The body of an action: why (public, in the moderation log).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// 1 to 500 characters; shown in the public moderation log.
    reason: Option<String>,
    /// `remove` only: also purge the post's image (deleted from storage with its variants,
    /// every post using it removed, the picture blocked). On restore or dismiss, `true` is 422.
    #[serde(default)]
    purge_image: bool,
}

/// A post's state after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    id: i64,
    state: PostState,
}

async fn act(
    state: &AppState,
    moderator: &Moderator,
    id: i64,
    action: ModAction,
    request: ActionRequest,
) -> Result<Json<ActionResult>, ApiError> {
    let reason = ModReason::parse_required(request.reason.as_deref())?;
    let new_state = match (action, request.purge_image) {
        (ModAction::Remove, true) => state.post_service.purge(moderator, id, &reason).await?,
        (_, false) => {
            state
                .post_service
                .moderate(moderator, id, action, &reason)
                .await?
        }
        (_, true) => {
            return Err(ValidationError::new(
                "Only a removal can purge the image.",
                format!("moderation: purge_image with {}", action.as_str()),
            )
            .into());
        }
    };
    Ok(Json(ActionResult {
        id,
        state: new_state,
    }))
}

macro_rules! action_route {
    ($name:ident, $path:literal, $action:expr, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(
            post, path = $path, tag = "moderation",
            params(("id" = i64, Path, description = "The post's id")),
            request_body = ActionRequest,
            security(("moderator_token" = [])),
            responses(
                (status = 200, description = "Done; the post's state now", body = ActionResult),
                (status = 400, description = "Malformed JSON, or the id is not a whole number", body = ErrorBody),
                (status = 401, description = "No moderator token", body = ErrorBody),
                (status = 403, description = "Unknown or revoked moderator token", body = ErrorBody),
                (status = 404, description = "No such post", body = ErrorBody),
                (status = 409, description = "A restore of a post whose image was purged", body = ErrorBody),
                (status = 422, description = "Reason missing, blank or over 500 characters; an unknown field; purge_image on anything but remove", body = ErrorBody),
                (status = 503, description = "Database or object storage unavailable. Nothing changed, except after a purge's commit: the posts are removed and the image blocked, and purging again deletes its objects", body = ErrorBody),
            )
        )]
        pub async fn $name(
            State(state): State<AppState>,
            ModeratorAuth(moderator): ModeratorAuth,
            ApiPath(id): ApiPath<i64>,
            ApiJson(request): ApiJson<ActionRequest>,
        ) -> Result<Json<ActionResult>, ApiError> {
            act(&state, &moderator, id, $action, request).await
        }
    };
}

action_route!(
    remove,
    "/mod/post/{id}/remove",
    ModAction::Remove,
    "Remove a post: nobody sees it any more; its reports are settled."
);
action_route!(
    restore,
    "/mod/post/{id}/restore",
    ModAction::Restore,
    "Restore a post: everyone sees it again; its reports are cleared."
);
action_route!(
    dismiss,
    "/mod/post/{id}/dismiss",
    ModAction::Dismiss,
    "Dismiss a post's reports: they are cleared; its state stays."
);

/// The query of a list read newest first (the moderation log, the bans).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NewestFirstQuery {
    /// Entries per page, 1 to 100 (default 50).
    limit: Option<i64>,
    /// Only entries older than this id (the `Link: rel="next"` URL sets it).
    before: Option<i64>,
}

impl NewestFirstQuery {
    pub(super) fn parse(self) -> Result<NewestFirst, ValidationError> {
        Ok(NewestFirst {
            limit: PageLimit::parse(self.limit)?,
            before: self.before,
        })
    }
}

/// The `Link: rel="next"` header of a page of `path`, when there is a next page.
pub(super) fn next_page_link<T>(
    path: &str,
    request: NewestFirst,
    page: &NewestFirstPage<T>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(before) = page.next_before {
        let link = format!(
            "<{path}?limit={}&before={before}>; rel=\"next\"",
            request.limit.get()
        );
        headers.insert(
            header::LINK,
            HeaderValue::from_str(&link).expect("a route path and numbers are header-safe"),
        );
    }
    headers
}

/// The public moderation log: what was done to which post, when, by whom and why; newest
/// first. No tokens, poster keys or report notes.
#[utoipa::path(
    get, path = "/modlog", tag = "moderation", params(NewestFirstQuery),
    responses(
        (status = 200, description = "One page of the log; a browser's navigation (`Accept` with `text/html`) gets the app's page instead", body = [ModLogEntry],
         headers(("Link" = String, description = "`</modlog?...>; rel=\"next\"` when there is more"))),
        (status = 422, description = "Invalid limit or before", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn mod_log(
    State(state): State<AppState>,
    Extension(shell): Extension<Option<Arc<AppShell>>>,
    request_headers: HeaderMap,
    ApiQuery(query): ApiQuery<NewestFirstQuery>,
) -> Result<Response, ApiError> {
    // The app's "Moderation log" page has this address too: a browser that navigates here
    // gets the app, which reads the log from here as JSON.
    if let Some(shell) = shell.filter(|_| wants_html(&request_headers)) {
        let mut page = app_page(StatusCode::OK, shell.index.clone());
        page.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept"));
        return Ok(page);
    }
    let request = query.parse()?;
    let page = state.post_service.mod_log(request).await?;
    let mut headers = next_page_link("/modlog", request, &page);
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    Ok((headers, Json(page.entries)).into_response())
}

/// Adds the moderator token's bearer scheme to the OpenAPI document.
pub struct ModeratorTokenScheme;

impl Modify for ModeratorTokenScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description =
            Some("A moderator's token, from `postboard moderator add NAME`.".to_owned());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(MODERATOR_TOKEN_SCHEME, SecurityScheme::Http(scheme));
    }
}
