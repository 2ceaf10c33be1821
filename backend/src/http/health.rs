use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ErrorBody};

/// Liveness: 200 while the process serves.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is serving", body = Status,
               example = json!({"status": "ok"}))))]
pub async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// Readiness: 200 when PostgreSQL and object storage both answer.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Database and object storage answer", body = Status,
         example = json!({"status": "ready"})),
        (status = 503, description = "A dependency is unavailable", body = ErrorBody),
    ))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    state.post_service.check_ready().await?;
    Ok(Json(Status { status: "ready" }))
}

/// The body of `/health` (`ok`) and `/ready` (`ready`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    status: &'static str,
}
