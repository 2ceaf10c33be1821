//! A post you can link to: `GET /post/{id}` (its JSON) and `/p/{id}`, the browser app's page
//! for it, served with the post's title, description and Open Graph / Twitter card tags in
//! the HTML, so that a link pasted into a chat shows a preview without running the app.
//!
//! The tags are rendered by an askama template (`templates/post_head.html`), which escapes
//! every value for HTML, into the built app's `index.html` ([`AppShell`]), read once at
//! startup. Nothing inline is added: the CSP stays as strict as on `/`.

use std::{path::Path, sync::Arc};

use askama::Template;
use axum::{
    Extension, Json,
    extract::{Path as UrlPath, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::{
    AppState,
    error::{ApiError, AppPageBody, ErrorBody},
    extract::ApiPath,
};
use crate::{
    domain::{Freshness, Post, PublicUrl, VariantWidth},
    service::ServiceError,
};

/// The built app's `index.html`, cut where a post's own tags go: where its `<title>` was (its
/// generic `<title>` and description are left out of a post's page).
#[derive(Debug)]
pub struct AppShell {
    /// The file as built: the page of an unknown post.
    pub(super) index: String,
    before: String,
    after: String,
}

impl AppShell {
    /// The shell of the app built into `dir`, when there is one.
    pub fn load(dir: &Path) -> Option<Arc<Self>> {
        let index = std::fs::read_to_string(dir.join("index.html")).ok()?;
        Some(Arc::new(Self::from_index(index)))
    }

    pub fn from_index(index: String) -> Self {
        let mut rest = index.clone();
        remove_element(&mut rest, "<meta name=\"description\"", ">");
        let (before, after) = match remove_element(&mut rest, "<title>", "</title>") {
            Some(at) => rest.split_at(at),
            None => rest.split_at(rest.find("</head>").unwrap_or(0)),
        };
        Self {
            before: before.to_owned(),
            after: after.to_owned(),
            index,
        }
    }

    fn page_with(&self, head: &str) -> String {
        [self.before.as_str(), head, self.after.as_str()].concat()
    }
}

/// Removes the first `start` ... `end` of `html`; returns where it was.
fn remove_element(html: &mut String, start: &str, end: &str) -> Option<usize> {
    let from = html.find(start)?;
    let to = from + html[from..].find(end)? + end.len();
    html.replace_range(from..to, "");
    Some(from)
}

/// The tags of a post's page.
#[derive(Template)]
#[template(path = "post_head.html")]
struct PostHead<'a> {
    title: &'a str,
    description: &'a str,
    url: &'a str,
    image: Option<&'a str>,
}

/// The longest description shown in a preview, in characters.
const DESCRIPTION_CHARS: usize = 200;

/// `text` on one line: every run of whitespace (newlines too) a single space, none at the ends.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The post's text on one line, cut at a word near [`DESCRIPTION_CHARS`].
fn description(text: &str) -> String {
    let one_line = one_line(text);
    if one_line.chars().count() <= DESCRIPTION_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(DESCRIPTION_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > cut.len() / 2 => &cut[..space],
        _ => &cut,
    };
    format!("{cut}…")
}

/// The page of a post: the app with its tags.
pub fn render_page(shell: &AppShell, post: &Post, public_url: &PublicUrl) -> String {
    let title = one_line(&post.title);
    let url = public_url.join(&format!("/p/{}", post.id));
    let image = post.image_hash.as_ref().map(|hash| {
        public_url.join(&format!(
            "/image/{hash}?width={}",
            VariantWidth::LARGEST.get()
        ))
    });
    let head = PostHead {
        title: &title,
        description: &description(&post.post),
        url: &url,
        image: image.as_deref(),
    };
    shell.page_with(&head.render().expect("the template writes to a String"))
}

/// One post.
#[utoipa::path(
    get, path = "/post/{id}", tag = "posts",
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 400, description = "The id is not a whole number", body = ErrorBody),
        (status = 404, description = "No such post (or it was deleted)", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn get_post(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    freshness: Freshness,
) -> Result<Json<Post>, ApiError> {
    Ok(Json(state.post_service.get(id, freshness).await?))
}

/// A post's page in the browser app, with its link preview tags.
#[utoipa::path(
    get, path = "/p/{id}", tag = "posts",
    params(("id" = String, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The app's page, with the post's `<title>`, description, canonical link and Open Graph / Twitter card tags", content_type = "text/html", body = String),
        (status = 404, description = "No such post: the app's page all the same, which says so (or, when the server has no built app, the error body)", content_type = "text/html", body = String),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn post_page(
    State(state): State<AppState>,
    Extension(shell): Extension<Option<Arc<AppShell>>>,
    UrlPath(id): UrlPath<String>,
    freshness: Freshness,
) -> Result<Response, ApiError> {
    let Some(shell) = shell else {
        return Err(ApiError::nothing_here(&format!("/p/{id}")));
    };
    // Anything but a post's id is a page that does not exist, not a malformed request: a
    // browser shows the app, which says so.
    let post = match id.parse::<i64>() {
        Ok(id) => match state.post_service.get(id, freshness).await {
            Ok(post) => Some(post),
            Err(ServiceError::PostNotFound(_)) => None,
            Err(error) => return Err(error.into()),
        },
        Err(_) => None,
    };
    Ok(match post {
        Some(post) => app_page(
            StatusCode::OK,
            render_page(&shell, &post, &state.public_url),
        ),
        None => app_page(StatusCode::NOT_FOUND, shell.index.clone()),
    })
}

/// A page of the app, `html` being its `index.html` (with a post's tags, or as built). It
/// changes when the app or the post does: checked with the server before each use.
pub(super) fn app_page(status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response.extensions_mut().insert(AppPageBody);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\" />\n    <title>Postboard</title>\n    <base href=\"/\" />\n    <meta name=\"description\" content=\"Postboard: a small board.\" />\n  </head>\n  <body><app-root></app-root></body>\n</html>\n";

    #[test]
    fn the_shell_takes_the_tags_where_its_title_was() {
        let shell = AppShell::from_index(INDEX.to_owned());
        let page = shell.page_with("<title>T</title>");
        assert_eq!(page.matches("<title>").count(), 1);
        assert!(page.contains("<meta charset=\"utf-8\" />\n    <title>T</title>\n    <base"));
        assert!(!page.contains("a small board"));
        assert_eq!(shell.index, INDEX);
    }

    #[test]
    fn a_shell_without_a_title_gets_the_tags_at_the_end_of_its_head() {
        let shell = AppShell::from_index("<html><head></head><body></body></html>".into());
        assert_eq!(
            shell.page_with("<title>T</title>"),
            "<html><head><title>T</title></head><body></body></html>"
        );
    }

    #[test]
    fn descriptions_are_one_line_and_cut_at_a_word() {
        assert_eq!(description("one\n\ntwo\tthree  "), "one two three");
        let long = "word ".repeat(100);
        let cut = description(&long);
        assert!(cut.chars().count() <= DESCRIPTION_CHARS, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
        let unbroken = "x".repeat(300);
        assert_eq!(description(&unbroken).chars().count(), DESCRIPTION_CHARS);
    }
}
