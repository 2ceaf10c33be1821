//! Behind the real proxy: Debian's nginx, run with the shipped `deploy/nginx.conf`, in front of
//! two replicas. Refusals the app answers before reading the whole request body (a 429 before
//! the upload is read, a 413 part-way through it) must reach the client as the contract's JSON,
//! never as nginx's 502 (`writev() failed (32: Broken pipe)`), and must not count against
//! `max_fails`: both replicas stay in rotation. A request over nginx's own limit gets JSON too.
//!
//! nginx is looked up on PATH, then at /usr/sbin/nginx; the scripts install it (`ensure_nginx`
//! in scripts/lib.sh). Without it this test fails: it does not skip.

use std::{
    collections::BTreeMap,
    fs,
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use postboard::domain::{RateLimit, TrustedProxies};
use serde_json::Value;

use crate::support::*;

/// The app's image limit in these tests (its whole-request limit is this + 1 MiB).
const MAX_IMAGE_BYTES: usize = 2 << 20;

#[tokio::test]
async fn refusals_before_the_body_is_read_are_json_through_nginx_and_keep_both_replicas() {
    let (app, mut replicas) = spawn_fleet_with(
        |config| {
            config.max_image_bytes = MAX_IMAGE_BYTES;
            // One create per client and hour: the second is a 429, read before the upload.
            config.rate_limit_posts = RateLimit::parse("1/1h").unwrap();
            // nginx is on loopback: its X-Forwarded-For names the client.
            config.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        },
        1,
    )
    .await
    .expect("two replicas start");
    let replica = replicas.remove(0);
    let nginx = Nginx::start(&[&app.address, &replica.address]);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let upload = |client_ip: &str, image: Vec<u8>| {
        client
            .post(nginx.url("/post"))
            .header("x-forwarded-for", client_ip)
            .multipart(
                PostForm::new("a title", "a text")
                    .file(image, "photo.png", "image/png")
                    .into_multipart(),
            )
            .send()
    };

    // The one create this client may make.
    let first = upload("10.1.0.1", png(1)).await.expect("sent");
    assert_eq!(first.status(), 201, "{:?}", first.text().await);

    let mut statuses = BTreeMap::<u16, usize>::new();
    for i in 0..50 {
        let (client_ip, image, expected) = if i % 2 == 0 {
            // Past the rate limit: refused before a byte of the body is read. Mostly a 7 MB
            // photo; every fourth a small one (the app can drain that and keep the connection).
            let size = if i % 4 == 0 { 300_000 } else { 7_000_000 };
            ("10.1.0.1".to_owned(), png_of_len(size), 429)
        } else {
            // A client of its own (within its budget) with an image over MAX_IMAGE_BYTES: the
            // app stops reading at the limit.
            (format!("10.2.0.{i}"), png_of_len(6_000_000), 413)
        };
        let response = upload(&client_ip, image)
            .await
            .unwrap_or_else(|e| panic!("request {i} through nginx: {e}"));
        let status = response.status().as_u16();
        *statuses.entry(status).or_default() += 1;
        if status == 502 {
            continue; // counted, and reported all together below
        }
        assert_eq!(status, expected, "request {i}");
        assert_json_error(response, expected).await;
    }
    assert_eq!(
        statuses,
        BTreeMap::from([(413, 25), (429, 25)]),
        "50 refusals through nginx: 25 × 429 and 25 × 413 in JSON, no 502\n{}",
        nginx.error_log()
    );

    // Over nginx's own client_max_body_size: nginx answers, in the contract's shape.
    let limit = nginx.client_max_body_size();
    let response = client
        .post(nginx.url("/post"))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8; limit as usize + 1])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
    assert_json_error(response, 413).await;

    // Both replicas are still in rotation: GETs after the refusals reach each of them.
    for _ in 0..10 {
        let response = client.get(nginx.url("/health")).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    let after = nginx.access_log();
    let reached: BTreeMap<String, usize> = after
        .iter()
        .filter(|entry| entry.uri == "/health")
        .fold(BTreeMap::new(), |mut counts, entry| {
            *counts.entry(entry.upstream.clone()).or_default() += 1;
            counts
        });
    let replicas: Vec<String> = [&app.address, &replica.address]
        .iter()
        .map(|a| a.trim_start_matches("http://").to_owned())
        .collect();
    assert_eq!(
        reached.keys().cloned().collect::<Vec<_>>(),
        {
            let mut sorted = replicas.clone();
            sorted.sort();
            sorted
        },
        "10 GETs after the refusals reach both replicas: {reached:?}\n{}",
        nginx.error_log()
    );
    // No request was tried on a second replica, and nginx saw no upstream fail.
    assert!(
        after.iter().all(|entry| !entry.upstream.contains(',')),
        "a request went to two replicas: {after:?}"
    );
    // A live stream opens a connection of its own to a replica (its upstream keeps none idle,
    // while the other now has some from the GETs above), so that the replica writes it without
    // hyper's buffers (`http/lean_streams.rs`).
    let ports: Vec<u16> = replicas
        .iter()
        .map(|address| address.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    let connections_before = established_on(&ports);
    let stream = client.get(nginx.url("/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(
        established_on(&ports),
        connections_before + 1,
        "a new connection to a replica for the stream"
    );
    drop(stream);

    // (Its log has the 413 of its own limit, and warnings about bodies buffered to disk; any
    // line about an upstream is a failure: a broken pipe, a reset, `temporarily disabled`...)
    let log = nginx.error_log();
    let upstream_trouble: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("upstream"))
        .collect();
    assert!(
        upstream_trouble.is_empty(),
        "nginx had trouble with a replica:\n{}",
        upstream_trouble.join("\n")
    );
}

/// Established TCP connections whose local port is one of `ports` (the replicas' ends of their
/// clients' connections), from the kernel's tables.
fn established_on(ports: &[u16]) -> usize {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| fs::read_to_string(table).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| {
                    // `sl local_address rem_address st ...`, addresses as HEXIP:HEXPORT, st 01:
                    // established.
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let local_port = fields[1].rsplit(':').next().unwrap();
                    fields[3] == "01"
                        && ports.contains(&u16::from_str_radix(local_port, 16).unwrap())
                })
                .count()
        })
        .sum()
}

/// The contract's error body (API.md): `{"detail": {"user_message", "internal_message"}}`, JSON.
async fn assert_json_error(response: reqwest::Response, status: u16) {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "a {status} in JSON: {body}"
    );
    let body: Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("a {status} in JSON ({e}): {body}"));
    let detail = body["detail"]
        .as_object()
        .unwrap_or_else(|| panic!("no detail in {body}"));
    assert_eq!(detail.len(), 2, "{body}");
    assert!(detail["user_message"].as_str().unwrap().ends_with('.'));
    assert!(!detail["internal_message"].as_str().unwrap().is_empty());
}

/// nginx as a foreground process (`daemon off`), everything of its own in a temporary folder.
struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    client_max_body_size: u64,
}

#[derive(Debug)]
struct AccessEntry {
    uri: String,
    /// The replica's address (`a, b` when nginx tried two; `-` when it answered itself).
    upstream: String,
}

impl Nginx {
    /// Serves `deploy/nginx.conf` on a free port, with `replicas` (`http://host:port`) in place
    /// of the compose services. Panics, saying how to install it, when nginx is missing.
    fn start(replicas: &[&str]) -> Self {
        let binary = nginx_binary();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let shipped =
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx.conf"))
                .unwrap();
        let addresses: Vec<&str> = replicas
            .iter()
            .map(|a| a.trim_start_matches("http://"))
            .collect();
        let (site, client_max_body_size) = for_debian_nginx(&shipped, port, &addresses);
        let d = dir.path().display();
        for temp in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            fs::create_dir(dir.path().join(temp)).unwrap();
        }
        // As root, the workers would switch to `nobody`, who cannot write the temporary folders.
        let user = if fs::metadata("/proc/self").unwrap().uid() == 0 {
            "user root;"
        } else {
            ""
        };
        let conf = format!(
            "daemon off;\nmaster_process on;\nworker_processes 1;\n{user}\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 512; }}\n\
             http {{\n\
             default_type application/octet-stream;\n\
             log_format upstreams '$status $request_uri $upstream_addr';\n\
             access_log {d}/access.log upstreams;\n\
             client_body_temp_path {d}/client_body;\nproxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
             {site}\n}}\n"
        );
        let conf_path = dir.path().join("nginx.conf");
        fs::write(&conf_path, conf).unwrap();
        let stderr = fs::File::create(dir.path().join("stderr.log")).unwrap();
        let child = Command::new(&binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut nginx = Self {
            child,
            port,
            dir,
            client_max_body_size,
        };
        nginx.wait_until_listening();
        nginx
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "nginx exited ({status}):\n{}\n{}",
                    fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default(),
                    self.error_log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "nginx is not listening after 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn client_max_body_size(&self) -> u64 {
        self.client_max_body_size
    }

    fn error_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    fn access_log(&self) -> Vec<AccessEntry> {
        fs::read_to_string(self.dir.path().join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let mut fields = line.splitn(3, ' ').skip(1);
                AccessEntry {
                    uri: fields.next().unwrap_or_default().to_owned(),
                    upstream: fields.next().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM to the master stops its workers too (SIGKILL would leave them running).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx on PATH, else Debian's /usr/sbin/nginx (not on a normal user's PATH).
fn nginx_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("nginx"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_default();
    on_path
        .or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed (looked on PATH and at /usr/sbin/nginx). `make test` \
                 installs it (scripts/lib.sh, ensure_nginx); by hand: \
                 sudo apt-get install -y nginx-light"
            )
        })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `deploy/nginx.conf` as Debian's nginx 1.22 runs it: the shipped file targets nginx ≥ 1.27.3
/// (`resolve` on upstream servers, with its `zone` and `resolver`), which 1.22 refuses. Those
/// lines go, each `server appN:8000` becomes the Nth replica's address, and `listen` a free port.
/// Everything else (limits, error pages, proxy settings) is tested as shipped. Also returns
/// `client_max_body_size` in bytes.
fn for_debian_nginx(shipped: &str, port: u16, replicas: &[&str]) -> (String, u64) {
    let mut site = String::new();
    let mut highest_server = 0;
    let mut max_body = None;
    for line in shipped.lines() {
        let code = line.split('#').next().unwrap().trim();
        if code.starts_with("resolver ") || code.starts_with("zone ") {
            continue;
        }
        if let Some(rest) = code.strip_prefix("server ")
            && rest.contains(":8000")
        {
            // `appN:8000` is the Nth replica.
            let n: usize = rest
                .strip_prefix("app")
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse().ok())
                .expect("upstream servers named appN");
            let address = replicas[n - 1];
            highest_server = highest_server.max(n);
            let parameters: Vec<&str> = rest
                .trim_end_matches(';')
                .split_whitespace()
                .skip(1)
                .filter(|p| *p != "resolve")
                .collect();
            site.push_str(&format!("server {address} {};\n", parameters.join(" ")));
            continue;
        }
        if code == "listen 8000;" {
            site.push_str(&format!("listen 127.0.0.1:{port};\n"));
            continue;
        }
        if let Some(size) = code.strip_prefix("client_max_body_size ") {
            let mib: u64 = size
                .trim_end_matches(';')
                .strip_suffix('m')
                .expect("client_max_body_size in MiB")
                .parse()
                .unwrap();
            max_body = Some(mib << 20);
        }
        site.push_str(line);
        site.push('\n');
    }
    assert_eq!(highest_server, replicas.len(), "a server for each replica");
    (site, max_body.expect("client_max_body_size"))
}

// The mechanism itself, on a raw connection to one server (no proxy): a DELETE without its
// token is a 401 that never looks at the body.

/// The head and body of the next response on `stream` (Content-Length framed).
async fn read_response(stream: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("the response arrives");
        assert!(n > 0, "closed before a response: {received:?}");
        received.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(received[..head_end].to_vec())
        .unwrap()
        .to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .expect("content-length")
        .trim()
        .parse()
        .unwrap();
    let mut body = received[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed in the middle of the body");
        body.extend_from_slice(&chunk[..n]);
    }
    (head, body)
}

#[tokio::test]
async fn a_small_unread_body_is_drained_and_the_connection_kept() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let body = vec![b'x'; 200_000];
    stream
        .write_all(
            format!(
                "DELETE /post/1 HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // The body comes late, after the server has decided: it waits for it (up to 1 s).
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(&body).await.unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(!head.contains("connection: close"), "{head}");

    // The same connection serves the next request.
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_response(&mut stream).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
}

#[tokio::test]
async fn a_large_unread_body_gets_connection_close_and_no_reset() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut reading, mut writing) = stream.into_split();
    let length = 8 << 20;
    // The whole body goes, as a proxy sends it, whatever the server answers meanwhile.
    let sender = tokio::spawn(async move {
        writing
            .write_all(
                format!(
                    "DELETE /post/1 HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
                     Content-Length: {length}\r\n\r\n"
                )
                .as_bytes(),
            )
            .await?;
        writing.write_all(&vec![b'x'; length]).await?;
        Ok::<_, std::io::Error>(writing)
    });
    let mut received = Vec::new();
    // The answer, then the end of the stream: a FIN, not a reset.
    let mut chunk = [0u8; 4096];
    loop {
        match reading.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(error) => panic!("the server reset the connection ({error}) after {received:?}"),
        }
    }
    let text = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 401"), "{text}");
    assert!(text.contains("connection: close"), "{text}");
    assert!(text.contains(r#""detail""#), "{text}");
    // Every byte of the body was taken: sending it never failed.
    sender
        .await
        .unwrap()
        .expect("the whole body was sent without a broken pipe");
}
