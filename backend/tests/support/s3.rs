//! An S3 server in the test process: s3s-fs on a temporary folder, checking SigV4 signatures
//! (`postboard_test_fixtures::s3`).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use tokio::net::TcpListener;

pub const S3_ACCESS_KEY: &str = "test-access-key";
pub const S3_SECRET_KEY: &str = "test-secret-key";

/// An S3 server (s3s-fs on a temporary folder, SigV4 checked) on a loopback port.
pub struct S3Server {
    pub addr: SocketAddr,
    pub root: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

impl S3Server {
    pub(super) async fn start() -> Self {
        let root = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let folder = root.path().to_owned();
        let server = tokio::spawn(async move {
            postboard_test_fixtures::s3::serve(listener, &folder, S3_ACCESS_KEY, S3_SECRET_KEY)
                .await
                .expect("s3s-fs serves the test's folder");
        });
        Self {
            addr,
            root,
            _server: server,
        }
    }

    /// The objects stored in `bucket`, as files under the server's folder.
    pub fn objects(&self, bucket: &str) -> Vec<PathBuf> {
        let dir: &Path = &self.root.path().join(bucket);
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && !p.to_string_lossy().contains(".s3s"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }
}
