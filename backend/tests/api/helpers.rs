//! `spawn_app()`: the whole server on 127.0.0.1:0, with its own database and S3 bucket.
//! PostgreSQL and S3 are reached through [`TcpProxy`]s so a test can cut either one off.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder as ConnBuilder,
};
use postboard::{
    config::{Config, DatabasePooler},
    domain::RateLimit,
    startup::Application,
};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpListener,
    sync::{oneshot, watch},
    task::JoinSet,
};

pub const S3_ACCESS_KEY: &str = "test-access-key";
pub const S3_SECRET_KEY: &str = "test-secret-key";

pub struct TestApp {
    pub address: String,
    /// `http://host:port` of the metrics listener, when `metrics_addr` was set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    /// What the server was started with (a replica starts with the same).
    pub config: Config,
    pub db: TestDatabase,
    pub db_proxy: TcpProxy,
    pub s3: S3Server,
    pub s3_proxy: TcpProxy,
    _server: TestServer,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], after letting the test adjust the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    try_spawn_app_with(adjust).await.expect("the app starts")
}

pub async fn try_spawn_app_with(
    adjust: impl FnOnce(&mut Config),
) -> Result<TestApp, postboard::startup::StartupError> {
    Ok(spawn_fleet_with(adjust, 0).await?.0)
}

/// The app and `replicas` more servers on the same database and S3, all starting at once (so
/// they race to apply the migrations, as replicas of a fleet do).
pub async fn spawn_fleet_with(
    adjust: impl FnOnce(&mut Config),
    replicas: usize,
) -> Result<(TestApp, Vec<TestServer>), postboard::startup::StartupError> {
    init_logs();
    let db = TestDatabase::create().await;
    // Through PgBouncer, the proxy stands between the app and PgBouncer: cutting it cuts the
    // app off its pooled connections, as a network fault would.
    let db_target = match crate::pgbouncer::enabled() {
        true => crate::pgbouncer::address(db.server_addr()),
        false => db.server_addr(),
    };
    let db_proxy = TcpProxy::start(db_target).await;
    let s3 = S3Server::start().await;
    let s3_proxy = TcpProxy::start(s3.addr).await;

    let mut config = Config::from_lookup(|_| None).expect("default configuration");
    config.database_url = db.url_via(db_proxy.addr()).into();
    if crate::pgbouncer::enabled() {
        config.database_pooler = DatabasePooler::Transaction;
        config.database_listen_url = Some(db.url_via(db.server_addr()).into());
    }
    config.s3.endpoint = format!("http://{}", s3_proxy.addr());
    config.s3.access_key = S3_ACCESS_KEY.to_owned().into();
    config.s3.secret_key = S3_SECRET_KEY.to_owned().into();
    config.s3.bucket = "images".into();
    config.bind_addr = "127.0.0.1:0".parse().unwrap();
    config.static_dir = PathBuf::from("/nonexistent-postboard-static");
    config.startup_timeout = Duration::from_secs(10);
    // Tests run side by side on one PostgreSQL (100 connections by default): a few each.
    config.database_max_connections = 8;
    // The server's defaults limit every client; tests that are about limits set their own.
    config.rate_limit_posts = RateLimit::Off;
    config.rate_limit_votes = RateLimit::Off;
    config.rate_limit_reports = RateLimit::Off;
    adjust(&mut config);

    let starts = (0..=replicas).map(|_| TestServer::start(config.clone()));
    let mut servers = futures::future::try_join_all(starts).await?;
    let server = servers.remove(0);
    let app = TestApp {
        address: server.address.clone(),
        metrics_address: server.metrics_address.clone(),
        config,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        db,
        db_proxy,
        s3,
        s3_proxy,
        _server: server,
    };
    Ok((app, servers))
}

/// One server process's worth of the app, serving until [`TestServer::stop`] or dropped.
pub struct TestServer {
    pub address: String,
    pub metrics_address: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    running: tokio::task::JoinHandle<()>,
}

impl TestServer {
    async fn start(config: Config) -> Result<Self, postboard::startup::StartupError> {
        let app = Application::build(config).await?;
        let address = format!("http://{}", app.local_addr());
        let metrics_address = app.metrics_addr().map(|addr| format!("http://{addr}"));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let running = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Ok(Self {
            address,
            metrics_address,
            shutdown: Some(shutdown),
            running,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Asks the server to stop, as SIGTERM does, and waits until it has.
    pub async fn stop(mut self) {
        drop(self.shutdown.take());
        (&mut self.running).await.expect("the server task ran")
    }
}

/// `TEST_LOG=1 cargo test` shows the server's logs.
fn init_logs() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            postboard::observe::telemetry::init();
        }
    });
}

/// A client of `GET /events`, reading Server-Sent Events as they arrive.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct SseMessage {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

impl EventStream {
    /// Connects to `base`'s `/events`, resuming after `last_event_id` when given.
    pub async fn connect(base: &str, last_event_id: Option<i64>) -> Self {
        let mut request = reqwest::Client::new().get(format!("{base}/events"));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.expect("request sent");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event within `within` (comments skipped); `None` when none came or the stream
    /// ended.
    pub async fn next_within(&mut self, within: Duration) -> Option<SseMessage> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(message) = parse_sse(&block) {
                    return Some(message);
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next event named `kind` within `within`, skipping others.
    pub async fn next_of(&mut self, kind: &str, within: Duration) -> SseMessage {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self
                .next_within(left)
                .await
                .unwrap_or_else(|| panic!("no {kind} event within {within:?}"));
            if message.event == kind {
                return message;
            }
        }
    }

    /// Whether the server ended the stream within `within`.
    pub async fn ended_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None) | Err(_)) => return true,
                Err(_) => return false,
            }
        }
    }
}

fn parse_sse(block: &str) -> Option<SseMessage> {
    let (mut id, mut event, mut data) = (None, String::from("message"), Vec::new());
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id:") {
            id = value.trim().parse().ok();
        } else if let Some(value) = line.strip_prefix("event:") {
            event = value.trim().to_owned();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
        }
    }
    if data.is_empty() {
        return None; // a comment (keep-alive)
    }
    let data = serde_json::from_str(&data.join("\n")).expect("event data is JSON");
    Some(SseMessage { id, event, data })
}

/// A post form as the browser sends it.
pub struct PostForm {
    pub title: Option<String>,
    pub post: Option<String>,
    pub username: Option<String>,
    pub file: Option<(Vec<u8>, &'static str, &'static str)>,
}

impl PostForm {
    pub fn new(title: &str, post: &str) -> Self {
        Self {
            title: Some(title.into()),
            post: Some(post.into()),
            username: None,
            file: None,
        }
    }

    pub fn username(mut self, username: &str) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Attaches `bytes` under a file name and declared type, which the server must ignore.
    pub fn file(mut self, bytes: Vec<u8>, file_name: &'static str, mime: &'static str) -> Self {
        self.file = Some((bytes, file_name, mime));
        self
    }

    pub fn into_multipart(self) -> Form {
        let mut form = Form::new();
        for (name, value) in [
            ("title", self.title),
            ("post", self.post),
            ("username", self.username),
        ] {
            if let Some(value) = value {
                form = form.text(name, value);
            }
        }
        if let Some((bytes, name, mime)) = self.file {
            form = form.part(
                "file",
                Part::bytes(bytes).file_name(name).mime_str(mime).unwrap(),
            );
        }
        form
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Another server on the same database and object storage: a replica of the fleet.
    pub async fn spawn_replica(&self) -> TestServer {
        TestServer::start(self.config.clone())
            .await
            .expect("the replica starts")
    }

    pub async fn create(&self, form: PostForm) -> reqwest::Response {
        self.client
            .post(self.url("/post"))
            .multipart(form.into_multipart())
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a post that must succeed; returns its JSON.
    pub async fn create_ok(&self, title: &str) -> Value {
        let response = self.create(PostForm::new(title, "some text")).await;
        assert_eq!(response.status(), 201, "create {title:?}");
        response.json().await.unwrap()
    }

    pub async fn vote(&self, post_id: i64, change: i64) -> reqwest::Response {
        self.client
            .post(self.url("/update-post-score"))
            .json(&serde_json::json!({"post_id": post_id, "score_increase": change}))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Deletes a post this test created, with the delete token its creation answered.
    pub async fn delete_created(&self, created: &Value) -> reqwest::Response {
        self.client
            .delete(self.url(&format!("/post/{}", created["id"])))
            .bearer_auth(created["delete_token"].as_str().expect("a created post"))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM posts")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }
}

/// The ids of a list of posts, in order.
pub fn ids(posts: &Value) -> Vec<i64> {
    posts
        .as_array()
        .expect("a list of posts")
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

/// A created post as every other response shows it: without its delete token.
pub fn as_listed(created: &Value) -> Value {
    let mut post = created.clone();
    let fields = post.as_object_mut().unwrap();
    let token = fields.remove("delete_token");
    assert!(
        token.is_some(),
        "a created post carries its delete token: {created}"
    );
    assert_eq!(
        fields.remove("state"),
        Some(Value::from("visible")),
        "{created}"
    );
    post
}

/// Asserts the contract's error body and status; returns the user message.
pub async fn assert_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status, "status");
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response has X-Request-Id"
    );
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json", "error bodies are JSON");
    let body: Value = response.json().await.unwrap();
    let detail = body["detail"]
        .as_object()
        .unwrap_or_else(|| panic!("no detail in {body}"));
    assert_eq!(detail.len(), 2, "detail has exactly two fields: {body}");
    let user = detail["user_message"].as_str().unwrap();
    let internal = detail["internal_message"].as_str().unwrap();
    assert!(user.ends_with('.'), "user_message is a sentence: {user:?}");
    assert!(!internal.is_empty());
    for secret in [
        S3_SECRET_KEY,
        "password",
        "SELECT ",
        "INSERT ",
        "postgres://",
    ] {
        assert!(
            !internal.contains(secret),
            "internal_message leaks {secret:?}: {internal}"
        );
    }
    user.to_owned()
}

/// A fresh database of its own, dropped (even after a failed test) when the test ends.
pub struct TestDatabase {
    pub pool: PgPool,
    name: String,
    admin_url: String,
}

impl TestDatabase {
    fn admin_url() -> String {
        std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
    }

    async fn create() -> Self {
        let admin_url = Self::admin_url();
        let name = format!("postboard_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL answers at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)");
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .unwrap();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect(&with_database(&admin_url, &name))
            .await
            .unwrap();
        Self {
            pool,
            name,
            admin_url,
        }
    }

    /// The PostgreSQL server's address, to put a proxy in front of.
    fn server_addr(&self) -> SocketAddr {
        let options = self.pool.connect_options();
        let host = options.get_host();
        let host = if host.starts_with('/') || host == "localhost" {
            "127.0.0.1"
        } else {
            host
        };
        std::net::ToSocketAddrs::to_socket_addrs(&(host, options.get_port()))
            .unwrap_or_else(|e| panic!("resolve {host}: {e}"))
            .next()
            .unwrap()
    }

    /// The URL of this database through `addr` (a proxy).
    fn url_via(&self, addr: SocketAddr) -> String {
        let options = self.pool.connect_options();
        let user = options.get_username();
        let mut url = reqwest::Url::parse(&with_database(&self.admin_url, &self.name)).unwrap();
        url.set_host(Some(&addr.ip().to_string())).unwrap();
        url.set_port(Some(addr.port())).unwrap();
        url.set_username(user).unwrap();
        url.to_string()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async; a thread of its own may block on a small runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin
                        .execute(
                            format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

fn with_database(url: &str, database: &str) -> String {
    let mut url = reqwest::Url::parse(url).unwrap();
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// An S3 server (s3s-fs on a temporary folder, SigV4 checked) on a loopback port.
pub struct S3Server {
    pub addr: SocketAddr,
    pub root: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

impl S3Server {
    async fn start() -> Self {
        let root = tempfile::tempdir().unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(
            S3_ACCESS_KEY,
            S3_SECRET_KEY,
        ));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
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
            }
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
    async fn start(target: SocketAddr) -> Self {
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

/// A real, decodable 2×2 PNG whose pixels depend on `seed` (so different seeds differ).
pub fn png(seed: u8) -> Vec<u8> {
    let (width, height) = (2u32, 2u32);
    let mut raw = Vec::new();
    for _ in 0..height {
        // Each row: filter byte 0 (none), then RGBA pixels.
        let pixels = (0..width).flat_map(|x| [seed, x as u8 * 100, 255 - seed, 255]);
        raw.extend(std::iter::once(0).chain(pixels));
    }
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    push_chunk(&mut png, b"IHDR", &ihdr);
    push_chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    push_chunk(&mut png, b"IEND", &[]);
    png
}

/// A PNG that claims `width`×`height` pixels (a decompression bomb's header).
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = png(1);
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    png
}

/// A valid PNG padded after its end to exactly `len` bytes.
pub fn png_of_len(len: usize) -> Vec<u8> {
    let mut png = png(7);
    assert!(len >= png.len());
    png.resize(len, 0);
    png
}

pub const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
/// 1×1 lossless WebP.
pub const WEBP: &[u8] = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00";
/// A real 3×2 baseline JPEG.
pub fn jpeg() -> Vec<u8> {
    crate::image_fixtures::jpeg_of(&crate::image_fixtures::gradient(3, 2), None)
}

fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    assert!(data.len() < 65_536);
    let mut out = vec![0x78, 0x01, 0x01];
    let len = data.len() as u16;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
