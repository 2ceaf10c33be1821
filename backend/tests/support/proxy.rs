//! A TCP forwarder between the app and PostgreSQL or S3, so a test can cut, restore or pause the service behind it.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpListener,
    sync::watch,
    task::JoinSet,
};

/// A TCP forwarder that a test can cut (refusing new connections and dropping open ones) and
/// restore on the same port: an outage of the service behind it, as the app sees it. It can
/// also pause (hold every byte, in both directions, until resumed): a service that is slow to
/// answer, so that a test can act while a request is in flight.
pub struct TcpProxy {
    addr: SocketAddr,
    target: SocketAddr,
    running: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
    paused: watch::Sender<bool>,
}

impl TcpProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Self {
            addr: listener.local_addr().unwrap(),
            target,
            running: Arc::default(),
            paused: watch::Sender::new(false),
        };
        proxy.serve(listener);
        proxy
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target;
        let paused = self.paused.clone();
        let task = tokio::spawn(async move {
            // Owned by this task: aborting it drops every open connection too.
            let mut connections = JoinSet::new();
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                let paused = paused.clone();
                connections.spawn(async move {
                    if let Ok(outbound) = tokio::net::TcpStream::connect(target).await {
                        let (in_read, in_write) = inbound.into_split();
                        let (out_read, out_write) = outbound.into_split();
                        tokio::join!(
                            forward(in_read, out_write, paused.subscribe()),
                            forward(out_read, in_write, paused.subscribe()),
                        );
                    }
                });
            }
        });
        *self.running.lock().unwrap() = Some(task);
    }

    /// Cuts the service off: the port refuses connections and open ones are closed.
    pub async fn cut(&self) {
        let task = self.running.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// Holds every byte in both directions (open connections stay open) until [`resume`].
    ///
    /// [`resume`]: TcpProxy::resume
    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.paused.send_replace(false);
    }

    /// Brings the service back on the same port.
    pub async fn restore(&self) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("rebind the proxy port");
        self.serve(listener);
    }
}

/// Copies one direction of a proxied connection, holding what it read while paused.
async fn forward(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut paused: watch::Receiver<bool>,
) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if paused.wait_for(|paused| !paused).await.is_err()
            || to.write_all(&buffer[..read]).await.is_err()
        {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(task) = self.running.lock().unwrap().take() {
            task.abort();
        }
    }
}
