//! `spawn_app()`: the whole server on 127.0.0.1:0, with its own database and S3 bucket, reached
//! through [`TcpProxy`]s so a test can cut either one off; the forms and checks the tests share.

use std::{path::PathBuf, time::Duration};

use postboard::{
    config::{Config, DatabasePooler},
    domain::RateLimit,
    startup::Application,
};
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::sync::oneshot;

use super::*;

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
    spawn_fleet_on(TestDatabase::create().await, adjust, replicas).await
}

/// Like [`spawn_fleet_with`], on the database `db` (of a server of the test's own, say).
pub async fn spawn_fleet_on(
    db: TestDatabase,
    adjust: impl FnOnce(&mut Config),
    replicas: usize,
) -> Result<(TestApp, Vec<TestServer>), postboard::startup::StartupError> {
    init_logs();
    // Through PgBouncer, the proxy stands between the app and PgBouncer: cutting it cuts the
    // app off its pooled connections, as a network fault would.
    let db_target = match pgbouncer::enabled() {
        true => pgbouncer::address(db.server_addr()),
        false => db.server_addr(),
    };
    let db_proxy = TcpProxy::start(db_target).await;
    let s3 = S3Server::start().await;
    let s3_proxy = TcpProxy::start(s3.addr).await;

    let mut config = Config::from_lookup(|_| None).expect("default configuration");
    config.database_url = db.url_via(db_proxy.addr()).into();
    if pgbouncer::enabled() {
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
            postboard::observe::telemetry::init(
                &std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            );
        }
    });
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

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
