//! `DELETE /post/{id}`: take a post back with the delete token handed out when it was created.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
};
use utoipa::{
    Modify,
    openapi::{
        OpenApi,
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};

use super::{
    AppState,
    error::{ApiError, ErrorBody},
    extract::{ApiPath, bearer_token},
};
use crate::domain::TokenHash;

/// The name of the delete token's security scheme in the OpenAPI document (also written out
/// in `delete_post`'s annotation, which takes a literal).
pub const DELETE_TOKEN_SCHEME: &str = "delete_token";

/// Delete a post, with the `delete_token` from the answer that created it.
///
/// When no remaining post uses the post's image, the image goes from storage too.
#[utoipa::path(
    delete, path = "/post/{id}", tag = "posts",
    params(("id" = i64, Path, description = "The post's id")),
    security(("delete_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a whole number", body = ErrorBody),
        (status = 401, description = "No `Authorization: Bearer <delete_token>` header", body = ErrorBody,
         headers(("WWW-Authenticate" = String, description = "`Bearer`"))),
        (status = 403, description = "The token is not this post's delete token", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 503, description = "Database unavailable; nothing was deleted", body = ErrorBody),
    )
)]
pub async fn delete_post(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let token = bearer_token(
        &headers,
        "Deleting a post needs its delete token.",
        DELETE_TOKEN_SCHEME,
    )?;
    state.post_service.delete(id, TokenHash::of(token)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds the delete token's bearer scheme to the OpenAPI document.
pub struct DeleteTokenScheme;

impl Modify for DeleteTokenScheme {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "The `delete_token` of the post, from the answer to `POST /post` (shown only there)."
                .to_owned(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(DELETE_TOKEN_SCHEME, SecurityScheme::Http(scheme));
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

    use super::*;

    fn token_of(values: &[&str]) -> Result<String, u16> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        bearer_token(&headers, "Token needed.", "delete_token")
            .map(str::to_owned)
            .map_err(|error| error.status().as_u16())
    }

    #[test]
    fn only_a_single_bearer_header_presents_a_token() {
        let token = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE";
        assert_eq!(
            token_of(&[&format!("Bearer {token}")]),
            Ok(token.to_owned())
        );
        assert_eq!(
            token_of(&[&format!("bearer {token}")]),
            Ok(token.to_owned())
        );
        // Wrong, but well-formed: hashed and compared, then 403.
        assert_eq!(token_of(&["Bearer abc"]), Ok("abc".to_owned()));
        assert_eq!(
            token_of(&["Bearer a.b~c+d/e=="]),
            Ok("a.b~c+d/e==".to_owned())
        );
        for malformed in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer  abc",
            "Bearer abc def",
            "Bearer ===",
            "Bearer a=b",
            "Basic dXNlcjpwYXNz",
            "Token abc",
            "abc",
        ] {
            assert_eq!(token_of(&[malformed]), Err(401), "{malformed:?}");
        }
        assert_eq!(token_of(&[]), Err(401));
        assert_eq!(token_of(&["Bearer abc", "Bearer abc"]), Err(401));
    }
}
