//! `GET /post?q=`: full-text search over title, text and username, best match first, paged
//! like every list.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

async fn create(app: &TestApp, title: &str, text: &str, username: &str) -> i64 {
    let response = app
        .create(PostForm::new(title, text).username(username))
        .await;
    assert_eq!(response.status(), 201, "create {title:?}");
    response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn search(app: &TestApp, q: &str) -> Vec<i64> {
    let response = app
        .client
        .get(app.url("/post"))
        .query(&[("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "search {q:?}");
    ids(&response.json().await.unwrap())
}

#[tokio::test]
async fn finds_title_text_and_username_best_match_first() {
    let app = spawn_app().await;
    let in_text = create(&app, "Evening", "Lights over the harbour tonight", "ann").await;
    let in_title = create(&app, "Harbour at dawn", "Fog and gulls", "ben").await;
    let by_user = create(&app, "Boats", "Sails", "harbour").await;
    let unrelated = create(&app, "Mountains", "Snow", "cat").await;
    let newer_title = create(&app, "Harbour again", "More gulls", "dan").await;

    let found = search(&app, "harbour").await;
    // A title match outranks a text match, which outranks a username match; equal ranks go
    // newest first.
    assert_eq!(found, vec![newer_title, in_title, in_text, by_user]);
    assert!(!found.contains(&unrelated));
    assert_eq!(search(&app, "HARBOUR").await, found, "case is ignored");
}

#[tokio::test]
async fn phrases_exclusions_and_or_follow_web_search_syntax() {
    let app = spawn_app().await;
    let quick = create(&app, "Fox", "the quick brown fox jumps", "ann").await;
    let reversed = create(&app, "Fox too", "brown quick fox sleeps", "ben").await;

    assert_eq!(search(&app, "\"quick brown\"").await, vec![quick]);
    let mut both = search(&app, "quick brown").await;
    both.sort();
    assert_eq!(both, vec![quick, reversed]);
    assert_eq!(search(&app, "fox -sleeps").await, vec![quick]);
    let mut either = search(&app, "jumps or sleeps").await;
    either.sort();
    assert_eq!(either, vec![quick, reversed]);
    assert!(search(&app, "-").await.is_empty(), "no word: no match");
}

#[tokio::test]
async fn accents_and_other_alphabets_are_found() {
    let app = spawn_app().await;
    let german = create(&app, "Müller am Hafen", "Ein Café in Köln", "anna").await;
    let french = create(&app, "Crème brûlée", "À la française", "zoé").await;
    let russian = create(&app, "Привет МИР", "Большой текст", "ivan").await;

    assert_eq!(search(&app, "muller").await, vec![german]);
    assert_eq!(search(&app, "Müller").await, vec![german]);
    assert_eq!(search(&app, "koln cafe").await, vec![german]);
    assert_eq!(search(&app, "creme").await, vec![french]);
    assert_eq!(search(&app, "zoe").await, vec![french]);
    assert_eq!(search(&app, "мир").await, vec![russian]);
    assert_eq!(search(&app, "ТЕКСТ").await, vec![russian]);
}

#[tokio::test]
async fn results_are_keyset_paged_with_link_next() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for n in 0..7 {
        created.push(create(&app, &format!("Harbour post {n}"), "gulls", "ann").await);
    }
    create(&app, "Other", "nothing", "ann").await;

    let mut path = "/post?q=harbour%20gulls&limit=3".to_owned();
    let mut pages = Vec::new();
    loop {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200);
        let next = response
            .headers()
            .get("link")
            .map(|link| link.to_str().unwrap().to_owned());
        pages.push(ids(&response.json().await.unwrap()));
        match next {
            Some(link) => {
                assert!(link.ends_with(">; rel=\"next\""), "{link}");
                assert!(link.contains("q=harbour+gulls"), "the words stay: {link}");
                path = link[1..link.find('>').unwrap()].to_owned();
            }
            None => break,
        }
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 1]
    );
    let all: Vec<i64> = pages.concat();
    created.reverse();
    assert_eq!(all, created, "equal ranks newest first, each once");
}

#[tokio::test]
async fn bad_searches_are_refused() {
    let app = spawn_app().await;
    let long = "a".repeat(201);
    for (query, says) in [
        (vec![("q", "harbour"), ("sort", "new")], "leave out sort"),
        (vec![("q", long.as_str())], "at most 200 characters"),
        (vec![("q", "   ")], "Type something"),
        (
            vec![("q", "harbour"), ("cursor", "n5")],
            "invalid for a search",
        ),
    ] {
        let response = app
            .client
            .get(app.url("/post"))
            .query(&query)
            .send()
            .await
            .unwrap();
        let message = assert_error(response, 422).await;
        assert!(message.contains(says), "{query:?}: {message}");
    }
    let response = app.get("/post?cursor=s3f800000_5").await;
    let message = assert_error(response, 422).await;
    assert!(
        message.contains("cursor"),
        "a search's cursor continues only a search: {message}"
    );
}

#[tokio::test]
async fn a_deleted_post_is_not_found_any_more() {
    let app = spawn_app().await;
    let response = app.create(PostForm::new("Harbour", "gulls")).await;
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(search(&app, "harbour").await, vec![id]);

    let deleted = app.delete_created(&created).await;
    assert_eq!(deleted.status(), 204);
    assert!(search(&app, "harbour").await.is_empty());
    // Its document went with it (the table `post_search` is kept by a trigger on `posts`).
    let documents: i64 = sqlx::query_scalar("SELECT count(*) FROM post_search WHERE post_id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(documents, 0);
}

/// The migration `search_documents_apart` keeps the previous release's search working during a
/// rolling deploy: `posts.search_document` stays, a plain column that new posts leave empty. No
/// index of `posts` holds the document any more, so a vote (a new version of the post's row)
/// writes no search index entry.
#[tokio::test]
async fn a_post_s_document_is_written_once_apart_from_the_post_row_that_votes_rewrite() {
    let app = spawn_app().await;
    let id = create(&app, "Lighthouse", "keeper", "ann").await;
    let document = || async {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT s.document::text, p.search_document::text
             FROM post_search s JOIN posts p ON p.id = s.post_id WHERE s.post_id = $1",
        )
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    let (written, in_posts) = document().await;
    assert_eq!(written, "'ann':3C 'keeper':2B 'lighthouse':1A");
    assert_eq!(
        in_posts, None,
        "the previous release's column is no longer filled"
    );

    let indexed: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes
         WHERE tablename = 'posts' AND indexdef LIKE '%search_document%'",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(indexed.is_empty(), "a vote would write {indexed:?}");
    assert_eq!(app.vote(id, 1).await.status(), 200);
    assert_eq!(search(&app, "lighthouse").await, vec![id]);
}

/// A new post's words wait in the GIN index's pending list until they are merged into the
/// index. Each replica merges them in the background (`PostService::merge_search_entries`),
/// so that PostgreSQL never merges a full list inside a create.
#[tokio::test]
async fn new_posts_words_are_merged_into_the_search_index_in_the_background() {
    let app = spawn_app().await;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(create(&app, &format!("Harbour {n}"), "gulls", "ann").await);
    }
    let pending_pages = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT pending_pages::bigint FROM pgstatginindex('post_search_document_idx')",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while pending_pages().await > 0 {
        assert!(
            Instant::now() < deadline,
            "the new posts' words are still pending after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut found = search(&app, "harbour").await;
    found.sort_unstable();
    assert_eq!(found, created, "merged, and found");
}
