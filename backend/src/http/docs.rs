//! The OpenAPI document (generated from the handlers' annotations, so it cannot drift from
//! the routes) and Swagger UI, whose assets are compiled into the binary: `/docs` works offline.

use std::sync::{Arc, LazyLock};

use axum::{
    Extension, Json,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use utoipa::openapi::OpenApi;

use super::error::ApiError;
use super::extract::ApiPath;

static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> =
    LazyLock::new(|| Arc::new(utoipa_swagger_ui::Config::new(["/openapi.json"])));

/// The OpenAPI 3 document of every route.
#[utoipa::path(get, path = "/openapi.json", tag = "docs",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json(Extension(document): Extension<Arc<OpenApi>>) -> Json<Arc<OpenApi>> {
    Json(document)
}

/// Interactive API documentation (Swagger UI).
#[utoipa::path(get, path = "/docs", tag = "docs",
    responses((status = 200, description = "HTML page", content_type = "text/html")))]
pub async fn docs_page() -> Result<Response, ApiError> {
    // Served at `/docs` itself (not a redirect to `/docs/`); `<base>` points the page's
    // relative asset links at `/docs/...`.
    let (content_type, bytes) = swagger_file("index.html")?;
    let html =
        String::from_utf8_lossy(&bytes).replacen("<head>", "<head><base href=\"/docs/\">", 1);
    Ok(([(header::CONTENT_TYPE, content_type)], html).into_response())
}

/// The assets of the docs page.
#[utoipa::path(get, path = "/docs/{file}", tag = "docs",
    params(("file" = String, Path, description = "Swagger UI asset")),
    responses((status = 200, description = "Asset"), (status = 404, description = "No such asset")))]
pub async fn docs_asset(ApiPath(file): ApiPath<String>) -> Result<Response, ApiError> {
    if file.is_empty() || file == "index.html" {
        return docs_page().await;
    }
    let (content_type, bytes) = swagger_file(&file)?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

fn swagger_file(file: &str) -> Result<(HeaderValue, Vec<u8>), ApiError> {
    let found = utoipa_swagger_ui::serve(file, SWAGGER_CONFIG.clone())
        .map_err(|e| ApiError::internal(format!("swagger ui {file}: {e}")))?
        .ok_or_else(|| {
            ApiError::not_found(
                "There is nothing at this address.",
                format!("docs asset {file:?}: no such file"),
            )
        })?;
    let content_type = HeaderValue::from_str(&found.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((content_type, found.bytes.into_owned()))
}
