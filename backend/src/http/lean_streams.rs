//! Live event streams written without hyper's connection buffers.
//!
//! hyper keeps a read and a write buffer of 8 KiB each for every HTTP/1 connection for as long
//! as it is open, and neither can be made smaller (`max_buf_size` has 8 192 as its minimum). For
//! an answer that takes milliseconds that is nothing; for a live event stream, which holds its
//! connection for hours and writes a few hundred bytes a minute, it was most of what the
//! stream cost (BENCHMARKS.md, issue 21: 15 KiB per idle stream).
//!
//! So the connection loop looks at a connection's first bytes before hyper does, with `peek`,
//! which leaves them in the socket. When they hold exactly one whole `GET /events` (HTTP/1.1,
//! no body, nothing after it), the request goes through the same router as every other (all
//! its middleware, the stream caps, the rate limits), and its answer is written here: the head,
//! then each event as an HTTP chunk as it comes, with no buffer kept between events; the
//! connection closes when the stream ends (`connection: close`). Anything else, including a
//! `GET /events` that arrives later on a kept-alive connection, is served by hyper as before.
//!
//! A connection that sends nothing for the head deadline is closed, as hyper would close it.
//! One whose first bytes are not a whole request then has the head deadline again in hyper for
//! the rest of its head: a slow head is bounded by twice the deadline, not once.

use std::{
    future::poll_fn,
    io::{self, Write},
    net::SocketAddr,
    pin::Pin,
    time::{Duration, SystemTime},
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::ConnectInfo,
    http::{HeaderValue, Method, Request, Response, Version, header, response::Parts},
};
use futures_util::FutureExt;
use http_body::Body as _;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
    sync::Semaphore,
};
use tower::ServiceExt;

use super::events;

/// How much of a connection's first bytes is looked at. A browser's `GET /events` with its
/// cookies fits; a longer head is hyper's.
const PEEK_BYTES: usize = 4096;

/// Events that are ready together are written together, up to this many bytes (a replay's
/// page: one write instead of one per event).
const WRITE_BATCH_BYTES: usize = 16 * 1024;

/// Streams that had more ready than one batch (replays, mostly) make their next batch one at a
/// time per replica, taking turns (first come, first served). A replay's events are all ready
/// at once, and a client that reads as fast as they come never makes a write wait: a hundred
/// replays, each making batch after batch, would fill the worker threads' queues, and every
/// request behind them would wait for a turn after all of them (BENCHMARKS.md, issue 21: the
/// list's p99 beside replays). A stream's first batch after waiting for events takes no turn,
/// so a new event reaches every client as soon as before, and a replay's first page too.
static BULK_TURNS: Semaphore = Semaphore::const_new(1);

/// What a connection's first bytes hold.
pub enum FirstRequest {
    /// A `GET /events` for [`serve_event_stream`]; its head is `head_len` bytes long.
    EventStream {
        request: Box<Request<Body>>,
        head_len: usize,
    },
    /// Anything else, or not yet all of a request: hyper's.
    Other,
    /// Nothing within `deadline`, or the peer closed: nothing to serve.
    Nothing,
}

/// Peeks at the bytes the client has sent when it first sends any (within `deadline`).
pub async fn peek_first_request(stream: &TcpStream, deadline: Duration) -> FirstRequest {
    let mut bytes = match tokio::time::timeout(deadline, stream.readable()).await {
        Ok(Ok(())) => vec![0; PEEK_BYTES],
        Ok(Err(_)) | Err(_) => return FirstRequest::Nothing,
    };
    match tokio::time::timeout(deadline, stream.peek(&mut bytes)).await {
        Ok(Ok(0)) | Ok(Err(_)) | Err(_) => FirstRequest::Nothing,
        Ok(Ok(read)) => match event_stream_request(&bytes[..read]) {
            Some((request, head_len)) => FirstRequest::EventStream {
                request: Box::new(request),
                head_len,
            },
            None => FirstRequest::Other,
        },
    }
}

/// `bytes` as a request for the event stream, with its head's length, when they are exactly one
/// whole `GET /events` without a body; `None` for anything else (hyper then reads, answers or
/// refuses it as any request).
fn event_stream_request(bytes: &[u8]) -> Option<(Request<Body>, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head_len) = parsed.parse(bytes).ok()? else {
        return None;
    };
    let target = parsed.path?;
    let is_event_stream = head_len == bytes.len()
        && parsed.method == Some("GET")
        && parsed.version == Some(1)
        && target.split('?').next() == Some(events::PATH);
    if !is_event_stream {
        return None;
    }
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(target)
        .version(Version::HTTP_11);
    for field in parsed.headers.iter() {
        // A body or a protocol switch is hyper's business.
        let hyper_business = ["content-length", "transfer-encoding", "upgrade", "expect"]
            .iter()
            .any(|name| field.name.eq_ignore_ascii_case(name));
        if hyper_business {
            return None;
        }
        request = request.header(field.name, field.value);
    }
    Some((request.body(Body::empty()).ok()?, head_len))
}

/// Answers `request` (read from `stream`, whose first `head_len` bytes it is) through `router`,
/// and writes the answer; returns when the stream ends, the client goes, or a write waits
/// longer than `send_timeout` would let it.
pub async fn serve_event_stream<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: Box<Request<Body>>,
    head_len: usize,
    router: Router,
    peer: SocketAddr,
) -> io::Result<()> {
    discard_exact(&mut stream, head_len).await?;
    let mut request = *request;
    // (No `CloseGently`: the request has no body for `drain` to leave unread, and the
    // connection closes after the stream anyway.)
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = router
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {});
    if !is_event_stream(&response) {
        // A refusal (429 past a stream cap, 503, ...): small, written whole.
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(io::Error::other)?;
        let mut answer = head(&parts, Some(body.len()));
        answer.extend_from_slice(&body);
        stream.write_all(&answer).await?;
        return stream.shutdown().await;
    }
    let (parts, body) = response.into_parts();
    stream.write_all(&head(&parts, None)).await?;
    drop(parts);
    write_chunks(&mut stream, body).await
}

fn is_event_stream(response: &Response<Body>) -> bool {
    response.status().is_success()
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"))
}

/// Reads and drops the request head that `peek` looked at.
async fn discard_exact<S: AsyncRead + Unpin>(stream: &mut S, len: usize) -> io::Result<()> {
    let mut head = vec![0; len];
    stream.read_exact(&mut head).await.map(drop)
}

/// The answer's status line and headers, framed by `content_length` or else chunked, always
/// with `connection: close`; a `date` as hyper writes one.
fn head(parts: &Parts, content_length: Option<usize>) -> Vec<u8> {
    let mut head = Vec::with_capacity(512);
    let status = parts.status;
    let _ = write!(
        head,
        "HTTP/1.1 {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    );
    let framing = [
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::CONNECTION,
    ];
    for (name, value) in &parts.headers {
        if !framing.contains(name) {
            header_line(&mut head, name.as_str(), value);
        }
    }
    if !parts.headers.contains_key(header::DATE) {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let _ = write!(head, "date: {date}\r\n");
    }
    match content_length {
        Some(length) => {
            let _ = write!(head, "content-length: {length}\r\n");
        }
        None => head.extend_from_slice(b"transfer-encoding: chunked\r\n"),
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    head
}

fn header_line(head: &mut Vec<u8>, name: &str, value: &HeaderValue) {
    head.extend_from_slice(name.as_bytes());
    head.extend_from_slice(b": ");
    head.extend_from_slice(value.as_bytes());
    head.extend_from_slice(b"\r\n");
}

/// Writes `body` as HTTP chunks until it ends (then the last chunk), fails, or the client
/// closes its side. What the client sends meanwhile is read and dropped.
async fn write_chunks<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    mut body: Body,
) -> io::Result<()> {
    let mut peer_bytes = [0u8; 64];
    let mut more_was_ready = false;
    loop {
        let mut batch = tokio::select! {
            first = next_data(&mut body) => match first {
                Some(data) => chunk(Vec::new(), &data?),
                None => return finish(stream).await,
            },
            read = stream.read(&mut peer_bytes) => match read {
                Ok(0) | Err(_) => return Ok(()),
                Ok(_) => continue,
            },
        };
        let turn = if more_was_ready {
            Some(BULK_TURNS.acquire().await.expect("never closed"))
        } else {
            None
        };
        let mut ended = false;
        while batch.len() < WRITE_BATCH_BYTES {
            match next_data(&mut body).now_or_never() {
                Some(Some(data)) => batch = chunk(batch, &data?),
                Some(None) => {
                    ended = true;
                    break;
                }
                None => break,
            }
        }
        drop(turn);
        more_was_ready = batch.len() >= WRITE_BATCH_BYTES;
        stream.write_all(&batch).await?;
        if ended {
            return finish(stream).await;
        }
        if more_was_ready {
            // The others' turn: the tasks queued behind this one, and the streams waiting for
            // a bulk turn.
            tokio::task::yield_now().await;
        }
    }
}

/// The body's next piece of data (trailers are skipped: an event stream has none).
async fn next_data(body: &mut Body) -> Option<io::Result<Bytes>> {
    loop {
        let frame = poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await?;
        match frame.map_err(io::Error::other) {
            Ok(frame) => match frame.into_data() {
                Ok(data) if data.is_empty() => continue,
                Ok(data) => return Some(Ok(data)),
                Err(_trailers) => continue,
            },
            Err(error) => return Some(Err(error)),
        }
    }
}

/// `data` framed as one HTTP chunk, after what `batch` holds.
fn chunk(mut batch: Vec<u8>, data: &[u8]) -> Vec<u8> {
    let _ = write!(batch, "{:x}\r\n", data.len());
    batch.extend_from_slice(data);
    batch.extend_from_slice(b"\r\n");
    batch
}

/// The last chunk, then the connection's end.
async fn finish<S: AsyncWrite + Unpin>(stream: &mut S) -> io::Result<()> {
    stream.write_all(b"0\r\n\r\n").await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_get_of_the_events_is_taken_with_its_headers() {
        let bytes = b"GET /events?x=1 HTTP/1.1\r\nHost: a\r\nLast-Event-ID: 7\r\n\r\n";
        let (request, head_len) = event_stream_request(bytes).expect("taken");
        assert_eq!(head_len, bytes.len());
        assert_eq!(request.uri(), "/events?x=1");
        assert_eq!(request.headers()["last-event-id"], "7");
    }

    #[test]
    fn anything_else_is_left_to_hyper() {
        let left: [&[u8]; 7] = [
            b"GET /post HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /events HTTP/1.1\r\nHost: a\r\n",
            b"GET /events HTTP/1.0\r\nHost: a\r\n\r\n",
            b"HEAD /events HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /events HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
            b"GET /events HTTP/1.1\r\nHost: a\r\n\r\nGET /post HTTP/1.1\r\n\r\n",
            b"GET /eventsx HTTP/1.1\r\nHost: a\r\n\r\n",
        ];
        for bytes in left {
            assert!(
                event_stream_request(bytes).is_none(),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_stream_whose_events_are_all_ready_lets_other_tasks_run_between_batches() {
        const BATCHES: usize = 8;
        let event = Bytes::from(vec![b'x'; WRITE_BATCH_BYTES]);
        let body = Body::from_stream(futures_util::stream::iter(
            (0..BATCHES).map(move |_| Ok::<_, io::Error>(event.clone())),
        ));
        // A client that reads as fast as anything is written: no write ever waits.
        let (mut server, mut client) = tokio::io::duplex(4 * BATCHES * WRITE_BATCH_BYTES);
        let turns = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let other = tokio::spawn({
            let turns = turns.clone();
            async move {
                loop {
                    turns.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            }
        });
        write_chunks(&mut server, body).await.expect("written");
        let turns_meanwhile = turns.load(std::sync::atomic::Ordering::Relaxed);
        other.abort();
        drop(server);
        let mut written = Vec::new();
        client.read_to_end(&mut written).await.expect("read");
        assert!(written.ends_with(b"0\r\n\r\n"));
        assert!(
            turns_meanwhile >= BATCHES - 1,
            "the other task ran {turns_meanwhile} times during {BATCHES} batches"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_stream_writes_its_first_batch_at_once_and_then_waits_for_a_bulk_turn() {
        let another_streams_turn = BULK_TURNS.acquire().await.expect("open");
        let event = Bytes::from(vec![b'x'; WRITE_BATCH_BYTES]);
        let body = Body::from_stream(futures_util::stream::iter(
            (0..3).map(move |_| Ok::<_, io::Error>(event.clone())),
        ));
        let (mut server, mut client) = tokio::io::duplex(8 * WRITE_BATCH_BYTES);
        let writing = tokio::spawn(async move {
            write_chunks(&mut server, body).await.expect("written");
        });
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        let one_chunk = chunk(Vec::new(), &[b'x'; WRITE_BATCH_BYTES]);
        let mut written = vec![0; one_chunk.len() + 1];
        let read = client.read(&mut written).await.expect("read");
        assert_eq!(written[..read], one_chunk[..], "only the first batch");
        assert!(!writing.is_finished());
        drop(another_streams_turn);
        writing.await.expect("ends");
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.expect("read");
        assert_eq!(rest.len(), 2 * one_chunk.len() + b"0\r\n\r\n".len());
    }

    #[test]
    fn chunks_carry_their_length_in_hex() {
        let framed = chunk(chunk(Vec::new(), &[b'a'; 26]), b"b");
        assert_eq!(
            framed,
            [&b"1a\r\n"[..], &[b'a'; 26], b"\r\n1\r\nb\r\n"].concat()
        );
    }
}
