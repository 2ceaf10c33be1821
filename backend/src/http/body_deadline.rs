//! Request bodies that stop arriving. A client that sends its headers and then nothing (or
//! a trickle) would otherwise hold a connection and a handler until the whole-request deadline,
//! and get a 503 that blames the server. Here the body itself fails with [`BodyTimedOut`]
//! after `idle` without a byte, or `total` without its end; the extractors turn that into 408.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep, sleep};

#[derive(Debug, Clone, Copy)]
pub struct BodyTimeouts {
    pub idle: Duration,
    pub total: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("request body: no data for {0:?}")]
pub struct BodyTimedOut(Duration);

/// Middleware: gives every request body the deadlines of `timeouts`.
pub async fn limit_body_time(
    State(timeouts): State<BodyTimeouts>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = Body::new(DeadlineBody::new(body, timeouts));
    next.run(Request::from_parts(parts, body)).await
}

struct DeadlineBody {
    inner: Body,
    idle_for: Duration,
    total: Duration,
    idle: Pin<Box<Sleep>>,
    end: Pin<Box<Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Body, timeouts: BodyTimeouts) -> Self {
        Self {
            inner,
            idle_for: timeouts.idle,
            total: timeouts.total,
            idle: Box::pin(sleep(timeouts.idle)),
            end: Box::pin(sleep(timeouts.total)),
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.idle.as_mut().reset(Instant::now() + this.idle_for);
            return Poll::Ready(frame);
        }
        if this.idle.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(this.idle_for)))));
        }
        if this.end.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut(this.total)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    const TIMEOUTS: BodyTimeouts = BodyTimeouts {
        idle: Duration::from_secs(10),
        total: Duration::from_secs(60),
    };

    /// A body that sends `chunks`, waiting `gap` before each.
    fn trickle(chunks: usize, gap: Duration) -> Body {
        let stream = futures::stream::iter(0..chunks).then(move |_| async move {
            tokio::time::sleep(gap).await;
            Ok::<_, std::io::Error>(Bytes::from_static(b"x"))
        });
        Body::from_stream(stream)
    }

    async fn read(body: Body) -> Result<usize, axum::Error> {
        let body = Body::new(DeadlineBody::new(body, TIMEOUTS));
        axum::body::to_bytes(body, usize::MAX)
            .await
            .map(|b| b.len())
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_body_arrives_whole() {
        assert_eq!(read(trickle(5, Duration::from_secs(9))).await.unwrap(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_fails_after_the_idle_time() {
        let started = Instant::now();
        let error = read(trickle(2, Duration::from_secs(11))).await.unwrap_err();
        assert!(super::super::error::caused_by::<BodyTimedOut>(&error));
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_fails_at_the_total_deadline() {
        let started = Instant::now();
        let error = read(trickle(100, Duration::from_secs(5)))
            .await
            .unwrap_err();
        assert!(super::super::error::caused_by::<BodyTimedOut>(&error));
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }
}
