//! An S3 server on a folder: s3s-fs behind hyper, checking SigV4 signatures against one key
//! pair. The API tests run it inside their process (`tests/support/s3.rs`); the scripts run it
//! as a program (`examples/s3-server.rs`, built by `cargo test`), for `make run`, e2e, the
//! backup drill and the bench.

use std::{io, path::Path};

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder as ConnBuilder,
};
use tokio::{net::TcpListener, task::JoinSet};

/// Serves S3 from `root` on `listener` until the future is dropped (HTTP/1 or 2, detected per
/// connection). Fails only when `root` is not a folder it can use.
pub async fn serve(
    listener: TcpListener,
    root: &Path,
    access_key: &str,
    secret_key: &str,
) -> io::Result<()> {
    let fs =
        s3s_fs::FileSystem::new(root).map_err(|error| io::Error::other(format!("{error:?}")))?;
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(access_key, secret_key));
    let service = builder.build();
    let http = ConnBuilder::new(TokioExecutor::new());
    // Dropped with this future, the set aborts every open connection.
    let mut connections = JoinSet::new();
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let connection = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        connections.spawn(async move {
            let _ = connection.await;
        });
        // Finished connections are reaped as new ones come, so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
}
