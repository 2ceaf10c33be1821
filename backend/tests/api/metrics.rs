//! `GET /metrics` (Prometheus text) on the listener of `METRICS_ADDR`: requests by route
//! template and status, the pool, the live clients, object storage and the rate limits; never
//! on the public port; off unless configured.

use std::time::Duration;

use postboard::domain::RateLimit;
use serde_json::Value;

use crate::support::*;

pub fn with_metrics(config: &mut postboard::config::Config) {
    config.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
}

pub async fn scrape(metrics_address: &str) -> String {
    let response = reqwest::get(format!("{metrics_address}/metrics"))
        .await
        .expect("the metrics listener answers");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

/// The value of the series written exactly `series` (name and labels), if it is there.
pub fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().expect("a number"))
}

fn assert_series(text: &str, series: &str, expected: impl Fn(f64) -> bool) {
    match value(text, series) {
        Some(found) => assert!(expected(found), "{series} is {found} in:\n{text}"),
        None => panic!("no {series} in:\n{text}"),
    }
}

#[tokio::test]
async fn the_metrics_listener_counts_requests_by_route_template_and_reports_the_replica() {
    let app = spawn_app_with(|config| {
        with_metrics(config);
        config.rate_limit_votes = RateLimit::parse("1/1m").unwrap();
    })
    .await;
    let metrics = app.metrics_address.clone().expect("a metrics listener");
    assert_ne!(metrics, app.address, "a port of its own");

    let mut events = EventStream::connect(&app.address, None).await;
    let response = app
        .create(PostForm::new("with image", "text").file(png(3), "a.png", "image/png"))
        .await;
    assert_eq!(response.status(), 201);
    let post: Value = response.json().await.unwrap();
    let id = post["id"].as_i64().unwrap();
    let hash = post["image_hash"].as_str().unwrap().to_owned();
    events.next_of("post", Duration::from_secs(5)).await;

    assert_eq!(app.get(&format!("/image/{hash}")).await.status(), 200);
    assert_eq!(
        app.get(&format!("/image/{hash}?width=320")).await.status(),
        200
    );
    let missing = "0".repeat(64);
    assert_eq!(app.get(&format!("/image/{missing}")).await.status(), 404);
    assert_eq!(app.get("/no/such/route").await.status(), 404);
    assert_eq!(app.vote(id, 1).await.status(), 200);
    assert_eq!(app.vote(id, 1).await.status(), 429);

    let text = scrape(&metrics).await;
    let requests = |method: &str, route: &str, status: u16| {
        format!(
            r#"postboard_http_requests_total{{method="{method}",route="{route}",status="{status}"}}"#
        )
    };
    assert_series(&text, &requests("GET", "/image/{hash}", 200), |n| n == 2.0);
    assert_series(&text, &requests("GET", "/image/{hash}", 404), |n| n == 1.0);
    assert_series(&text, &requests("POST", "/post", 201), |n| n == 1.0);
    assert_series(&text, &requests("POST", "/update-post-score", 200), |n| {
        n == 1.0
    });
    assert_series(&text, &requests("POST", "/update-post-score", 429), |n| {
        n == 1.0
    });
    assert_series(&text, &requests("GET", "/events", 200), |n| n == 1.0);
    assert_series(&text, &requests("GET", "unmatched", 404), |n| n == 1.0);
    assert!(
        !text.contains(&hash) && !text.contains(&missing) && !text.contains("/no/such"),
        "raw paths never become labels:\n{text}"
    );
    assert!(
        text.contains(
            r#"postboard_http_request_duration_seconds_bucket{method="GET",route="/image/{hash}",status="200",le="+Inf"} 2"#
        ),
        "a latency histogram per route and status:\n{text}"
    );

    assert_series(&text, "postboard_sse_clients", |n| n == 1.0);
    assert_series(&text, "postboard_sse_events_sent_total", |n| n >= 1.0);
    assert_series(&text, "postboard_db_pool_max_connections", |n| n == 8.0);
    assert_series(&text, "postboard_db_pool_connections", |n| n >= 1.0);
    assert_series(&text, "postboard_db_pool_idle_connections", |n| n >= 0.0);
    assert_series(&text, "postboard_db_pool_waiting", |n| n == 0.0);
    assert_series(&text, "postboard_db_pool_wait_seconds_count", |n| n >= 1.0);
    assert_series(
        &text,
        r#"postboard_rate_limit_refusals_total{scope="votes"}"#,
        |n| n == 1.0,
    );
    assert_series(
        &text,
        r#"postboard_rate_limit_refusals_total{scope="posts"}"#,
        |n| n == 0.0,
    );
    for operation in ["put_object", "head_object", "head_bucket"] {
        assert_series(
            &text,
            &format!(r#"postboard_s3_request_duration_seconds_count{{operation="{operation}"}}"#),
            |n| n >= 1.0,
        );
    }
    // Every error series exists from the start, and a missing object is no S3 error.
    for kind in ["unavailable", "refused"] {
        assert_series(
            &text,
            &format!(r#"postboard_s3_errors_total{{operation="head_object",kind="{kind}"}}"#),
            |n| n == 0.0,
        );
    }
    assert_series(
        &text,
        r#"postboard_rate_limit_refusals_total{scope="reports"}"#,
        |n| n == 0.0,
    );
    assert_series(&text, "postboard_image_cache_hits_total", |n| n >= 1.0);
    // Sizes are the cache's running figures, which catch up with inserts within moments.
    assert_series(&text, "postboard_image_cache_entries", |n| n >= 0.0);
    assert_series(&text, "postboard_image_cache_capacity_bytes", |n| {
        n == 64.0 * 1024.0 * 1024.0
    });
    assert_series(&text, "postboard_image_variants_made_total", |n| n == 1.0);

    // The client leaves: the gauge follows.
    drop(events);
    let mut clients = None;
    for _ in 0..50 {
        clients = value(&scrape(&metrics).await, "postboard_sse_clients");
        if clients == Some(0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(clients, Some(0.0));

    // Only /metrics there, and never on the public port.
    let other = reqwest::get(format!("{metrics}/post")).await.unwrap();
    assert_eq!(other.status(), 404);
    assert_error(app.get("/metrics").await, 404).await;
}

#[tokio::test]
async fn without_metrics_addr_nothing_listens_and_the_public_port_has_no_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.config.metrics_addr, None);
    assert_eq!(app.metrics_address, None, "no second listener");
    assert_error(app.get("/metrics").await, 404).await;
}

#[tokio::test]
async fn each_replica_reports_its_own_figures_and_its_listener_stops_with_it() {
    let (app, mut replicas) = spawn_fleet_with(with_metrics, 1).await.unwrap();
    let replica = replicas.remove(0);
    let (ours, theirs) = (
        app.metrics_address.clone().unwrap(),
        replica.metrics_address.clone().unwrap(),
    );
    assert_ne!(ours, theirs);

    assert_eq!(app.get("/post").await.status(), 200);
    let series = r#"postboard_http_requests_total{method="GET",route="/post",status="200"}"#;
    assert_eq!(value(&scrape(&ours).await, series), Some(1.0));
    assert_eq!(
        value(&scrape(&theirs).await, series),
        None,
        "the other replica (another app in this process) served no request"
    );

    replica.stop().await;
    assert!(
        reqwest::get(format!("{theirs}/metrics")).await.is_err(),
        "the metrics listener closed with its server"
    );
    assert_eq!(value(&scrape(&ours).await, series), Some(1.0));
}
