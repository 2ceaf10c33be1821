//! `/post` and `/update-post-score`: translate HTTP to [`PostService`] calls and back.

use axum::{
    Json,
    extract::{Multipart, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    AppState,
    client::ClientAddress,
    error::{ApiError, ErrorBody},
    extract::{ApiJson, ApiMultipart, ApiQuery, json_integer, read_text_part},
    openapi::{ListParams, NewPostForm, VoteRequestSchema},
};
use crate::{
    domain::{
        Freshness, ImageUpload, NewPost, PageRequest, Post, PostState, RateLimitScope, ScoreChange,
        SearchRequest, TextField, UploadedImage, ValidationError,
    },
    service::Created,
};

/// `GET /post`'s query; described in the API document by [`ListParams`].
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `new` (default): newest first; `top`: highest score first, ties newest first; `hot`:
    /// score and age combined.
    sort: Option<String>,
    /// Words to search for: the list is then the matches, best first.
    q: Option<String>,
    /// Posts per page, 1..=200 (default 50).
    limit: Option<i64>,
    /// Opaque cursor from the previous page's `Link: rel="next"` URL.
    cursor: Option<String>,
}

/// List posts, one page at a time, or search them (`q`).
#[utoipa::path(
    get, path = "/post", tag = "posts", params(ListParams),
    responses(
        (status = 200, description = "A page of posts. When more exist, the `Link` header has a `rel=\"next\"` URL.", body = [Post],
         headers(("Link" = String, description = "RFC 8288 link to the next page"))),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 422, description = "Invalid sort, limit, cursor or q, or q with sort", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn list_posts(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
    freshness: Freshness,
) -> Result<impl IntoResponse, ApiError> {
    let (sort, limit, cursor) = (query.sort.as_deref(), query.limit, query.cursor.as_deref());
    if let Some(q) = &query.q {
        let request = SearchRequest::parse(q, sort, limit, cursor)?;
        let page = state.post_service.search(&request, freshness).await?;
        let next = page.next.map(|next| {
            let words: String =
                url::form_urlencoded::byte_serialize(request.query.as_str().as_bytes()).collect();
            format!(
                "q={words}&limit={}&cursor={}",
                request.limit.get(),
                next.encode()
            )
        });
        return Ok((next_page_link(next), Json(page.posts)));
    }
    let request = PageRequest::parse(sort, limit, cursor)?;
    let page = state.post_service.list(request, freshness).await?;
    let next = page.next.map(|next| {
        format!(
            "sort={}&limit={}&cursor={}",
            request.sort.as_str(),
            request.limit.get(),
            next.encode()
        )
    });
    Ok((next_page_link(next), Json(page.posts)))
}

/// `Link: </post?QUERY>; rel="next"` when there is a next page.
fn next_page_link(next_query: Option<String>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(query) = next_query {
        let link = format!("</post?{query}>; rel=\"next\"");
        headers.insert(
            header::LINK,
            HeaderValue::from_str(&link).expect("cursors and encoded words are header-safe"),
        );
    }
    headers
}

/// The answer to a create: the post, plus its delete token.
#[derive(Serialize, ToSchema)]
pub struct CreatedPost {
    #[serde(flatten)]
    post: Post,
    /// The key to delete this post (`DELETE /post/{id}` with `Authorization: Bearer
    /// <delete_token>`): 43 characters of base64url (256 random bits). Shown in this answer
    /// only; the server keeps just its hash.
    #[schema(example = "q3Vh0cQ2pV4yUzJ0a1N2Vm1qWjJ0b0hLcFZ0bWJ4eHg")]
    delete_token: String,
    /// `visible`, or `hidden` when the post waits for a moderator (`PREMODERATE_IMAGES=on`
    /// holds every post with an image): nobody else sees it until it is restored.
    state: PostState,
}

impl From<Created> for CreatedPost {
    fn from(created: Created) -> Self {
        Self {
            post: created.post,
            delete_token: created.delete_token.into_string(),
            state: created.state,
        }
    }
}

/// Create a post, with an optional image.
#[utoipa::path(
    post, path = "/post", tag = "posts",
    request_body(content = NewPostForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The created post, with its delete token (shown only here)", body = CreatedPost),
        (status = 400, description = "Not multipart/form-data, malformed, or text that is not UTF-8", body = ErrorBody),
        (status = 408, description = "The body stopped arriving", body = ErrorBody),
        (status = 413, description = "Image or body over the limit", body = ErrorBody),
        (status = 415, description = "File is not PNG, JPEG, GIF or WebP", body = ErrorBody),
        (status = 422, description = "Missing or invalid field; an image that is damaged (it does not decode) or blocked (a purged picture: the same file, or a copy)", body = ErrorBody),
        (status = 403, description = "The client is banned (the message says until when); nothing was stored", body = ErrorBody),
        (status = 429, description = "Too many posts from this client (RATE_LIMIT_POSTS); nothing was stored", body = ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Database or object storage unavailable; nothing was stored", body = ErrorBody),
    )
)]
pub async fn create_post(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    ApiMultipart(form): ApiMultipart,
) -> Result<impl IntoResponse, ApiError> {
    // Before the body is read: a client past its limit gets nothing stored, and does not get
    // to make the server read (up to) megabytes either.
    state.limits.check(RateLimitScope::Posts, client).await?;
    let body_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let (post, image) = read_new_post(form, state.max_image_bytes, body_length).await?;
    let created = state.post_service.create(post, image, client).await?;
    Ok((StatusCode::CREATED, Json(CreatedPost::from(created))))
}

/// Reads the form into domain values. The file is streamed into an [`ImageUpload`], which
/// stops the read as soon as the size limit is passed; text parts are capped as they stream.
/// An unknown or repeated field is refused: it is a client's mistake that would otherwise
/// go unnoticed. `body_length` (the request's Content-Length, 0 when unknown) sizes the image
/// buffer once instead of growing it.
async fn read_new_post(
    mut form: Multipart,
    max_image_bytes: usize,
    body_length: usize,
) -> Result<(NewPost, Option<UploadedImage>), ApiError> {
    let mut texts: [Option<String>; 3] = Default::default();
    let mut image: Option<Option<UploadedImage>> = None;
    while let Some(mut part) = form.next_field().await? {
        let name = part.name().unwrap_or_default().to_owned();
        if name == "file" {
            if image.is_some() {
                return Err(repeated(&name).into());
            }
            let mut upload = ImageUpload::with_expected_size(max_image_bytes, body_length);
            while let Some(chunk) = part.chunk().await? {
                upload.push(&chunk)?;
            }
            image = Some(upload.finish()?);
            continue;
        }
        let Some(index) = TextField::ALL.iter().position(|f| f.name() == name) else {
            return Err(ValidationError::new(
                format!("The form has an unknown field \"{name}\"; it accepts title, post, username and file."),
                format!("form: unknown field {name:?}"),
            )
            .into());
        };
        if texts[index].is_some() {
            return Err(repeated(&name).into());
        }
        texts[index] = Some(read_text_part(part, TextField::ALL[index]).await?);
    }
    let [title, text, username] = texts;
    let post = NewPost::parse(title.as_deref(), text.as_deref(), username.as_deref())?;
    Ok((post, image.flatten()))
}

fn repeated(name: &str) -> ValidationError {
    ValidationError::new(
        format!("The form field \"{name}\" was sent more than once."),
        format!("form: repeated field {name:?}"),
    )
}

/// A vote's body; described in the API document by [`VoteRequestSchema`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    #[serde(deserialize_with = "json_integer")]
    post_id: i64,
    #[serde(deserialize_with = "json_integer")]
    score_increase: i64,
}

/// Vote a post up (+1) or down (-1).
#[utoipa::path(
    post, path = "/update-post-score", tag = "posts",
    request_body = VoteRequestSchema,
    responses(
        (status = 200, description = "The updated post", body = Post),
        (status = 400, description = "Malformed JSON or not JSON", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 408, description = "The body stopped arriving", body = ErrorBody),
        (status = 422, description = "Not an object, score_increase not 1 or -1, or a field missing or unknown", body = ErrorBody),
        (status = 403, description = "The client is banned (the message says until when); the score did not change", body = ErrorBody),
        (status = 429, description = "Too many votes from this client (RATE_LIMIT_VOTES); the score did not change", body = ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn update_post_score(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(vote): ApiJson<VoteRequest>,
) -> Result<Json<Post>, ApiError> {
    state.limits.check(RateLimitScope::Votes, client).await?;
    let change = ScoreChange::parse(vote.score_increase)?;
    let post = state
        .post_service
        .vote(vote.post_id, change, client)
        .await?;
    Ok(Json(post))
}
