//! The connection loop: what `axum::serve` does, plus a deadline for every request head.
//!
//! `axum::serve` gives hyper no timer, and without one hyper keeps no header deadline at all: a
//! client that sends its request a byte at a time (slowloris), or opens connections and sends
//! nothing, holds a connection and its task for as long as it likes, and a few thousand such
//! clients exhaust the process's file descriptors. Here each request head must arrive whole
//! within `deadlines.head` of the connection being ready for it, which also closes a keep-alive
//! connection left idle for that long. Bodies have their own deadlines (`body_deadline`), and
//! a response in progress (a live event stream) is bounded only by `deadlines.send`: a client
//! that reads nothing for that long is cut (`send_deadline`). A connection closed after an
//! answer that left the request body unread closes gently (`drain`), so a proxy still sending
//! that body reads the answer instead of a reset. A request hyper itself refuses (a malformed
//! or oversized head) is answered with the error body too (`protocol_refusals`). A connection
//! that opens with a live event stream is written without hyper, which would keep 16 KiB of
//! buffers for the stream's whole life (`lean_streams`).

use std::{future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::{GracefulConnection, GracefulShutdown},
};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use super::{
    drain::{CloseGently, GentleClose},
    lean_streams::{self, FirstRequest},
    protocol_refusals::ShapedProtocolRefusals,
    send_deadline::SendDeadline,
};

/// How long a connection may keep the server waiting.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionDeadlines {
    /// For each request head to arrive whole.
    pub head: Duration,
    /// For a write to the client to make progress (a client that stops reading).
    pub send: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes; then accepts nothing more, lets
/// every connection finish the request it is on, and returns once all are closed. Each request
/// carries its connection's peer address as [`ConnectInfo`] (the rate limits' client).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    deadlines: ConnectionDeadlines,
    shutdown: impl Future<Output = ()>,
) {
    // HTTP/1 only, as browsers speak it without TLS (hyper-util's auto-detection of HTTP/2
    // would first wait, with no deadline, for the bytes that tell them apart).
    let mut connections = http1::Builder::new();
    connections
        .timer(TokioTimer::new())
        .header_read_timeout(deadlines.head);
    let connections = Arc::new(connections);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after_accept_error(error).await;
                    continue;
                }
            },
        };
        let (router, watcher) = (router.clone(), graceful.watcher());
        let connections = Arc::clone(&connections);
        tokio::spawn(async move {
            match lean_streams::peek_first_request(&stream, deadlines.head).await {
                FirstRequest::EventStream { request, head_len } => {
                    // Events that are ready together go in one write (`lean_streams`), so
                    // nothing is gained by Nagle's wait for the previous write's ACK.
                    let _ = stream.set_nodelay(true);
                    let stream = SendDeadline::new(stream, deadlines.send);
                    // A client that hung up or timed out is nothing to report.
                    let _ =
                        lean_streams::serve_event_stream(stream, request, head_len, router, peer)
                            .await;
                    // Held until the stream ended: the shutdown waits for it.
                    drop(watcher);
                }
                FirstRequest::Other => {
                    // Boxed: the task should not be as large as hyper's connection for the
                    // lean streams' sake.
                    let _ = Box::pin(watcher.watch(hyper_connection(
                        &connections,
                        stream,
                        peer,
                        router,
                        deadlines,
                    )))
                    .await;
                }
                FirstRequest::Nothing => {}
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// hyper serving `stream` from its first request on.
fn hyper_connection(
    connections: &http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    deadlines: ConnectionDeadlines,
) -> impl GracefulConnection {
    let close = CloseGently::default();
    let service = service_fn({
        let close = close.clone();
        move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(close.clone());
            // Boxed: hyper keeps the place of a request's future for the connection's whole
            // life (a live stream's: hours), so that place should be small.
            Box::pin(router.clone().oneshot(request))
        }
    });
    connections.serve_connection(
        TokioIo::new(SendDeadline::new(
            GentleClose::new(ShapedProtocolRefusals::new(stream), close),
            deadlines.send,
        )),
        service,
    )
}

/// As `axum::serve` (after hyper 0.14): a connection reset before it was accepted is the
/// client's business; anything else (most likely out of file descriptors) is logged, and the
/// loop waits a second for connections to close before it accepts again.
async fn pause_after_accept_error(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
