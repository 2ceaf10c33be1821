//! Replication, on PostgreSQL servers of the test's own: a primary and a streaming standby made
//! with `pg_basebackup -R`, two app servers on them.
//! - The read replica (`DATABASE_REPLICA_URL`): the standby's replay is paused
//!   (`pg_wal_replay_pause()`) to make it fall behind, and the standby is killed, to show that
//!   the board is read from it only while it keeps up, that a writer always sees their write,
//!   and that a stopped replica fails no request.
//! - The failover drill: a synchronous standby behind PgBouncer is promoted under load.

mod support;

use std::time::{Duration, Instant};

/// The tests of this file run one at a time: each starts PostgreSQL servers of its own, two app
/// servers and its load, and kills or pauses a server on a schedule, which measured timings
/// (the failover's recovery, the stream that must end) then judge. Run four at once on two
/// cores, the failover drill's live stream failed to end in time in 3 of 7 runs (77ba8cb's
/// build as well as later ones); alone, it passed 3 runs of 3 beside the API suite's load.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

use postboard::config::DatabasePooler;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use support::{
    EventStream, PostForm, TestApp, TestDatabase, TestServer, ids,
    pg_servers::{PgServer, eventually},
    pgbouncer::PgBouncer,
    spawn_fleet_on,
};

/// Lag the replica may have and still serve reads, in these tests.
const MAX_LAG: Duration = Duration::from_secs(2);

struct Setup {
    app: TestApp,
    other: TestServer,
    /// The post [`setup`] made, which the replica has.
    first_id: i64,
    standby_db: String,
    // Dropped last: the servers outlive the apps.
    standby: PgServer,
    _primary: PgServer,
}

/// A primary, its standby, and two app servers that read the board from the standby.
async fn setup() -> Setup {
    let primary = PgServer::primary();
    let standby = primary.standby("replica");
    let db = TestDatabase::create_on(&primary.admin_url()).await;
    let replica_url = db.url_via(standby.addr());
    let (app, mut others) = spawn_fleet_on(
        db,
        |config| {
            config.database_replica_url = Some(replica_url.clone().into());
            config.replica_max_lag = MAX_LAG;
            config.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
        },
        1,
    )
    .await
    .expect("the apps start");
    let first_id = app.create_ok("first").await["id"].as_i64().unwrap();
    let setup = Setup {
        app,
        other: others.remove(0),
        first_id,
        standby_db: replica_url,
        standby,
        _primary: primary,
    };
    // The replica is in use once the second app measures it fresh and it holds that post.
    eventually(
        "the replica is measured fresh",
        Duration::from_secs(15),
        || async { setup.replica_lag().await < MAX_LAG.as_secs_f64() },
    )
    .await;
    eventually(
        "the replica serves the first post",
        Duration::from_secs(15),
        || {
            let list = setup.list(None);
            async move { ids(&list.await).contains(&first_id) }
        },
    )
    .await;
    setup
}

impl Setup {
    /// `GET /post` on the second app server, with the cookie `cookie` when given.
    async fn list(&self, cookie: Option<&str>) -> Value {
        let response = self.get(&self.other.url("/post"), cookie).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn get(&self, url: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.app.client.get(url);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.expect("request sent")
    }

    /// `postboard_replica_lag_seconds` as the second app measures it.
    async fn replica_lag(&self) -> f64 {
        let url = format!("{}/metrics", self.other.metrics_address.as_ref().unwrap());
        let metrics = self.get(&url, None).await.text().await.unwrap();
        let line = metrics
            .lines()
            .find(|line| line.starts_with("postboard_replica_lag_seconds "))
            .unwrap_or_else(|| panic!("no replica lag in\n{metrics}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    /// Pauses the standby's replay, then makes a post (on the first app, without the
    /// cookie), which the standby therefore lacks until its replay is resumed. Its id.
    async fn post_the_replica_lacks(&self, title: &str) -> i64 {
        self.on_standby("SELECT pg_wal_replay_pause()").await;
        self.app.create_ok(title).await["id"].as_i64().unwrap()
    }

    /// Runs `sql` on the standby (as the superuser).
    async fn on_standby(&self, sql: &str) {
        let mut standby = PgConnection::connect(&self.standby_db).await.unwrap();
        standby.execute(sql).await.unwrap();
    }
}

/// The cookie a write's answer sets, as a browser sends it back.
fn wrote_cookie(response: &reqwest::Response) -> String {
    let set = response
        .headers()
        .get(SET_COOKIE)
        .expect("a write with a replica sets the cookie")
        .to_str()
        .unwrap();
    for attribute in ["Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=3"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_board_is_read_from_the_replica_until_it_falls_behind_and_a_writer_sees_their_post() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let setup = setup().await;
    setup.on_standby("SELECT pg_wal_replay_pause()").await;
    let paused_at = Instant::now();

    // A post made on one app server, while the replica replays nothing.
    let response = setup
        .app
        .create(PostForm::new("made while the replica is paused", "text"))
        .await;
    assert_eq!(response.status(), 201);
    let cookie = wrote_cookie(&response);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();

    // The poster, on the other app server, sees it at once: their cookie asks for a copy that
    // holds their write, which the paused replica is not.
    assert!(ids(&setup.list(Some(&cookie)).await).contains(&id));
    let search = setup
        .get(&setup.other.url("/post?q=paused"), Some(&cookie))
        .await;
    assert!(ids(&search.json().await.unwrap()).contains(&id));

    // Everyone else reads the replica, which does not have it yet...
    assert!(!ids(&setup.list(None).await).contains(&id));
    // ...though a link to it works: a post the replica lacks is asked of the primary.
    let own_page = setup
        .get(&setup.other.url(&format!("/post/{id}")), None)
        .await;
    assert_eq!(own_page.status(), 200);

    // Until the replica is measured as more than MAX_LAG behind: then the primary serves all.
    eventually("the lagging replica is left", MAX_LAG * 3, || {
        let list = setup.list(None);
        async move { ids(&list.await).contains(&id) }
    })
    .await;
    let left_after = paused_at.elapsed();
    assert!(
        left_after >= MAX_LAG / 2,
        "the replica was left {left_after:?} after its replay paused: its lag is measured, not \
         taken from the clock of the last replayed commit"
    );

    // Resumed, it catches up and serves again: a post it lacks is not shown to everyone.
    setup.on_standby("SELECT pg_wal_replay_resume()").await;
    tokio::time::sleep(MAX_LAG).await;
    let later = setup
        .post_the_replica_lacks("made after it came back")
        .await;
    assert!(!ids(&setup.list(None).await).contains(&later));
    setup.on_standby("SELECT pg_wal_replay_resume()").await;
}

#[tokio::test]
async fn a_new_live_client_is_replayed_what_a_lagging_board_may_lack() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let setup = setup().await;
    let id = setup.post_the_replica_lacks("not on the replica yet").await;
    // The board this reader loads lacks the post; the stream it opens next brings it.
    assert!(!ids(&setup.list(None).await).contains(&id));
    tokio::time::sleep(Duration::from_millis(300)).await; // the post's event is relayed
    let mut stream = EventStream::connect(&setup.other.address, None).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    // (The setup's first post may come before it.)
    while stream
        .next_of("post", deadline.saturating_duration_since(Instant::now()))
        .await
        .data["id"]
        != id
    {}
    setup.on_standby("SELECT pg_wal_replay_resume()").await;
}

#[tokio::test]
async fn a_replica_that_stops_fails_no_read_and_serves_again_once_back() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let setup = setup().await;
    let first_post = format!("/post/{}", setup.first_id);
    let reads = [
        "/post",
        "/post?sort=top",
        "/post?q=first",
        "/feed.atom",
        &first_post,
    ];
    let read_all = || async {
        for path in reads {
            let response = setup.get(&setup.other.url(path), None).await;
            assert_eq!(response.status(), 200, "GET {path}");
        }
    };
    read_all().await;
    setup.standby.kill();
    // Right after the kill, before the watcher has noticed, and long after.
    let until = Instant::now() + Duration::from_secs(3);
    while Instant::now() < until {
        read_all().await;
    }

    setup.standby.start();
    let id = setup.post_the_replica_lacks("made after its restart").await;
    eventually(
        "the replica serves again after its restart",
        Duration::from_secs(10),
        || {
            let list = setup.list(None);
            async move { !ids(&list.await).contains(&id) }
        },
    )
    .await;
    setup.on_standby("SELECT pg_wal_replay_resume()").await;
}

/// The failover drill (`make failover-drill` prints its figures): a primary and a synchronous
/// standby behind PgBouncer (transaction mode for the app's statements, a session-mode entry
/// for its LISTEN and migrations), two app servers, and creates, votes and reads running on
/// both. The primary is killed (`pg_ctl stop -m immediate`), the standby promoted, and
/// PgBouncer repointed with `RELOAD`. No app is restarted.
#[tokio::test]
async fn failover_drill_loses_no_acknowledged_write_and_recovers_within_5_s() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let primary = PgServer::primary();
    let standby = primary.standby("standby1");
    primary.require_synchronous("standby1");
    let db = TestDatabase::create_on(&primary.admin_url()).await;
    let name = db.name().to_owned();
    let databases = |server: &PgServer| {
        format!(
            "{name} = host=127.0.0.1 port={port}\n\
             {name}_direct = host=127.0.0.1 port={port} dbname={name} pool_mode=session\n",
            port = server.port
        )
    };
    let bouncer = PgBouncer::start(&databases(&primary));
    let primary_admin = sqlx::PgPool::connect(&primary.admin_url()).await.unwrap();
    eventually(
        "the standby is synchronous",
        Duration::from_secs(15),
        || {
            let state = sqlx::query_scalar::<_, String>(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
            )
            .fetch_optional(&primary_admin);
            async move { state.await.unwrap().as_deref() == Some("sync") }
        },
    )
    .await;
    primary_admin.close().await;
    let via_bouncer = |database: &str| {
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}",
            bouncer.addr.port()
        )
    };
    let (app, others) = spawn_fleet_on(
        db,
        |config| {
            config.database_url = via_bouncer(&name).into();
            config.database_pooler = DatabasePooler::Transaction;
            config.database_listen_url = Some(via_bouncer(&format!("{name}_direct")).into());
        },
        1,
    )
    .await
    .expect("the apps start");
    let servers = [app.address.clone(), others[0].address.clone()];
    let voted = app.create_ok("voted on during the failover").await["id"]
        .as_i64()
        .unwrap();
    let mut stream = EventStream::connect(&servers[1], None).await;

    // Writers and readers on both app servers, until `load_ends`.
    let started = Instant::now();
    let load_ends = started + Duration::from_secs(12);
    let mut load = tokio::task::JoinSet::new();
    for worker in 0..6 {
        let client = app.client.clone();
        let base = servers[worker % 2].clone();
        load.spawn(async move {
            let mut outcomes = Vec::new();
            let mut n = 0;
            while Instant::now() < load_ends {
                n += 1;
                let outcome = match worker / 2 {
                    0 => {
                        let form = PostForm::new(&format!("drill {worker}-{n}"), "text");
                        let response = client
                            .post(format!("{base}/post"))
                            .multipart(form.into_multipart())
                            .send()
                            .await;
                        match response {
                            Ok(response) if response.status() == 201 => {
                                let post: Value = response.json().await.unwrap();
                                Outcome::Created(post["id"].as_i64().unwrap())
                            }
                            _ => Outcome::Failed(Request::Create),
                        }
                    }
                    1 => {
                        let vote = serde_json::json!({"post_id": voted, "score_increase": 1});
                        let response = client
                            .post(format!("{base}/update-post-score"))
                            .json(&vote)
                            .send()
                            .await;
                        match response {
                            Ok(response) if response.status().is_success() => Outcome::Voted,
                            _ => Outcome::Failed(Request::Vote),
                        }
                    }
                    _ => match client.get(format!("{base}/post")).send().await {
                        Ok(response) if response.status() == 200 => Outcome::Read,
                        _ => Outcome::Failed(Request::Read),
                    },
                };
                outcomes.push((Instant::now(), outcome));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            outcomes
        });
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let last_event_before = stream
        .next_within(Duration::from_secs(2))
        .await
        .and_then(|event| event.id);
    primary.kill();
    let killed_at = Instant::now();
    // An operator (or a failover manager) notices, then promotes and repoints.
    tokio::time::sleep(Duration::from_secs(1)).await;
    standby.promote();
    bouncer.repoint(&databases(&standby));
    let promoted_at = Instant::now();

    let mut outcomes = Vec::new();
    while let Some(worker) = load.join_next().await {
        outcomes.extend(worker.unwrap());
    }
    let mut new_primary = PgConnection::connect(&standby_url(&standby, &name))
        .await
        .unwrap();

    // Every acknowledged create is on the new primary.
    let created: Vec<i64> = outcomes
        .iter()
        .filter_map(|(_, outcome)| match outcome {
            Outcome::Created(id) => Some(*id),
            _ => None,
        })
        .collect();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM posts WHERE id = ANY($1)")
        .bind(&created)
        .fetch_one(&mut new_primary)
        .await
        .unwrap();
    assert_eq!(kept, created.len() as i64, "acknowledged creates lost");
    // Every acknowledged vote counts; a failed one may or may not have (it was in flight).
    let count = |wanted: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| wanted(o)).count();
    let votes = count(|o| matches!(o, Outcome::Voted)) as i64;
    let failed_votes = count(|o| matches!(o, Outcome::Failed(Request::Vote))) as i64;
    let score: i64 = sqlx::query_scalar("SELECT score FROM posts WHERE id = $1")
        .bind(voted)
        .fetch_one(&mut new_primary)
        .await
        .unwrap();
    assert!(
        (votes..=votes + failed_votes).contains(&score),
        "score {score}: {votes} votes acknowledged, {failed_votes} failed"
    );

    // Requests succeed again within 5 s of the promotion (times are when each was answered).
    let failures: Vec<Instant> = outcomes
        .iter()
        .filter(|(_, outcome)| matches!(outcome, Outcome::Failed(_)))
        .map(|(answered, _)| *answered)
        .collect();
    let since = |at: Instant, from: Instant| at.saturating_duration_since(from).as_millis();
    let last_failure = failures.iter().max().copied();
    let recovered_after = last_failure.map_or(0, |last| since(last, promoted_at));
    let first_success_after = outcomes
        .iter()
        .filter(|(answered, o)| *answered > promoted_at && !matches!(o, Outcome::Failed(_)))
        .map(|(answered, _)| since(*answered, promoted_at))
        .min();
    assert!(
        recovered_after < 5000,
        "requests still failed {recovered_after} ms after the promotion: {:?}",
        outcomes
            .iter()
            .filter(|(_, outcome)| matches!(outcome, Outcome::Failed(_)))
            .map(|(answered, outcome)| (since(*answered, promoted_at), outcome))
            .collect::<Vec<_>>()
    );
    assert!(
        outcomes
            .iter()
            .any(|(answered, o)| *answered > promoted_at && matches!(o, Outcome::Created(_))),
        "creates succeed after the promotion"
    );

    // The live client is told to reload: its stream ends, and its reconnection gets `resync`
    // (the unlogged event log started empty on the new primary).
    assert!(
        stream.ended_within(Duration::from_secs(10)).await,
        "the live stream of the lost event log ends"
    );
    let mut again = EventStream::connect(&servers[1], last_event_before).await;
    let first = again.next_within(Duration::from_secs(5)).await;
    assert_eq!(
        first.map(|event| event.event),
        Some("resync".to_owned()),
        "a client back from before the failover reloads"
    );

    println!(
        "failover drill: {} creates and {votes} votes acknowledged, all on the new primary; \
         {} requests failed ({failed_votes} of them votes), answered from {} ms after the kill \
         until {recovered_after} ms after the promotion (which came {} ms after the kill); \
         the first success after the promotion {} ms after it",
        created.len(),
        failures.len(),
        failures
            .iter()
            .min()
            .map_or(0, |first| since(*first, killed_at)),
        since(promoted_at, killed_at),
        first_success_after.unwrap_or(0),
    );
}

/// What a request of the drill's load was.
#[derive(Debug)]
enum Request {
    Create,
    Vote,
    Read,
}

#[derive(Debug)]
enum Outcome {
    Created(i64),
    Voted,
    Read,
    Failed(Request),
}

fn standby_url(server: &PgServer, database: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{}/{database}", server.port)
}
