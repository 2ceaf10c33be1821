//! `GET /image/{hash}`: content-addressed, so cacheable forever and revalidated for free; and
//! `GET /mod/image/{hash}`, the same for moderators whatever the state of its posts.

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{
    AppState, CACHE_FOREVER,
    error::{ApiError, ErrorBody},
    extract::{ApiPath, ApiQuery},
    moderation::ModeratorAuth,
    openapi::{Binary, ImagePathParams},
};
use crate::{
    domain::{ImageHash, VariantWidth},
    service::ImageAnswer,
    storage::StoredImage,
};

#[derive(Debug, Deserialize)]
pub struct ImageQuery {
    width: Option<i64>,
}

/// The entity tag of an image or of one of its variants. Like the bytes behind it, it never
/// changes.
fn etag(hash: &ImageHash, width: Option<VariantWidth>) -> String {
    match width {
        None => format!("\"{hash}\""),
        Some(width) => format!("\"{hash}-w{}\"", width.get()),
    }
}

/// Fetch an image by the SHA-256 of its bytes, or a copy of it scaled down to `width`.
#[utoipa::path(
    get, path = "/image/{hash}", tag = "images",
    params(ImagePathParams),
    responses(
        (status = 200, description = "The image bytes, streamed; with `width`, a WebP copy that wide (never wider than the image)", content_type = "image/*", body = inline(Binary),
         headers(("ETag" = String), ("Cache-Control" = String), ("X-Content-Type-Options" = String))),
        (status = 304, description = "`If-None-Match` matched the ETag"),
        (status = 400, description = "`width` is not a whole number", body = ErrorBody),
        (status = 404, description = "No such image, or no visible post shows it (hidden, removed, purged)", body = ErrorBody),
        (status = 422, description = "Not a 64-character lowercase hex hash, or a width other than 320, 640, 1280", body = ErrorBody),
        (status = 503, description = "Object storage unavailable", body = ErrorBody),
    )
)]
pub async fn get_image(
    State(state): State<AppState>,
    ApiPath(hash): ApiPath<String>,
    ApiQuery(query): ApiQuery<ImageQuery>,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hash = ImageHash::parse(&hash)?;
    let width = query.width.map(VariantWidth::parse).transpose()?;
    let etag = HeaderValue::from_str(&etag(&hash, width)).expect("hex is a valid header value");
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag);
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_FOREVER),
    );

    let client_has_it = if_none_match_includes(&request_headers, &headers[header::ETAG]);
    match state
        .post_service
        .image(&hash, width, client_has_it)
        .await?
    {
        ImageAnswer::Unchanged => Ok((StatusCode::NOT_MODIFIED, headers).into_response()),
        ImageAnswer::Image(image) => Ok(streamed(image, headers)),
    }
}

/// An image for a moderator (`/mod/image/{hash}`), whatever the state of the posts that show
/// it: the queue shows the pictures of hidden and waiting posts this way (the app fetches it
/// with the token and shows it from memory).
#[utoipa::path(
    get, path = "/mod/image/{hash}", tag = "moderation",
    params(ImagePathParams),
    security(("moderator_token" = [])),
    responses(
        (status = 200, description = "The image bytes, or its `width` variant; never stored by shared caches", content_type = "image/*", body = inline(Binary),
         headers(("Cache-Control" = String))),
        (status = 400, description = "`width` is not a whole number", body = ErrorBody),
        (status = 401, description = "No moderator token", body = ErrorBody),
        (status = 403, description = "Unknown or revoked moderator token", body = ErrorBody),
        (status = 404, description = "No such image (a purged one included)", body = ErrorBody),
        (status = 422, description = "Not a 64-character lowercase hex hash, or a width other than 320, 640, 1280", body = ErrorBody),
        (status = 503, description = "Object storage unavailable", body = ErrorBody),
    )
)]
pub async fn get_moderated_image(
    State(state): State<AppState>,
    ModeratorAuth(moderator): ModeratorAuth,
    ApiPath(hash): ApiPath<String>,
    ApiQuery(query): ApiQuery<ImageQuery>,
) -> Result<Response, ApiError> {
    let hash = ImageHash::parse(&hash)?;
    let width = query.width.map(VariantWidth::parse).transpose()?;
    let image = state
        .post_service
        .moderated_image(&moderator, &hash, width)
        .await?;
    let mut headers = HeaderMap::new();
    // The picture may be one the public must not see: no shared cache keeps it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(streamed(image, headers))
}

/// The image's bytes as they arrive from storage, with its type and length and `headers`.
fn streamed(image: StoredImage, mut headers: HeaderMap) -> Response {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&image.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Some(length) = image.content_length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    (headers, Body::from_stream(image.bytes)).into_response()
}

/// RFC 9110 §13.1.2: a list of entity tags (weak ones compare equal too) or `*`.
pub(super) fn if_none_match_includes(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default().trim_matches('"');
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|tag| tag == "*" || tag == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let hash = ImageHash::of(b"x");
        let tag = HeaderValue::from_str(&etag(&hash, None)).unwrap();
        let check = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            if_none_match_includes(&headers, &tag)
        };
        assert!(check(&format!("\"{hash}\"")));
        assert!(check(&format!("\"abc\", W/\"{hash}\"")));
        assert!(check("*"));
        assert!(!check("\"abc\""));
        assert!(!if_none_match_includes(&HeaderMap::new(), &tag));
        let variant = etag(&hash, Some(VariantWidth::parse(640).unwrap()));
        assert!(!check(&variant), "a variant's tag is not the original's");
    }
}
