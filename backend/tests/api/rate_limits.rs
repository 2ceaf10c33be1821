//! Rate limits per client (API.md, "Rate limits"): each limit at its edge, `Retry-After`,
//! `off`, who the client is behind proxies, IPv6 /64 grouping, one budget across replicas, and
//! no raw address in the database (the logs: tests/logs.rs).

use std::time::{Duration, Instant};

use postboard::{
    config::Config,
    domain::{RateLimit, TrustedProxies},
};
use serde_json::Value;

use crate::support::*;

fn limits(posts: &'static str, votes: &'static str) -> impl FnOnce(&mut Config) {
    move |config| {
        config.rate_limit_posts = RateLimit::parse(posts).unwrap();
        config.rate_limit_votes = RateLimit::parse(votes).unwrap();
    }
}

fn behind_proxies(
    proxies: &'static str,
    posts: &'static str,
    votes: &'static str,
) -> impl FnOnce(&mut Config) {
    move |config| {
        limits(posts, votes)(config);
        config.trusted_proxies = TrustedProxies::parse(proxies).unwrap();
    }
}

async fn create_from(
    app: &TestApp,
    forwarded_for: Option<&str>,
    form: PostForm,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/post"))
        .multipart(form.into_multipart());
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    request.send().await.expect("request sent")
}

async fn vote_from(app: &TestApp, forwarded_for: Option<&str>, post_id: i64) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/update-post-score"))
        .json(&serde_json::json!({"post_id": post_id, "score_increase": 1}));
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    request.send().await.expect("request sent")
}

/// Status of a create without image from `forwarded_for`.
async fn post_status(app: &TestApp, forwarded_for: Option<&str>) -> u16 {
    create_from(app, forwarded_for, PostForm::new("t", "p"))
        .await
        .status()
        .as_u16()
}

async fn vote_status(app: &TestApp, forwarded_for: Option<&str>, post_id: i64) -> u16 {
    vote_from(app, forwarded_for, post_id)
        .await
        .status()
        .as_u16()
}

/// Checks a 429: the error shape, the message, and `Retry-After` (returned).
async fn assert_limited(response: reqwest::Response, doing: &str) -> u64 {
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .expect("a 429 has Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is whole seconds");
    assert!(retry_after >= 1);
    let message = assert_error(response, 429).await;
    assert!(
        message.starts_with(&format!("You are {doing} too often. Please try again in ")),
        "{message}"
    );
    retry_after
}

async fn score(app: &TestApp, post_id: i64) -> i64 {
    sqlx::query_scalar("SELECT score FROM posts WHERE id = $1")
        .bind(post_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

async fn limit_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM rate_limits")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn creates_past_the_limit_are_429_with_retry_after_and_store_nothing() {
    let app = spawn_app_with(limits("3/10m", "off")).await;
    let first = create_from(
        &app,
        None,
        PostForm::new("a", "p").file(png(1), "a.png", "image/png"),
    )
    .await;
    assert_eq!(first.status(), 201);
    assert_eq!(post_status(&app, None).await, 201);
    assert_eq!(post_status(&app, None).await, 201);

    // The fourth, with a new image: refused, and neither row nor object is stored.
    let refused = create_from(
        &app,
        None,
        PostForm::new("d", "p").file(png(2), "d.png", "image/png"),
    )
    .await;
    let retry_after = assert_limited(refused, "posting").await;
    // Three in a burst used the whole budget; the next one is due a third of 10 minutes
    // after the first, i.e. in (almost) 200 s, rounded up.
    assert!((190..=200).contains(&retry_after), "{retry_after}");
    assert_eq!(app.post_count().await, 3);
    assert_eq!(
        app.s3.objects("images").len(),
        1,
        "the refused image was not uploaded"
    );

    // The check comes before the form is read: a broken form is refused the same way.
    let broken = create_from(&app, None, PostForm::new("", "")).await;
    assert_limited(broken, "posting").await;

    // Votes have a budget of their own (off here).
    let post: Value = first.json().await.unwrap();
    assert_eq!(
        vote_status(&app, None, post["id"].as_i64().unwrap()).await,
        200
    );
    assert_eq!(app.post_count().await, 3);
}

#[tokio::test]
async fn votes_past_the_limit_are_429_and_change_no_score() {
    let app = spawn_app_with(limits("off", "3/1m")).await;
    let id = app.create_ok("popular").await["id"].as_i64().unwrap();
    let other = app.create_ok("other").await["id"].as_i64().unwrap();
    for _ in 0..3 {
        assert_eq!(vote_status(&app, None, id).await, 200);
    }
    let retry_after = assert_limited(vote_from(&app, None, id).await, "voting").await;
    assert!(
        (19..=20).contains(&retry_after),
        "a third of a minute: {retry_after}"
    );
    // The budget is the client's, not the post's.
    assert_limited(vote_from(&app, None, other).await, "voting").await;
    assert_eq!(score(&app, id).await, 3, "the refused vote did not count");
    assert_eq!(score(&app, other).await, 0);
    // Creates are not limited here.
    assert_eq!(post_status(&app, None).await, 201);
}

#[tokio::test]
async fn waiting_for_retry_after_is_enough() {
    let app = spawn_app_with(limits("off", "1/1s")).await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    assert_eq!(vote_status(&app, None, id).await, 200);
    let retry_after = assert_limited(vote_from(&app, None, id).await, "voting").await;
    assert_eq!(retry_after, 1, "less than a second, rounded up");
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert_eq!(vote_status(&app, None, id).await, 200);
    assert_eq!(score(&app, id).await, 2);
}

#[tokio::test]
async fn off_means_no_limit_and_no_state() {
    let app = spawn_app_with(limits("off", "off")).await;
    // More than the default budget of creates (20 per 10 minutes).
    for _ in 0..25 {
        assert_eq!(post_status(&app, None).await, 201);
    }
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    for _ in 0..30 {
        assert_eq!(vote_status(&app, None, id).await, 200);
    }
    assert_eq!(limit_rows(&app).await, 0, "no statement ran");
}

#[tokio::test]
async fn the_defaults_are_on() {
    let config = Config::from_lookup(|_| None).unwrap();
    assert_eq!(config.rate_limit_posts.to_string(), "20/10m");
    assert_eq!(config.rate_limit_votes.to_string(), "300/1m");
    // With the server's defaults (spawn_app turns them off for the other tests).
    let app = spawn_app_with(|config| {
        let defaults = Config::from_lookup(|_| None).unwrap();
        config.rate_limit_posts = defaults.rate_limit_posts;
        config.rate_limit_votes = defaults.rate_limit_votes;
    })
    .await;
    for _ in 0..20 {
        assert_eq!(post_status(&app, None).await, 201);
    }
    assert_limited(
        create_from(&app, None, PostForm::new("t", "p")).await,
        "posting",
    )
    .await;
}

#[tokio::test]
async fn each_client_behind_a_trusted_proxy_has_its_own_budget() {
    // The test client connects from 127.0.0.1: the trusted proxy.
    let app = spawn_app_with(behind_proxies("127.0.0.0/8", "1/1h", "off")).await;
    assert_eq!(post_status(&app, Some("203.0.113.5")).await, 201);
    assert_eq!(
        post_status(&app, Some("203.0.113.6")).await,
        201,
        "another client"
    );
    assert_eq!(post_status(&app, Some("203.0.113.5")).await, 429);
    // What the client wrote on the left is not believed...
    assert_eq!(
        post_status(&app, Some("198.51.100.1, 203.0.113.5")).await,
        429
    );
    // ... and trusted hops on the right are skipped, over repeated headers too.
    assert_eq!(post_status(&app, Some("203.0.113.5, 127.0.0.2")).await, 429);
    let repeated = app
        .client
        .post(app.url("/post"))
        .header("x-forwarded-for", "203.0.113.5")
        .header("x-forwarded-for", "127.0.0.3")
        .multipart(PostForm::new("t", "p").into_multipart())
        .send()
        .await
        .unwrap();
    assert_eq!(repeated.status(), 429);
    // No header: the proxy itself is the client, with a budget of its own.
    assert_eq!(post_status(&app, None).await, 201);
    // A header that cannot be read: the proxy again (its budget is used up now).
    assert_eq!(post_status(&app, Some("not an address")).await, 429);
    assert_eq!(post_status(&app, Some("203.0.113.7:4711")).await, 429);
    assert_eq!(app.post_count().await, 3);
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(behind_proxies("10.0.0.0/8", "1/1h", "off")).await;
    assert_eq!(post_status(&app, Some("203.0.113.5")).await, 201);
    assert_eq!(
        post_status(&app, Some("203.0.113.6")).await,
        429,
        "one peer, one budget"
    );
    assert_eq!(post_status(&app, None).await, 429);
}

#[tokio::test]
async fn ipv6_clients_share_a_budget_per_64() {
    let app = spawn_app_with(behind_proxies("127.0.0.1", "off", "1/1h")).await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    assert_eq!(vote_status(&app, Some("2001:db8:1:2::1"), id).await, 200);
    assert_eq!(
        vote_status(&app, Some("2001:db8:1:2:ffff:eeee:dddd:9"), id).await,
        429
    );
    assert_eq!(
        vote_status(&app, Some("2001:db8:1:3::1"), id).await,
        200,
        "the next /64"
    );
    // IPv4-mapped IPv6 is the IPv4 address.
    assert_eq!(vote_status(&app, Some("::ffff:203.0.113.9"), id).await, 200);
    assert_eq!(vote_status(&app, Some("203.0.113.9"), id).await, 429);
    assert_eq!(score(&app, id).await, 3);
}

#[tokio::test]
async fn one_budget_across_replicas() {
    let app = spawn_app_with(limits("2/10m", "off")).await;
    let replica = app.spawn_replica().await;
    let on_replica = || {
        app.client
            .post(replica.url("/post"))
            .multipart(PostForm::new("t", "p").into_multipart())
            .send()
    };
    assert_eq!(post_status(&app, None).await, 201);
    assert_eq!(on_replica().await.unwrap().status(), 201);
    assert_eq!(post_status(&app, None).await, 429);
    assert_limited(on_replica().await.unwrap(), "posting").await;
    assert_eq!(app.post_count().await, 2);
}

#[tokio::test]
async fn concurrent_requests_never_pass_the_limit() {
    let app = spawn_app_with(limits("off", "5/1m")).await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    let replica = app.spawn_replica().await;
    let votes = (0..24).map(|i| {
        let url = if i % 2 == 0 {
            app.url("/update-post-score")
        } else {
            replica.url("/update-post-score")
        };
        app.client
            .post(url)
            .json(&serde_json::json!({"post_id": id, "score_increase": 1}))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(votes)
        .await
        .into_iter()
        .map(|response| response.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(score(&app, id).await, 5);
}

#[tokio::test]
async fn expired_rows_are_deleted_now_and_then() {
    let app = spawn_app_with(limits("off", "10/1m")).await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    sqlx::query(
        "INSERT INTO rate_limits (scope, client_key, tat) VALUES
         ('votes', decode(repeat('aa', 32), 'hex'), now() - interval '1 second'),
         ('posts', decode(repeat('bb', 32), 'hex'), now() + interval '1 hour')",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    // A replica's first limited request starts a purge, in the background.
    assert_eq!(vote_status(&app, None, id).await, 200);
    let started = Instant::now();
    loop {
        let expired: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM rate_limits WHERE client_key = decode(repeat('aa', 32), 'hex')",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        if expired == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never purged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(limit_rows(&app).await, 2, "the live rows stay");
}

/// Everything PostgreSQL holds, as text: every row of every table of the schema.
async fn whole_database_as_text(app: &TestApp) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(tables.contains(&"rate_limits".to_owned()), "{tables:?}");
    let mut text = String::new();
    for table in tables {
        let rows: Option<String> = sqlx::query_scalar(&format!(
            r#"SELECT string_agg(t::text, E'\n') FROM "{table}" t"#
        ))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        text.push_str(&rows.unwrap_or_default());
        text.push('\n');
    }
    text
}

#[tokio::test]
async fn the_database_holds_no_client_address() {
    let app = spawn_app_with(behind_proxies("127.0.0.1", "10/1m", "10/1m")).await;
    let id = app.create_ok("p").await["id"].as_i64().unwrap();
    assert_eq!(post_status(&app, Some("203.0.113.77")).await, 201);
    assert_eq!(vote_status(&app, Some("203.0.113.77"), id).await, 200);
    assert_eq!(vote_status(&app, Some("2001:db8:77:1::77"), id).await, 200);
    assert_eq!(vote_status(&app, None, id).await, 200);
    assert_eq!(
        limit_rows(&app).await,
        5,
        "posts: 2 clients, votes: 3 clients"
    );

    let keys: Vec<Vec<u8>> = sqlx::query_scalar("SELECT client_key FROM rate_limits")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert!(keys.iter().all(|key| key.len() == 32), "keyed hashes only");
    let everything = whole_database_as_text(&app).await;
    for address in [
        "203.0.113.77",
        "cb00714d", // its bytes, as bytea text shows them
        "2001:db8:77",
        "20010db8007700", // the /64's bytes
        "127.0.0.1",
        "7f000001",
    ] {
        assert!(
            !everything.contains(address),
            "the database holds {address}"
        );
    }
}
