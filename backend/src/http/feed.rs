//! `GET /feed.atom`: the first page of the board as an Atom 1.0 feed (RFC 4287), written by
//! `atom_syndication`, so that a feed reader can follow the board from outside it.
//!
//! Every request reads its page from the database, like the JSON list. Writing the XML is what
//! a feed costs on top of that, and feed readers poll a feed that rarely changes: so each
//! replica keeps the last feed it wrote per sort, under the fingerprint of everything the XML
//! is made of, and writes it again only when the page just read has another fingerprint. The
//! fingerprint is also the ETag, so a 304 writes nothing, and every replica gives the same one.

use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};
use std::{collections::HashMap, sync::Mutex};

use axum::{
    body::Bytes,
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
use crate::domain::{Freshness, PageRequest, Post, PublicUrl, Sort, VariantWidth};

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
    freshness: Freshness,
    request_headers: HeaderMap,
) -> Result<Response, ApiError> {
    let request = PageRequest::parse(query.sort.as_deref(), None, None)?;
    let page = state.post_service.list(request, freshness).await?;
    let etag = fingerprint(&page.posts, request.sort, &state.public_url);
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::ETAG, etag.clone());
    if if_none_match_includes(&request_headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let xml = state.feeds.get_or_render(request.sort, &etag, || {
        render_feed(&page.posts, request.sort, &state.public_url)
    });
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ATOM_CONTENT_TYPE),
    );
    Ok((headers, xml).into_response())
}

/// The last feed each sort was written as, on this replica, with its ETag.
#[derive(Debug, Default)]
pub struct FeedCache(Mutex<HashMap<Sort, (HeaderValue, Bytes)>>);

impl FeedCache {
    /// The feed whose fingerprint is `etag`: the one kept, if it has that fingerprint, or else
    /// `render()`'s, which is kept instead. Two requests that miss at once both render; the
    /// lock is never held while rendering.
    fn get_or_render(
        &self,
        sort: Sort,
        etag: &HeaderValue,
        render: impl FnOnce() -> String,
    ) -> Bytes {
        let kept = self
            .lock()
            .get(&sort)
            .filter(|(kept, _)| kept == etag)
            .map(|(_, xml)| xml.clone());
        kept.unwrap_or_else(|| {
            let xml = Bytes::from(render());
            self.lock().insert(sort, (etag.clone(), xml.clone()));
            xml
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Sort, (HeaderValue, Bytes)>> {
        // A panic while the map was held leaves it whole (insert and get only): keep using it.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The feed's ETag: a hash of every input of `render_feed` (the sort, the public URL, the posts'
/// fields that the XML shows, in order) and of this build's version, since another version may
/// write the same posts otherwise. A vote that reorders the page changes it; one that doesn't,
/// doesn't (the feed shows no scores).
fn fingerprint(posts: &[Post], sort: Sort, public_url: &PublicUrl) -> HeaderValue {
    let mut hash = Sha256::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so that no two different lists of fields hash alike.
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    field(env!("CARGO_PKG_VERSION").as_bytes());
    field(sort.as_str().as_bytes());
    field(public_url.as_str().as_bytes());
    for post in posts {
        field(&post.id.to_le_bytes());
        field(post.title.as_bytes());
        field(post.post.as_bytes());
        field(post.username.as_bytes());
        field(&post.created_at.timestamp_micros().to_le_bytes());
        field(post.image_hash.as_deref().unwrap_or_default().as_bytes());
    }
    let etag = format!("\"{}\"", &hex::encode(hash.finalize())[..32]);
    HeaderValue::from_str(&etag).expect("hex is header-safe")
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
