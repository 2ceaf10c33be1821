//! `GET /feed.atom`: the first page of the board as an Atom 1.0 feed (RFC 4287), written by
//! `atom_syndication`, so that a feed reader can follow the board from outside it.

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use super::{
    AppState,
    error::{ApiError, ErrorBody},
    extract::ApiQuery,
    images::if_none_match_includes,
};
use crate::domain::{PageRequest, Post, PublicUrl, Sort, VariantWidth};

pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `new` (default), `top` or `hot`: which first page of the board the feed holds.
    #[param(value_type = Option<String>, pattern = "^(new|top|hot)$")]
    sort: Option<String>,
}

/// The board's first page (50 posts) as an Atom feed.
#[utoipa::path(
    get, path = "/feed.atom", tag = "posts", params(FeedQuery),
    responses(
        (status = 200, description = "Atom 1.0 feed of the first 50 posts in that order", content_type = "application/atom+xml", body = String,
         headers(("ETag" = String, description = "Changes whenever the feed does"))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 422, description = "Invalid sort", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn feed(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FeedQuery>,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let request = PageRequest::parse(query.sort.as_deref(), None, None)?;
    let page = state.posts.list(request).await?;
    let xml = render_feed(&page.posts, request.sort, &state.public_url);
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&xml))[..32]);
    let etag = HeaderValue::from_str(&etag).expect("hex is header-safe");
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::ETAG, etag.clone());
    if if_none_match_includes(&request_headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ATOM_CONTENT_TYPE),
    );
    Ok((headers, xml).into_response())
}

/// The feed's XML. Its `updated` is the newest post's time (a vote changes the order of
/// `top` and `hot`, not a time, so readers go by the ETag and the entries' ids).
pub fn render_feed(posts: &[Post], sort: Sort, public_url: &PublicUrl) -> String {
    let feed_path = match sort {
        Sort::New => "/feed.atom".to_owned(),
        other => format!("/feed.atom?sort={}", other.as_str()),
    };
    let updated = posts
        .iter()
        .map(|post| post.created_at)
        .max()
        .unwrap_or_default();
    let feed = Feed {
        id: public_url.join(&feed_path),
        title: Text::plain(match sort {
            Sort::New => "Postboard: new posts",
            Sort::Top => "Postboard: top posts",
            Sort::Hot => "Postboard: hot posts",
        }),
        updated: FixedDateTime::from(updated),
        links: vec![
            link(
                public_url.join(&feed_path),
                "self",
                Some("application/atom+xml"),
            ),
            link(public_url.join("/"), "alternate", Some("text/html")),
        ],
        generator: Some(atom_syndication::Generator {
            value: "Postboard".into(),
            ..Default::default()
        }),
        entries: posts.iter().map(|post| entry(post, public_url)).collect(),
        ..Default::default()
    };
    feed.to_string()
}

fn entry(post: &Post, public_url: &PublicUrl) -> Entry {
    let page = public_url.join(&format!("/p/{}", post.id));
    let mut links = vec![link(page.clone(), "alternate", Some("text/html"))];
    if let Some(hash) = &post.image_hash {
        let image = format!("/image/{hash}?width={}", VariantWidth::LARGEST.get());
        links.push(link(public_url.join(&image), "enclosure", None));
    }
    let created = FixedDateTime::from(post.created_at);
    Entry {
        id: page,
        title: Text::plain(post.title.clone()),
        authors: vec![Person {
            name: post.username.clone(),
            ..Default::default()
        }],
        published: Some(created),
        updated: created,
        links,
        content: Some(Content {
            value: Some(post.post.clone()),
            content_type: Some("text".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn link(href: String, rel: &str, mime_type: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime_type.map(Into::into),
        ..Default::default()
    }
}
