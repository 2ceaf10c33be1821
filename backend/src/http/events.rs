//! `GET /events`: the live board as Server-Sent Events.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
use futures_core::Stream;
use futures_util::StreamExt;
use serde_json::json;

use super::{AppState, client::ClientAddress, error::ApiError};
use crate::{
    domain::{Change, LastEventId},
    service::Delivery,
};

/// The route's path, as in its `utoipa::path` below; `lean_streams` recognises a stream's
/// request by it (`live::a_stream_is_answered_alike_*` fails if the two part).
pub(super) const PATH: &str = "/events";

/// A comment line this often keeps proxies and browsers from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Follow the board live.
///
/// Events: `post` (the new post's JSON), `score` (`{"id", "score"}`), `delete` (`{"id"}`),
/// `resync` (`{}`: events were missed that are no longer kept; reload the first page). Each
/// carries an increasing `id:`; reconnect with `Last-Event-ID` to get what was missed.
#[utoipa::path(get, path = "/events", tag = "posts",
    params(("Last-Event-ID" = Option<String>, Header, description = "The `id:` of the last event received, to resume after it. A value that is not such an id is ignored: the stream starts from now.")),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream"),
        (status = 429, description = "This client has `STREAMS_PER_CLIENT` streams open on this replica already", body = super::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Database unavailable, or this replica holds `STREAMS_PER_REPLICA` streams already (then with `Retry-After`)", body = super::error::ErrorBody),
    ))]
pub async fn events(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let last = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(LastEventId::parse);
    let deliveries = state.live.subscribe(last, client).await?;
    let stream = deliveries.map(|delivery| Ok(to_sse(&delivery)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The SSE form of a delivery.
fn to_sse(delivery: &Delivery) -> SseEvent {
    match delivery {
        Delivery::Resync { newest } => SseEvent::default()
            .event("resync")
            .id(newest.to_string())
            .data("{}"),
        Delivery::Event(event) => {
            let data = match &event.change {
                Change::Post(post) => serde_json::to_string(post),
                Change::Score { post_id, score } => {
                    serde_json::to_string(&json!({"id": post_id, "score": score}))
                }
                Change::Delete { post_id } => serde_json::to_string(&json!({"id": post_id})),
            }
            .expect("events serialize");
            SseEvent::default()
                .event(event.change.name())
                .id(event.id.to_string())
                .data(data)
        }
    }
}
