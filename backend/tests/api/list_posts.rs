use std::collections::HashSet;

use serde_json::Value;

use crate::support::*;

/// The `rel="next"` URL of a response, if any.
fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().unwrap();
    let url = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(url.to_owned())
}

#[tokio::test]
async fn an_empty_board_is_an_empty_array() {
    let app = spawn_app().await;
    let response = app.get("/post").await;
    assert_eq!(response.status(), 200);
    assert!(next_link(&response).is_none());
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        serde_json::json!([])
    );
}

#[tokio::test]
async fn newest_posts_come_first() {
    let app = spawn_app().await;
    let a = app.create_ok("first").await;
    let b = app.create_ok("second").await;
    let c = app.create_ok("third").await;

    let posts: Value = app.get("/post").await.json().await.unwrap();

    assert_eq!(
        ids(&posts),
        vec![
            c["id"].as_i64().unwrap(),
            b["id"].as_i64().unwrap(),
            a["id"].as_i64().unwrap()
        ]
    );
    assert_eq!(
        posts[0],
        as_listed(&c),
        "listed posts are the created posts, less the delete token"
    );
}

#[tokio::test]
async fn top_orders_by_score_then_newest() {
    let app = spawn_app().await;
    let low = app.create_ok("low").await["id"].as_i64().unwrap();
    let tie_old = app.create_ok("tie old").await["id"].as_i64().unwrap();
    let tie_new = app.create_ok("tie new").await["id"].as_i64().unwrap();
    let best = app.create_ok("best").await["id"].as_i64().unwrap();
    let sunk = app.create_ok("sunk").await["id"].as_i64().unwrap();
    for (id, votes) in [(best, 3), (tie_old, 1), (tie_new, 1), (sunk, -2i64)] {
        for _ in 0..votes.abs() {
            assert_eq!(app.vote(id, votes.signum()).await.status(), 200);
        }
    }
    let posts: Value = app.get("/post?sort=top").await.json().await.unwrap();
    assert_eq!(ids(&posts), vec![best, tie_new, tie_old, low, sunk]);
    let newest: Value = app.get("/post?sort=new").await.json().await.unwrap();
    assert_eq!(ids(&newest), vec![sunk, best, tie_new, tie_old, low]);
}

#[tokio::test]
async fn pages_default_to_fifty_and_link_to_the_next() {
    let app = spawn_app().await;
    for i in 0..51 {
        app.create_ok(&format!("post {i}")).await;
    }
    let first = app.get("/post").await;
    let next = next_link(&first).expect("a next link when more posts exist");
    assert_eq!(
        first
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        50
    );
    let second = app.get(&next).await;
    assert!(
        next_link(&second).is_none(),
        "no next link on the last page"
    );
    let rest: Value = second.json().await.unwrap();
    assert_eq!(rest[0]["title"], "post 0");
    assert_eq!(rest.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn limit_edges() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.create_ok(&format!("p{i}")).await;
    }
    let one: Value = app.get("/post?limit=1").await.json().await.unwrap();
    assert_eq!(one.as_array().unwrap().len(), 1);
    let max: Value = app.get("/post?limit=200").await.json().await.unwrap();
    assert_eq!(max.as_array().unwrap().len(), 3);
    for bad in ["0", "201", "-1"] {
        let message = assert_error(app.get(&format!("/post?limit={bad}")).await, 422).await;
        assert_eq!(message, "Limit must be between 1 and 200.");
    }
    // A malformed query names the parameter at fault, whichever it is.
    let message = assert_error(app.get("/post?limit=ten").await, 400).await;
    assert!(message.contains("limit"), "{message}");
    let message = assert_error(app.get("/post?sort=new&sort=top").await, 400).await;
    assert!(
        message.contains("sort") && !message.contains("limit"),
        "{message}"
    );
    assert_error(app.get("/post?sort=best").await, 422).await;
    assert_error(app.get("/post?cursor=nonsense").await, 422).await;
    assert_error(app.get("/post?cursor=").await, 422).await;
    // A cursor continues its own order, whatever `sort` says.
    assert_eq!(app.get("/post?sort=top&cursor=n12").await.status(), 200);
}

/// Walking the pages while posts are added returns every earlier post exactly once.
#[tokio::test]
async fn paging_is_stable_while_posts_are_added() {
    let app = spawn_app().await;
    let mut original = Vec::new();
    for i in 0..10 {
        original.push(
            app.create_ok(&format!("old {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let mut seen = Vec::new();
    let mut url = "/post?limit=3".to_owned();
    loop {
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200);
        let next = next_link(&response);
        seen.extend(ids(&response.json().await.unwrap()));
        // New posts arrive between page requests.
        app.create_ok("newcomer").await;
        match next {
            Some(next) => url = next,
            None => break,
        }
    }
    original.reverse();
    assert_eq!(seen, original, "every old post once, newest first");
}

#[tokio::test]
async fn top_pages_cover_every_post_once() {
    let app = spawn_app().await;
    let mut all = HashSet::new();
    for i in 0..7 {
        let id = app.create_ok(&format!("p{i}")).await["id"]
            .as_i64()
            .unwrap();
        all.insert(id);
        for _ in 0..(i % 3) {
            app.vote(id, 1).await;
        }
    }
    let mut seen = Vec::new();
    let mut scores = Vec::new();
    let mut url = "/post?sort=top&limit=2".to_owned();
    loop {
        let response = app.get(&url).await;
        let next = next_link(&response);
        let page: Value = response.json().await.unwrap();
        seen.extend(ids(&page));
        scores.extend(
            page.as_array()
                .unwrap()
                .iter()
                .map(|p| p["score"].as_i64().unwrap()),
        );
        match next {
            Some(next) => {
                assert!(next.starts_with("/post?sort=top&limit=2&cursor="), "{next}");
                url = next;
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), all);
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}
