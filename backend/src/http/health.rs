use axum::{Json, extract::State};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ErrorBody};

/// Liveness: 200 while the process serves.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is serving")))]
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: 200 when PostgreSQL and object storage both answer.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Database and object storage answer"),
        (status = 503, description = "A dependency is unavailable", body = ErrorBody),
    ))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.posts.check_ready().await?;
    Ok(Json(json!({"status": "ready"})))
}
