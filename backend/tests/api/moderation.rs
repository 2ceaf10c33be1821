//! Moderators (API.md, "Moderation"): tokens made by `postboard moderator add`, 401/403 on
//! every `/mod/` route, a revocation that holds on another replica at once, the queue, the
//! actions with their log entries, a removal leaving another replica's board live, and the
//! public log.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{moderator_support::*, support::*};

const WITHIN_A_SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn the_command_line_adds_lists_and_revokes_moderators_and_keeps_only_hashes() {
    let app = spawn().await;
    let token = add_moderator(&app, "ana").await;
    assert_eq!(token.len(), 43, "{token}");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM moderators WHERE name = 'ana'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(hex::encode(&stored), sha256_hex(token.as_bytes()));

    let (code, _, stderr) = operator(&app, &["add", "ana"]).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("taken"), "{stderr}");
    let (code, _, stderr) = operator(&app, &["add", "Ana Smith"]).await;
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = operator(&app, &["promote", "ana"]).await;
    assert_eq!(code, 2);

    let (code, listed, _) = operator(&app, &["list"]).await;
    assert_eq!(code, 0);
    assert!(
        listed.contains("ana") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(&token), "list never shows a token");

    let (code, stdout, _) = operator(&app, &["revoke", "ana"]).await;
    assert_eq!(code, 0, "{stdout}");
    let (_, listed, _) = operator(&app, &["list"]).await;
    assert!(listed.contains("revoked"), "{listed}");
    let (code, _, _) = operator(&app, &["revoke", "ana"]).await;
    assert_eq!(code, 1, "revoked before");
}

#[tokio::test]
async fn every_moderator_route_wants_a_valid_token() {
    let app = spawn().await;
    let id = id_of(&app.create_ok("a post").await);
    let routes = [
        (reqwest::Method::GET, "/mod/queue".to_owned(), None),
        (reqwest::Method::GET, format!("/mod/post/{id}"), None),
        (
            reqwest::Method::GET,
            format!("/mod/image/{}", "a".repeat(64)),
            None,
        ),
        (
            reqwest::Method::POST,
            format!("/mod/post/{id}/remove"),
            Some(json!({"reason": "x"})),
        ),
        (
            reqwest::Method::POST,
            format!("/mod/post/{id}/restore"),
            Some(json!({"reason": "x"})),
        ),
        (
            reqwest::Method::POST,
            format!("/mod/post/{id}/dismiss"),
            Some(json!({"reason": "x"})),
        ),
    ];
    let unknown = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE";
    for (method, path, body) in routes {
        let missing = as_moderator(
            &app,
            &app.address,
            None,
            method.clone(),
            &path,
            body.clone(),
        );
        let message = assert_error(missing.await, 401).await;
        assert_eq!(
            message, "Moderator routes need a moderator token.",
            "{path}"
        );
        let wrong = as_moderator(&app, &app.address, Some(unknown), method, &path, body);
        let message = assert_error(wrong.await, 403).await;
        assert_eq!(
            message,
            "This moderator token is not valid (unknown, or revoked)."
        );
    }
    let state: String = sqlx::query_scalar("SELECT state FROM posts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(state, "visible", "refused requests changed nothing");
}

#[tokio::test]
async fn a_revoked_token_is_refused_by_another_replica_at_once() {
    let app = spawn().await;
    let replica = app.spawn_replica().await;
    let token = add_moderator(&app, "ben").await;
    let queue = |base: String| {
        let (app, token) = (&app, token.clone());
        async move {
            as_moderator(
                app,
                &base,
                Some(&token),
                reqwest::Method::GET,
                "/mod/queue",
                None,
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(queue(replica.address.clone()).await, 200);
    assert_eq!(operator(&app, &["revoke", "ben"]).await.0, 0);
    assert_eq!(queue(replica.address.clone()).await, 403);
    assert_eq!(queue(app.address.clone()).await, 403);
}

#[tokio::test]
async fn the_queue_shows_reported_and_hidden_posts_most_reported_first() {
    let app = spawn().await;
    let token = add_moderator(&app, "cai").await;
    let once = id_of(&app.create_ok("reported once").await);
    let hidden = id_of(&app.create_ok("reported thrice").await);
    app.create_ok("never reported").await;
    report(&app, "203.0.113.1", once, "spam", None).await;
    for (n, reason) in [(1, "abuse"), (2, "abuse"), (3, "other")] {
        report(
            &app,
            &format!("203.0.113.{n}"),
            hidden,
            reason,
            Some("rude"),
        )
        .await;
    }
    let response = as_moderator(
        &app,
        &app.address,
        Some(&token),
        reqwest::Method::GET,
        "/mod/queue",
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let queue: Value = response.json().await.unwrap();
    assert_eq!(ids(&queue), [hidden, once]);
    assert_eq!(queue[0]["state"], "hidden");
    assert_eq!(queue[0]["reports"], 3);
    assert_eq!(queue[0]["reasons"], json!({"abuse": 2, "other": 1}));
    assert_eq!(queue[0]["notes"], json!(["rude", "rude", "rude"]));
    assert_eq!(queue[0]["title"], "reported thrice");
    assert_eq!(queue[1]["state"], "visible");
    assert_eq!(queue[1]["reasons"], json!({"spam": 1}));

    // A hidden post is 404 to the public, and visible to moderators.
    assert_error(app.get(&format!("/post/{hidden}")).await, 404).await;
    let one = as_moderator(
        &app,
        &app.address,
        Some(&token),
        reqwest::Method::GET,
        &format!("/mod/post/{hidden}"),
        None,
    )
    .await;
    assert_eq!(one.json::<Value>().await.unwrap()["state"], "hidden");
}

#[tokio::test]
async fn actions_change_the_state_write_the_public_log_and_reach_another_replica_live() {
    let app = spawn().await;
    let replica = app.spawn_replica().await;
    let token = add_moderator(&app, "dana").await;
    // Listening before the post exists: a stream opened later would race its `post` event.
    let mut events = EventStream::connect(&replica.address, None).await;
    let id = id_of(&app.create_ok("going and coming back").await);
    events.next_of("post", WITHIN_A_SECOND).await;
    let act = |action: &'static str, body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            as_moderator(
                app,
                &app.address,
                Some(&token),
                reqwest::Method::POST,
                &format!("/mod/post/{id}/{action}"),
                Some(body),
            )
            .await
        }
    };

    let removed = act("remove", json!({"reason": "Spam link"})).await;
    assert_eq!(removed.status(), 200);
    assert_eq!(
        removed.json::<Value>().await.unwrap(),
        json!({"id": id, "state": "removed"})
    );
    assert_eq!(
        events.next_of("delete", WITHIN_A_SECOND).await.data,
        json!({"id": id})
    );
    let listed: Value = app
        .client
        .get(replica.url("/post"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ids(&listed).is_empty(), "{listed}");

    let restored = act("restore", json!({"reason": "Not spam after all"})).await;
    assert_eq!(restored.json::<Value>().await.unwrap()["state"], "visible");
    let back = events.next_of("post", WITHIN_A_SECOND).await;
    assert_eq!(back.data["id"], id);

    report(&app, "203.0.113.9", id, "other", None).await;
    let dismissed = act("dismiss", json!({"reason": "Fine"})).await;
    assert_eq!(dismissed.json::<Value>().await.unwrap()["state"], "visible");
    let reports: i64 = sqlx::query_scalar("SELECT count(*) FROM reports")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(reports, 0);
    // Dismissing again dismisses nothing: no new log entry.
    act("dismiss", json!({"reason": "Fine"})).await;

    let log: Value = app.get("/modlog").await.json().await.unwrap();
    let entries: Vec<(String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().into(),
                e["reason"].as_str().unwrap().into(),
                e["moderator"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("dismiss".into(), "Fine".into(), "dana".into()),
            ("restore".into(), "Not spam after all".into(), "dana".into()),
            ("remove".into(), "Spam link".into(), "dana".into()),
        ]
    );
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| e["post_id"] == id && e["at"].is_string())
    );
    assert!(!log.to_string().contains(&token));
}

#[tokio::test]
async fn bad_actions_are_refused_and_change_nothing() {
    let app = spawn().await;
    let token = add_moderator(&app, "eli").await;
    let id = id_of(&app.create_ok("stays").await);
    let act = |path: String, body: Value| {
        let (app, token) = (&app, token.clone());
        async move {
            as_moderator(
                app,
                &app.address,
                Some(&token),
                reqwest::Method::POST,
                &path,
                Some(body),
            )
            .await
        }
    };
    let remove = format!("/mod/post/{id}/remove");
    assert_eq!(
        assert_error(act(remove.clone(), json!({})).await, 422).await,
        "Reason is required."
    );
    assert_eq!(
        assert_error(act(remove.clone(), json!({"reason": "  "})).await, 422).await,
        "Reason must not be empty."
    );
    assert_error(
        act(remove.clone(), json!({"reason": "x".repeat(501)})).await,
        422,
    )
    .await;
    assert_error(
        act(remove.clone(), json!({"reason": "x", "why": 1})).await,
        422,
    )
    .await;
    assert_eq!(
        assert_error(
            act(
                format!("/mod/post/{id}/restore"),
                json!({"reason": "x", "purge_image": true})
            )
            .await,
            422,
        )
        .await,
        "Only a removal can purge the image."
    );
    assert_error(
        act(
            format!("/mod/post/{}/remove", id + 1000),
            json!({"reason": "x"}),
        )
        .await,
        404,
    )
    .await;
    assert_eq!(app.get(&format!("/post/{id}")).await.status(), 200);
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM mod_log")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(logged, 0);
}

#[tokio::test]
async fn the_public_log_is_paged_newest_first() {
    let app = spawn().await;
    let token = add_moderator(&app, "fay").await;
    for n in 0..3 {
        let id = id_of(&app.create_ok(&format!("post {n}")).await);
        let response = as_moderator(
            &app,
            &app.address,
            Some(&token),
            reqwest::Method::POST,
            &format!("/mod/post/{id}/remove"),
            Some(json!({"reason": format!("r{n}")})),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let first = app.get("/modlog?limit=2").await;
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let page: Value = first.json().await.unwrap();
    let reasons = |page: &Value| {
        page.as_array()
            .unwrap()
            .iter()
            .map(|e| e["reason"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(reasons(&page), ["r2", "r1"]);
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    let rest = app.get(&next).await;
    assert!(rest.headers().get("link").is_none());
    assert_eq!(reasons(&rest.json::<Value>().await.unwrap()), ["r0"]);
    assert_error(app.get("/modlog?limit=0").await, 422).await;
}
