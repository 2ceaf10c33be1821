//! Prometheus metrics, served on `METRICS_ADDR` (see `http::metrics` for the listener and the
//! request middleware, docs/configuration.md for the list).
//!
//! Each [`Application`](crate::startup::Application) has a recorder of its own, never installed
//! as the process's global `metrics` recorder: the layers that count something hold a
//! [`Metrics`] handle, which records into that application's registry only. Two apps in one
//! process (the integration tests start dozens side by side, and replicas of a fleet) then
//! never mix their figures, and no `OnceLock` decides which app owns the global. The price: a
//! crate that records through the global macros (`metrics::counter!`) would not show up here;
//! no dependency of Postboard does.
//!
//! Two kinds of figures:
//! - events counted where they happen (requests, S3 calls, waits for a connection, refused
//!   requests), through this handle;
//! - state sampled when scraped ([`Sample`]: the pool's connections, the live clients, the
//!   image cache), from counters the layers keep anyway, so that nothing is counted twice.
//!
//! With `METRICS_ADDR` unset the handle is [`Metrics::disabled`]: every call returns at once.

use std::{sync::Arc, time::Duration};

use ::metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder, Unit};
use axum::http::{Method, StatusCode};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use tokio_util::sync::CancellationToken;

/// Label of requests that matched no route (the app's static files, and unknown paths).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// How often histogram samples are folded into their buckets between scrapes, so that memory
/// stays bounded however rarely (or never) the endpoint is scraped.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Request and S3 call latencies, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Waits for a pooled connection, in seconds (a wait gives up after 3 s).
const POOL_WAIT_BUCKETS: &[f64] = &[
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 3.0,
];

const HTTP_REQUESTS: &str = "postboard_http_requests_total";
const HTTP_DURATION: &str = "postboard_http_request_duration_seconds";
const DB_POOL_WAIT: &str = "postboard_db_pool_wait_seconds";
const S3_DURATION: &str = "postboard_s3_request_duration_seconds";
const S3_ERRORS: &str = "postboard_s3_errors_total";
/// Every operation the image store sends (`storage::image_store`), and every kind of failure
/// (`storage::error`): their error series exist from the start, at 0, so that a `rate()` over
/// them is 0 rather than empty until the first failure.
const S3_OPERATIONS: &[&str] = &[
    "head_bucket",
    "create_bucket",
    "head_object",
    "get_object",
    "put_object",
    "delete_object",
];
const S3_FAILURES: &[&str] = &["unavailable", "refused"];
const RATE_LIMIT_REFUSALS: &str = "postboard_rate_limit_refusals_total";

/// Prometheus' recorder ignores metadata; the `Recorder` trait asks for some.
static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// A handle to one application's metrics (clones share them); cheap to clone and to call.
#[derive(Clone, Default)]
pub struct Metrics {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    db_pool_wait: Histogram,
}

/// The state sampled at every scrape. Counters (`*_total`) only grow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub db_pool_max: usize,
    pub db_pool_open: usize,
    pub db_pool_idle: usize,
    pub db_pool_waiting: usize,
    pub sse_clients: u64,
    pub sse_events_sent_total: u64,
    pub sse_clients_dropped_total: u64,
    pub sse_replay_pages_read_total: u64,
    pub event_listener_reconnects_total: u64,
    pub image_cache_capacity_bytes: u64,
    pub image_cache_bytes: u64,
    pub image_cache_entries: u64,
    pub image_cache_hits_total: u64,
    pub image_cache_misses_total: u64,
    pub image_variants_made_total: u64,
    /// The read replica's, when there is one (`DATABASE_REPLICA_URL`).
    pub replica: Option<ReplicaSample>,
}

/// A read replica's lag and the reads it took.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplicaSample {
    /// `None`: not fresh at all (set aside, or never found fresh).
    pub lag: Option<Duration>,
    pub reads_total: u64,
    /// Reads it failed, or answered "not found", that the primary answered.
    pub reads_moved_total: u64,
}

impl Metrics {
    /// Records nothing.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// A recorder of this application's own, rendering histograms with buckets.
    pub fn prometheus() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(S3_DURATION.into()), LATENCY_BUCKETS)
            })
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(DB_POOL_WAIT.into()), POOL_WAIT_BUCKETS)
            })
            .expect("bucket lists are not empty")
            .build_recorder();
        describe(&recorder);
        let handle = recorder.handle();
        let db_pool_wait =
            recorder.register_histogram(&Key::from_static_name(DB_POOL_WAIT), &METADATA);
        let metrics = Self {
            inner: Some(Arc::new(Inner {
                recorder,
                handle,
                db_pool_wait,
            })),
        };
        // Shown from the start at 0, rather than missing until the first refusal or failure.
        for scope in ["posts", "votes", "reports"] {
            metrics
                .counter(RATE_LIMIT_REFUSALS, vec![Label::new("scope", scope)])
                .increment(0);
        }
        for operation in S3_OPERATIONS {
            for kind in S3_FAILURES {
                let labels = vec![
                    Label::new("operation", *operation),
                    Label::new("kind", *kind),
                ];
                metrics.counter(S3_ERRORS, labels).increment(0);
            }
        }
        metrics
            .gauge(
                "postboard_build_info",
                vec![Label::new("version", env!("CARGO_PKG_VERSION"))],
            )
            .set(1.0);
        metrics
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// One answered request: its route template (`None`: no route matched), method and
    /// status, and the time until its response's head was ready (a streamed body, an image or
    /// a live stream, goes on after that).
    pub fn http_request(
        &self,
        method: &Method,
        route: Option<&str>,
        status: StatusCode,
        elapsed: Duration,
    ) {
        if self.inner.is_none() {
            return;
        }
        let labels = vec![
            Label::new("method", method_label(method)),
            Label::new("route", route.unwrap_or(UNMATCHED_ROUTE).to_owned()),
            Label::new("status", status.as_u16().to_string()),
        ];
        self.counter(HTTP_REQUESTS, labels.clone()).increment(1);
        self.histogram(HTTP_DURATION, labels)
            .record(elapsed.as_secs_f64());
    }

    /// One call to object storage (`operation`: `get_object`, `put_object`, ...), timed to its
    /// answer's head; `failure` is `unavailable` or `refused` when it failed (a "no such key"
    /// is an answer, not a failure).
    pub fn s3_call(
        &self,
        operation: &'static str,
        elapsed: Duration,
        failure: Option<&'static str>,
    ) {
        if self.inner.is_none() {
            return;
        }
        debug_assert!(
            S3_OPERATIONS.contains(&operation) && failure.is_none_or(|f| S3_FAILURES.contains(&f)),
            "S3_OPERATIONS / S3_FAILURES must list {operation} / {failure:?}"
        );
        self.histogram(S3_DURATION, vec![Label::new("operation", operation)])
            .record(elapsed.as_secs_f64());
        if let Some(kind) = failure {
            let labels = vec![Label::new("operation", operation), Label::new("kind", kind)];
            self.counter(S3_ERRORS, labels).increment(1);
        }
    }

    /// The time a caller waited for a connection from the pool (for a free one, or for one to
    /// be opened or checked), whether it got one or gave up.
    pub fn db_pool_wait(&self, elapsed: Duration) {
        if let Some(inner) = &self.inner {
            inner.db_pool_wait.record(elapsed.as_secs_f64());
        }
    }

    /// A request refused by the rate limit of `scope` (`posts`, `votes`).
    pub fn rate_limited(&self, scope: &'static str) {
        if self.inner.is_some() {
            self.counter(RATE_LIMIT_REFUSALS, vec![Label::new("scope", scope)])
                .increment(1);
        }
    }

    /// The Prometheus text exposition of everything, `sample` included; `None` when disabled.
    pub fn render(&self, sample: &Sample) -> Option<String> {
        let inner = self.inner.as_ref()?;
        let gauges: [(&'static str, f64); 8] = [
            (
                "postboard_db_pool_max_connections",
                sample.db_pool_max as f64,
            ),
            ("postboard_db_pool_connections", sample.db_pool_open as f64),
            (
                "postboard_db_pool_idle_connections",
                sample.db_pool_idle as f64,
            ),
            ("postboard_db_pool_waiting", sample.db_pool_waiting as f64),
            ("postboard_sse_clients", sample.sse_clients as f64),
            (
                "postboard_image_cache_capacity_bytes",
                sample.image_cache_capacity_bytes as f64,
            ),
            (
                "postboard_image_cache_bytes",
                sample.image_cache_bytes as f64,
            ),
            (
                "postboard_image_cache_entries",
                sample.image_cache_entries as f64,
            ),
        ];
        for (name, value) in gauges {
            self.gauge(name, Vec::new()).set(value);
        }
        let counters: [(&'static str, u64); 7] = [
            (
                "postboard_sse_events_sent_total",
                sample.sse_events_sent_total,
            ),
            (
                "postboard_sse_clients_dropped_total",
                sample.sse_clients_dropped_total,
            ),
            (
                "postboard_sse_replay_pages_read_total",
                sample.sse_replay_pages_read_total,
            ),
            (
                "postboard_event_listener_reconnects_total",
                sample.event_listener_reconnects_total,
            ),
            (
                "postboard_image_cache_hits_total",
                sample.image_cache_hits_total,
            ),
            (
                "postboard_image_cache_misses_total",
                sample.image_cache_misses_total,
            ),
            (
                "postboard_image_variants_made_total",
                sample.image_variants_made_total,
            ),
        ];
        for (name, value) in counters {
            self.counter(name, Vec::new()).absolute(value);
        }
        if let Some(replica) = sample.replica {
            // Not fresh at all (set aside, or never found fresh): +Inf.
            let lag = replica.lag.map_or(f64::INFINITY, |lag| lag.as_secs_f64());
            self.gauge("postboard_replica_lag_seconds", Vec::new())
                .set(lag);
            self.counter("postboard_replica_reads_total", Vec::new())
                .absolute(replica.reads_total);
            self.counter("postboard_replica_reads_moved_total", Vec::new())
                .absolute(replica.reads_moved_total);
        }
        Some(inner.handle.render())
    }

    /// Folds histogram samples into their buckets every few seconds, until `stop`.
    pub async fn upkeep(self, stop: CancellationToken) {
        let Some(inner) = self.inner else { return };
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => inner.handle.run_upkeep(),
            }
        }
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        match &self.inner {
            Some(inner) => inner
                .recorder
                .register_counter(&Key::from_parts(name, labels), &METADATA),
            None => Counter::noop(),
        }
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        match &self.inner {
            Some(inner) => inner
                .recorder
                .register_gauge(&Key::from_parts(name, labels), &METADATA),
            None => Gauge::noop(),
        }
    }

    fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        match &self.inner {
            Some(inner) => inner
                .recorder
                .register_histogram(&Key::from_parts(name, labels), &METADATA),
            None => Histogram::noop(),
        }
    }
}

/// The method as a label: one of the standard ones, or `other` (a client may send any token
/// as a method, and each label value is a series of its own).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `# HELP` lines (and units) of every metric.
fn describe(recorder: &PrometheusRecorder) {
    use ::metrics::KeyName;
    let help: &[(&'static str, Option<Unit>, &'static str)] = &[
        (
            HTTP_REQUESTS,
            None,
            "Requests answered, by route template, method and status",
        ),
        (
            HTTP_DURATION,
            Some(Unit::Seconds),
            "Time to the head of the response, by route template, method and status",
        ),
        (
            DB_POOL_WAIT,
            Some(Unit::Seconds),
            "Time waited for a database connection from the pool",
        ),
        (
            "postboard_db_pool_max_connections",
            None,
            "DATABASE_MAX_CONNECTIONS",
        ),
        (
            "postboard_replica_lag_seconds",
            Some(Unit::Seconds),
            "How far the read replica is behind the primary, as measured; +Inf while it is set aside",
        ),
        (
            "postboard_replica_reads_total",
            None,
            "Reads of the board the read replica answered",
        ),
        (
            "postboard_replica_reads_moved_total",
            None,
            "Reads the read replica failed (or did not find the post) that the primary then answered",
        ),
        (
            "postboard_db_pool_connections",
            None,
            "Connections the pool holds open",
        ),
        (
            "postboard_db_pool_idle_connections",
            None,
            "Open connections not lent out",
        ),
        (
            "postboard_db_pool_waiting",
            None,
            "Callers waiting for a connection",
        ),
        (
            S3_DURATION,
            Some(Unit::Seconds),
            "Time to the head of object storage's answer, by operation",
        ),
        (
            S3_ERRORS,
            None,
            "Failed object storage calls, by operation and kind (unavailable, refused)",
        ),
        (
            "postboard_sse_clients",
            None,
            "Clients connected to GET /events on this replica",
        ),
        (
            "postboard_sse_events_sent_total",
            None,
            "Events sent to live clients",
        ),
        (
            "postboard_sse_clients_dropped_total",
            None,
            "Live clients dropped for falling behind (they resume with Last-Event-ID)",
        ),
        (
            "postboard_sse_replay_pages_read_total",
            None,
            "Pages of the event log read for clients replayed from the table (shared between clients that replay the same stretch)",
        ),
        (
            "postboard_event_listener_reconnects_total",
            None,
            "Times the LISTEN connection for live events was lost and made again",
        ),
        (
            RATE_LIMIT_REFUSALS,
            None,
            "Requests refused with 429, by scope (posts, votes)",
        ),
        (
            "postboard_image_cache_capacity_bytes",
            Some(Unit::Bytes),
            "IMAGE_CACHE_BYTES (0: off)",
        ),
        (
            "postboard_image_cache_bytes",
            Some(Unit::Bytes),
            "Bytes held by the image cache",
        ),
        (
            "postboard_image_cache_entries",
            None,
            "Objects held by the image cache",
        ),
        (
            "postboard_image_cache_hits_total",
            None,
            "Image reads answered from memory",
        ),
        (
            "postboard_image_cache_misses_total",
            None,
            "Image reads that went to object storage",
        ),
        (
            "postboard_image_variants_made_total",
            None,
            "Scaled copies of images made",
        ),
        ("postboard_build_info", None, "The server's version"),
    ];
    for (name, unit, text) in help {
        let key = KeyName::from_const_str(name);
        if name.ends_with("_total") {
            recorder.describe_counter(key, *unit, (*text).into());
        } else if name.ends_with("_seconds") {
            recorder.describe_histogram(key, *unit, (*text).into());
        } else {
            recorder.describe_gauge(key, *unit, (*text).into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sample {
        Sample {
            db_pool_max: 8,
            db_pool_open: 2,
            db_pool_idle: 1,
            sse_clients: 3,
            sse_events_sent_total: 10,
            ..Sample::default()
        }
    }

    #[test]
    fn a_disabled_handle_records_and_renders_nothing() {
        let metrics = Metrics::disabled();
        metrics.http_request(&Method::GET, Some("/post"), StatusCode::OK, Duration::ZERO);
        metrics.rate_limited("posts");
        assert!(!metrics.is_enabled());
        assert_eq!(metrics.render(&sample()), None);
    }

    #[test]
    fn requests_are_labelled_by_route_template_method_and_status() {
        let metrics = Metrics::prometheus();
        let template = Some("/image/{hash}");
        for _ in 0..2 {
            metrics.http_request(
                &Method::GET,
                template,
                StatusCode::OK,
                Duration::from_millis(3),
            );
        }
        metrics.http_request(
            &Method::from_bytes(b"BREW").unwrap(),
            None,
            StatusCode::NOT_FOUND,
            Duration::ZERO,
        );
        let text = metrics.render(&sample()).unwrap();
        assert!(
            text.contains(r#"postboard_http_requests_total{method="GET",route="/image/{hash}",status="200"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"postboard_http_requests_total{method="other",route="unmatched",status="404"} 1"#
            ),
            "{text}"
        );
        // A histogram with buckets, not a summary.
        assert!(
            text.contains(r#"postboard_http_request_duration_seconds_bucket{method="GET",route="/image/{hash}",status="200",le="0.005"} 2"#),
            "{text}"
        );
        assert!(
            text.contains("# TYPE postboard_http_request_duration_seconds histogram"),
            "{text}"
        );
    }

    #[test]
    fn sampled_state_and_counted_events_are_rendered() {
        let metrics = Metrics::prometheus();
        metrics.rate_limited("votes");
        metrics.s3_call("get_object", Duration::from_millis(2), None);
        metrics.s3_call("put_object", Duration::from_millis(2), Some("unavailable"));
        metrics.db_pool_wait(Duration::from_micros(50));
        let text = metrics.render(&sample()).unwrap();
        for line in [
            "postboard_db_pool_max_connections 8",
            "postboard_db_pool_connections 2",
            "postboard_db_pool_idle_connections 1",
            "postboard_sse_clients 3",
            "postboard_sse_events_sent_total 10",
            r#"postboard_rate_limit_refusals_total{scope="votes"} 1"#,
            r#"postboard_rate_limit_refusals_total{scope="posts"} 0"#,
            r#"postboard_s3_request_duration_seconds_count{operation="get_object"} 1"#,
            r#"postboard_s3_errors_total{operation="put_object",kind="unavailable"} 1"#,
            "postboard_db_pool_wait_seconds_count 1",
            "# HELP postboard_sse_clients Clients connected to GET /events on this replica",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
    }

    #[test]
    fn two_applications_in_one_process_keep_their_own_figures() {
        let (a, b) = (Metrics::prometheus(), Metrics::prometheus());
        a.rate_limited("posts");
        let b_text = b.render(&Sample::default()).unwrap();
        assert!(
            b_text.contains(r#"postboard_rate_limit_refusals_total{scope="posts"} 0"#),
            "{b_text}"
        );
    }
}
