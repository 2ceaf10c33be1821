//! Votes written in batches (group commit, see `batches`): one `add_votes` statement and one
//! commit for the votes that arrive together (see the migration `vote_batches`), each still
//! atomic, durable and exact. Each caller is answered with its post as its batch left it. An
//! unknown post is simply not updated (the caller gets [`Vote::NoSuchPost`]), so it cannot fail
//! the others.
//!
//! The same statement refuses the votes of banned clients ([`Vote::Banned`]): a voter's ban is
//! read with its vote, not by a statement of its own, whether or not `RATE_LIMIT_VOTES` is on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use futures_core::future::BoxFuture;
use sqlx::PgConnection;

use super::{batches::Batcher, error::RepositoryError, pool::DbPool};
use crate::domain::{ClientKeys, Post, ScoreChange};

/// Most votes in one statement.
const MAX_BATCH: usize = 512;

/// What became of one vote.
#[derive(Debug, Clone)]
pub enum Vote {
    /// Counted: the post as its batch left it.
    Counted(Post),
    /// No visible post has that id; nothing changed.
    NoSuchPost,
    /// The voter is banned at either width (`until`: `None` for good); not counted.
    Banned { until: Option<DateTime<Utc>> },
}

struct VoteRequest {
    post_id: i64,
    change: ScoreChange,
    voter: ClientKeys,
}

/// Hands votes to the batch writer (see [`Batcher`]).
#[derive(Clone)]
pub struct VoteBatcher(Batcher<VoteRequest, Vote>);

impl VoteBatcher {
    /// The batcher (`writers` batches at once), and the writer's task to run (in the
    /// background) until every `VoteBatcher` is dropped: no vote that was handed in is lost on
    /// shutdown.
    pub fn start(
        pool: DbPool,
        writers: usize,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (batcher, writer) = Batcher::start("votes", MAX_BATCH, writers, pool, write);
        (Self(batcher), writer)
    }

    /// Adds `change` to the post's score, unless `voter` is banned or there is no such post.
    pub async fn add(
        &self,
        post_id: i64,
        change: ScoreChange,
        voter: ClientKeys,
    ) -> Result<Vote, RepositoryError> {
        self.0
            .submit(VoteRequest {
                post_id,
                change,
                voter,
            })
            .await
    }
}

/// The one statement of a batch.
fn write_batch<'c>(
    db: &'c mut PgConnection,
    votes: &BatchArguments,
) -> BoxFuture<'c, Result<Vec<BatchRow>, sqlx::Error>> {
    // The voters' bans first: their votes are left out of the sums per post, which
    // `add_votes` adds (see the migration `vote_batches`). A banned voter comes back as
    // a row of its own, with no post. A ban for good counts as 'infinity' in max().
    Box::pin(
        sqlx::query_as!(
            BatchRow,
            r#"WITH votes AS (
                   SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[])
                       AS v(post_id, delta, voter, network)
               ), banned AS (
                   SELECT v.voter, max(coalesce(b.until, 'infinity')) AS until
                   FROM (SELECT DISTINCT voter, network FROM votes) AS v
                   JOIN bans_in_force AS b ON b.client_key IN (v.voter, v.network)
                   GROUP BY v.voter
               ), counted AS (
                   SELECT post_id, sum(delta)::bigint AS delta FROM votes
                   WHERE voter NOT IN (SELECT voter FROM banned)
                   GROUP BY post_id
               )
               SELECT id, title, post, username, score, image_hash, image_width,
                      image_height, created_at, hot,
                      NULL::bytea AS banned_voter, NULL::timestamptz AS banned_until
               FROM add_votes(ARRAY(SELECT post_id FROM counted),
                              ARRAY(SELECT delta FROM counted))
               UNION ALL
               SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                      voter, nullif(until, 'infinity')
               FROM banned"#,
            &votes.post_ids,
            &votes.deltas,
            &votes.voters,
            &votes.networks,
        )
        .fetch_all(db),
    )
}

/// Writes one batch: what became of each vote.
async fn write(pool: DbPool, votes: Vec<VoteRequest>) -> Result<Vec<Vote>, RepositoryError> {
    let arguments = BatchArguments::of(&votes);
    let rows = pool.write(|db| write_batch(db, &arguments)).await?;
    let mut posts: HashMap<i64, Post> = HashMap::with_capacity(rows.len());
    let mut bans: HashMap<Vec<u8>, Option<DateTime<Utc>>> = HashMap::new();
    for row in rows {
        match row.banned_voter {
            Some(voter) => {
                bans.insert(voter, row.banned_until);
            }
            None => {
                if let Some(post) = row.into_post() {
                    posts.insert(post.id, post);
                }
            }
        }
    }
    Ok(votes
        .iter()
        .map(|vote| {
            if let Some(until) = bans.get(vote.voter.address.as_bytes()) {
                Vote::Banned { until: *until }
            } else {
                match posts.get(&vote.post_id) {
                    Some(post) => Vote::Counted(post.clone()),
                    None => Vote::NoSuchPost,
                }
            }
        })
        .collect())
}

/// A batch as the statement takes it: one element per vote in each array.
struct BatchArguments {
    post_ids: Vec<i64>,
    deltas: Vec<i64>,
    voters: Vec<Vec<u8>>,
    networks: Vec<Vec<u8>>,
}

impl BatchArguments {
    fn of(batch: &[VoteRequest]) -> Self {
        Self {
            post_ids: batch.iter().map(|vote| vote.post_id).collect(),
            deltas: batch
                .iter()
                .map(|vote| i64::from(vote.change.value()))
                .collect(),
            voters: batch
                .iter()
                .map(|vote| vote.voter.address.as_bytes().to_vec())
                .collect(),
            networks: batch
                .iter()
                .map(|vote| vote.voter.network.as_bytes().to_vec())
                .collect(),
        }
    }
}

/// A row of the batch statement: a post as the batch left it, or a banned voter.
struct BatchRow {
    id: Option<i64>,
    title: Option<String>,
    post: Option<String>,
    username: Option<String>,
    score: Option<i64>,
    image_hash: Option<String>,
    image_width: Option<i32>,
    image_height: Option<i32>,
    created_at: Option<DateTime<Utc>>,
    hot: Option<f64>,
    banned_voter: Option<Vec<u8>>,
    banned_until: Option<DateTime<Utc>>,
}

impl BatchRow {
    fn into_post(self) -> Option<Post> {
        Some(Post {
            id: self.id?,
            title: self.title?,
            post: self.post?,
            username: self.username?,
            score: self.score?,
            image_hash: self.image_hash,
            image_width: self.image_width,
            image_height: self.image_height,
            created_at: self.created_at?,
            hot: self.hot?,
        })
    }
}
