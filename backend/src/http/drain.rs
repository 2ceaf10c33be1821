//! Early answers that leave the connection fit for a proxy.
//!
//! Many answers come before the request body has been read: a 429 is decided before an upload
//! is read, a 413 part-way through it, a 401 on a DELETE without looking at its body, and so
//! on. Left alone, hyper discards what it already has of the rest and, if the body is not
//! complete, closes the connection: unread bytes in the socket make the kernel reset it (RST).
//! A proxy that is still sending the body (nginx sends it as fast as the app takes it) then
//! fails with `writev() failed (32: Broken pipe)`, often before it has read the answer, and
//! gives its client a 502 instead; the failure counts against `max_fails`, so a healthy replica
//! is marked down. Measured with Debian's nginx 1.22 in tests/api/behind_nginx.rs.
//!
//! So, after the handler has answered without reading its body to the end:
//! - [`drain_unread_body`] (middleware) reads and discards the rest, up to [`DRAIN_BYTES`]
//!   within [`DRAIN_TIME`], then sends the answer; the connection stays open for the next
//!   request;
//! - past either bound (a known remaining length over [`DRAIN_BYTES`] is not even tried), the
//!   answer carries `Connection: close`, and the connection closes gently ([`GentleClose`]):
//!   once the answer is written it sends FIN, then reads and discards whatever still arrives
//!   until the peer closes or [`LINGER_TIME`] has passed (nginx's own "lingering close"), so
//!   the peer reads the whole answer before the connection goes.

use std::{
    future::{Future, poll_fn},
    io,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    time::{Sleep, sleep, timeout},
};

use super::io_wrappers::read_through;

/// At most this much of an unread body is read to keep the connection.
pub const DRAIN_BYTES: u64 = 1024 * 1024;
/// ... and for at most this long.
pub const DRAIN_TIME: Duration = Duration::from_secs(1);
/// A connection closed after an unread body reads (and discards) for at most this long.
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// A connection's request to close gently: set by [`drain_unread_body`] on the request's
/// extensions (the connection loop puts it there), read by [`GentleClose`].
#[derive(Clone, Default)]
pub struct CloseGently(Arc<AtomicBool>);

impl CloseGently {
    fn request(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn is_requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Middleware: drains what the handler left of the request body before the answer goes (see
/// the module's documentation).
pub async fn drain_unread_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let close = parts.extensions.get::<CloseGently>().cloned();
    let left = Arc::new(Mutex::new(None));
    let body = Body::new(Tracked {
        inner: Some(body),
        ended: false,
        left: left.clone(),
    });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // Whatever the handler dropped unfinished (a body it still holds is its own business).
    let unread = left.lock().map(|mut left| left.take()).unwrap_or(None);
    let Some(mut unread) = unread else {
        return response;
    };
    if !drain(&mut unread).await {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        if let Some(close) = close {
            close.request();
        }
    }
    response
}

/// Reads `body` to its end within the bounds; false when it could not.
async fn drain(body: &mut Body) -> bool {
    if body.size_hint().lower() > DRAIN_BYTES {
        return false;
    }
    let read_all = async {
        let mut read = 0u64;
        while let Some(frame) = poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                read += data.len() as u64;
                if read > DRAIN_BYTES {
                    return false;
                }
            }
        }
        true
    };
    timeout(DRAIN_TIME, read_all).await.unwrap_or(false)
}

/// The request body as handlers see it; dropped before its end, it leaves the rest in `left`.
struct Tracked {
    inner: Option<Body>,
    ended: bool,
    left: Arc<Mutex<Option<Body>>>,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            return Poll::Ready(None);
        };
        let frame = ready!(Pin::new(inner).poll_frame(cx));
        // An error (the client went away) leaves nothing worth draining either.
        if !matches!(frame, Some(Ok(_))) {
            this.ended = true;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        if let Some(inner) = self.inner.take().filter(|inner| !inner.is_end_stream())
            && let Ok(mut left) = self.left.lock()
        {
            *left = Some(inner);
        }
    }
}

/// A connection's socket that, when [`CloseGently`] was requested, closes as described in the
/// module's documentation; otherwise it is the socket itself.
pub struct GentleClose<T> {
    inner: T,
    close: CloseGently,
    lingering: Option<Pin<Box<Sleep>>>,
}

impl<T> GentleClose<T> {
    pub fn new(inner: T, close: CloseGently) -> Self {
        Self {
            inner,
            close,
            lingering: None,
        }
    }
}

read_through!(GentleClose);

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for GentleClose<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.close.is_requested() {
            return Pin::new(&mut this.inner).poll_shutdown(cx);
        }
        if this.lingering.is_none() {
            // FIN after the answer: the peer reads it all, then sees the end.
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.lingering = Some(Box::pin(sleep(LINGER_TIME)));
        }
        let lingering = this.lingering.as_mut().expect("set above");
        let mut discard = [0u8; 16 * 1024];
        loop {
            if lingering.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut discard);
            match ready!(Pin::new(&mut this.inner).poll_read(cx, &mut buf)) {
                // More of the body: discard it and read on.
                Ok(()) if !buf.filled().is_empty() => {}
                // The peer closed (or reset): nothing more to wait for.
                _ => return Poll::Ready(Ok(())),
            }
        }
    }
}
