//! Hostile or broken input, as a fuzzer or a careless client sends it: each gets a clear
//! error in the contract's shape and changes nothing.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

#[tokio::test]
async fn control_characters_in_text_fields_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (PostForm::new("nul\0title", "text"), "Title"),
        (PostForm::new("title", "bell \u{7} text"), "Text"),
        (
            PostForm::new("title", "text").username("esc\u{1b}[31m"),
            "Username",
        ),
    ];
    for (form, label) in cases {
        let message = assert_error(app.create(form).await, 422).await;
        assert_eq!(
            message,
            format!("{label} must not contain control characters (such as NUL).")
        );
    }
    // Tab, LF and CR are text.
    let ok: Value = app
        .create(PostForm::new("title", "line one\r\nline\ttwo"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ok["post"], "line one\r\nline\ttwo");
    assert_eq!(app.post_count().await, 1);
}

#[tokio::test]
async fn text_that_is_not_utf8_is_refused_not_altered() {
    let app = spawn_app().await;
    for field in ["title", "post", "username"] {
        let mut form = Form::new();
        for name in ["title", "post"] {
            if name != field {
                form = form.text(name, "fine");
            }
        }
        form = form.part(field, Part::bytes(b"caf\xe9 \xff".to_vec()));
        let response = app
            .client
            .post(app.url("/post"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let message = assert_error(response, 400).await;
        assert!(message.ends_with("must be valid UTF-8 text."), "{message}");
    }
    assert_eq!(app.post_count().await, 0);
}

#[tokio::test]
async fn unknown_and_repeated_form_fields_are_refused() {
    let app = spawn_app().await;
    let send = |form: Form| app.client.post(app.url("/post")).multipart(form).send();

    let unknown = Form::new()
        .text("title", "t")
        .text("post", "p")
        .text("titel", "typo");
    let message = assert_error(send(unknown).await.unwrap(), 422).await;
    assert!(message.contains("unknown field \"titel\""), "{message}");

    let repeated = Form::new()
        .text("title", "t")
        .text("post", "p")
        .text("title", "again");
    let message = assert_error(send(repeated).await.unwrap(), 422).await;
    assert!(
        message.contains("\"title\" was sent more than once"),
        "{message}"
    );
    assert_eq!(app.post_count().await, 0);
}

#[tokio::test]
async fn a_huge_text_part_is_refused_once_it_passes_its_cap() {
    let app = spawn_app().await;
    // 5 MB of title: refused after the first 64 KiB, not read whole (the body limit is 11 MiB).
    let response = app.create(PostForm::new(&"x".repeat(5_000_000), "p")).await;
    let message = assert_error(response, 422).await;
    assert_eq!(message, "Title must be at most 100 characters.");
    // The largest valid text, in 4-byte characters, fits under the cap.
    let widest = "🦀".repeat(10_000);
    assert_eq!(app.create(PostForm::new("t", &widest)).await.status(), 201);
    assert_eq!(app.post_count().await, 1);
}

#[tokio::test]
async fn a_vote_body_must_be_an_object_of_the_documented_shape() {
    let app = spawn_app().await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    let send = |body: String| {
        app.client
            .post(app.url("/update-post-score"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        format!("[{id}, 1]"),
        "null".to_owned(),
        "42".to_owned(),
        "\"up\"".to_owned(),
        "true".to_owned(),
    ] {
        let message = assert_error(send(body.clone()).await.unwrap(), 422).await;
        assert_eq!(message, "The request body must be a JSON object.", "{body}");
    }
    let extra = format!(r#"{{"post_id": {id}, "score_increase": 1, "admin": true}}"#);
    assert_error(send(extra).await.unwrap(), 422).await;

    let score: i64 = sqlx::query_scalar("SELECT score FROM posts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(score, 0, "no refused body counted as a vote");
}

#[tokio::test]
async fn a_json_body_over_the_limit_is_413() {
    let app = spawn_app_with(|config| config.max_image_bytes = 1000).await;
    let body = format!(
        r#"{{"post_id": 1, "pad": "{}"}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    let response = app
        .client
        .post(app.url("/update-post-score"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_error(response, 413).await;
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let static_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        static_dir.path().join("index.html"),
        "<!doctype html><title>Postboard</title>",
    )
    .unwrap();
    let dir = static_dir.path().to_owned();
    let app = spawn_app_with(move |config| {
        config.static_dir = dir;
        config.hsts_max_age = Some(31_536_000);
    })
    .await;
    let hash = sha256_hex(&png(4));
    app.create(PostForm::new("t", "p").file(png(4), "a.png", "image/png"))
        .await;

    for path in ["/post", "/health", "/nope.json", &format!("/image/{hash}")] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(
            headers["strict-transport-security"],
            "max-age=31536000; includeSubDomains"
        );
        assert!(
            !headers.contains_key("content-security-policy"),
            "{path}: not HTML"
        );
    }

    for path in ["/", "/docs"] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(
            headers["permissions-policy"]
                .to_str()
                .unwrap()
                .contains("camera=()")
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }

    // Off unless configured: plain HTTP must not pin browsers to HTTPS.
    let plain = spawn_app().await;
    assert!(
        !plain
            .get("/health")
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
}

#[tokio::test]
async fn a_clients_request_id_is_kept_only_when_short_and_plain() {
    let app = spawn_app().await;
    let send = |id: String| {
        app.client
            .get(app.url("/health"))
            .header("x-request-id", id)
            .send()
    };
    let kept = send("trace-abc_123.4:5".into()).await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-abc_123.4:5");
    let at_limit = "a".repeat(64);
    assert_eq!(
        send(at_limit.clone()).await.unwrap().headers()["x-request-id"],
        at_limit.as_str()
    );

    for bad in [
        "a".repeat(65),
        "a".repeat(5000),
        "<script>".into(),
        "a b".into(),
    ] {
        let response = send(bad.clone()).await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "a new id replaces {bad:?}: {id}"
        );
    }
}

/// Sends `head` and `body` on a raw connection, then waits for the answer.
async fn raw_request(app: &TestApp, head: String, body: &[u8]) -> (String, Duration) {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_and_changes_nothing() {
    let app = spawn_app_with(|config| {
        config.body_idle_timeout = Duration::from_millis(500);
        config.body_timeout = Duration::from_secs(5);
    })
    .await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();

    // A vote whose JSON body promises 100 bytes and sends 10.
    let head =
        "POST /update-post-score HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\n"
            .to_owned();
    let (answer, waited) = raw_request(&app, head, format!("{{\"post_id\":{id}").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"user_message\""), "error shape: {answer}");
    assert!(waited < Duration::from_secs(3), "took {waited:?}");

    // A post whose multipart body stops half-way.
    let boundary = "XYZ";
    let head = format!(
        "POST /post HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: 10000\r\nConnection: close\r\n\r\n"
    );
    let part = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--{boundary}\r\n"
    );
    let (answer, _) = raw_request(&app, head, part.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    assert_eq!(app.post_count().await, 1);
    let score: i64 = sqlx::query_scalar("SELECT score FROM posts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(score, 0);
}

/// Slowloris: a client that never finishes its request head, or connects and sends nothing,
/// is disconnected after the header deadline, and so is a keep-alive connection left idle. A
/// live event stream, a response in progress, stays open past it.
#[tokio::test]
async fn connections_that_send_no_whole_request_head_are_closed() {
    let deadline = Duration::from_millis(500);
    let app = spawn_app_with(|config| config.header_timeout = deadline).await;
    let address = app.address.trim_start_matches("http://");
    let mut events = EventStream::connect(&app.address, None).await;

    let mut half_a_head = tokio::net::TcpStream::connect(address).await.unwrap();
    half_a_head
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let mut nothing = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut idle_after_a_request = tokio::net::TcpStream::connect(address).await.unwrap();
    idle_after_a_request
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();

    let started = Instant::now();
    // Each is closed (or reset) by the server; only the complete request got an answer.
    for (what, stream, answer_starts) in [
        ("half a head", &mut half_a_head, ""),
        ("nothing", &mut nothing, ""),
        (
            "an idle keep-alive connection",
            &mut idle_after_a_request,
            "HTTP/1.1 200",
        ),
    ] {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .unwrap_or_else(|_| panic!("{what}: the connection was left open"));
        let answer = String::from_utf8_lossy(&answer);
        if answer_starts.is_empty() {
            assert!(read.is_err() || answer.is_empty(), "{what}: {answer}");
        } else {
            assert!(answer.starts_with(answer_starts), "{what}: {answer}");
        }
    }
    let waited = started.elapsed();
    assert!(
        waited >= deadline - Duration::from_millis(100) && waited < deadline * 6,
        "closed after {waited:?}"
    );

    // Well past the deadline, the event stream still delivers.
    let id = app.create_ok("still live").await["id"].as_i64().unwrap();
    let post = events.next_of("post", Duration::from_secs(5)).await;
    assert_eq!(post.data["id"], id);
}

/// RFC 9112 §3.2: exactly one `Host` on HTTP/1.1, else 400 in the error shape; HTTP/1.0 may
/// leave it out.
#[tokio::test]
async fn a_request_needs_exactly_one_host_header() {
    let app = spawn_app().await;
    for (what, head, message) in [
        (
            "two Host headers",
            "GET /post HTTP/1.1\r\nHost: test\r\nHost: elsewhere\r\nConnection: close\r\n\r\n",
            "The request has more than one Host header.",
        ),
        (
            "no Host header",
            "GET /post HTTP/1.1\r\nConnection: close\r\n\r\n",
            "The request has no Host header.",
        ),
    ] {
        let (answer, _) = raw_request(&app, head.to_owned(), b"").await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{what}: {answer}");
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: {answer}"));
        assert_eq!(body["detail"]["user_message"], message, "{what}");
    }
    let (answer, _) = raw_request(&app, "GET /post HTTP/1.0\r\n\r\n".to_owned(), b"").await;
    assert!(
        answer.starts_with("HTTP/1.0 200"),
        "HTTP/1.0 without Host: {answer}"
    );
}

/// What hyper refuses before the app sees a request (a malformed head, a huge request target,
/// too many headers) still gets the error body, and the connection is closed.
#[tokio::test]
async fn requests_the_http_parser_refuses_get_the_error_shape() {
    let app = spawn_app().await;
    let many_headers: String = (0..200).map(|i| format!("X-Header-{i}: {i}\r\n")).collect();
    for (what, head, status, message) in [
        (
            "a header line without a colon",
            "GET /post HTTP/1.1\r\nHost: test\r\nno colon here\r\n\r\n".to_owned(),
            "400",
            "The request could not be read as HTTP.",
        ),
        (
            "a request target of 70 000 bytes",
            format!("GET /{} HTTP/1.1\r\nHost: test\r\n\r\n", "a".repeat(70_000)),
            "414",
            "The request's address is too long.",
        ),
        (
            "200 headers",
            format!("GET /post HTTP/1.1\r\nHost: test\r\n{many_headers}\r\n"),
            "431",
            "The request's headers are too large.",
        ),
    ] {
        let (answer, _) = raw_request(&app, head, b"").await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{what}: {answer}"
        );
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("\r\ncontent-type: application/json\r\n"),
            "{what}: {head}"
        );
        assert!(head.contains("\r\nconnection: close\r\n"), "{what}: {head}");
        let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: {answer}"));
        assert_eq!(body["detail"]["user_message"], message, "{what}");
    }
    // The server is none the worse.
    assert_eq!(app.get("/post").await.status(), 200);
}
