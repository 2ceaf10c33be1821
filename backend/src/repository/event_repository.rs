//! The live event log in PostgreSQL (see the migrations `hot_and_events` and
//! `events_without_a_writers_lock`): events are appended by triggers and by
//! [`EventRepository::emit_scores`], numbered and announced with NOTIFY by
//! [`EventRepository::sequence`], and read back here.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};

use super::{error::RepositoryError, pool::DbPool};
use crate::domain::{Change, Event, Post};

/// The channel every replica listens on; its payloads are event ids.
const CHANNEL: &str = "postboard_events";

/// Where a client that comes back can resume: see [`EventRepository::resume_point`].
#[derive(Debug)]
pub struct ResumePoint {
    pub newest: i64,
    pub resumable: bool,
}

/// A stretch of the event log.
#[derive(Debug)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// The last id read (events left out included): where the next page starts.
    pub through: i64,
    /// Whether this page reached the newest event.
    pub complete: bool,
    /// Whether the log still continued from where this page was asked to start; when not,
    /// events before this page's were lost (see [`EventRepository::after`]).
    pub continues: bool,
}

/// How long the listening connection may take to connect, and then to answer LISTEN.
const LISTEN_WITHIN: std::time::Duration = std::time::Duration::from_secs(3);

#[derive(Clone)]
pub struct EventRepository {
    pool: DbPool,
    /// Opens (and reopens) the dedicated LISTEN connection: sqlx's `PgListener` takes a pool.
    listen_pool: PgPool,
}

impl EventRepository {
    /// `listen_options` open the dedicated listening connection (the pool's are for queries).
    pub fn new(pool: DbPool, listen_options: PgConnectOptions) -> Self {
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(LISTEN_WITHIN)
            .connect_lazy_with(listen_options);
        Self { pool, listen_pool }
    }

    /// Up to `limit` numbered events after `after`, oldest first, each with its post as it is
    /// now. A `post` or `score` event whose post is no longer visible is left out (its
    /// `delete` event follows). The page also says whether the log still continues from
    /// `after` (see the migration `event_log_continues_from`): when it does not, events after
    /// `after` were lost (or pruned), and the page holds only what came after the loss.
    pub async fn after(&self, after: i64, limit: i64) -> Result<EventPage, RepositoryError> {
        let rows = self
            .pool
            .read(|db| {
                Box::pin(
                    sqlx::query!(
                        r#"SELECT log.continues AS "continues!",
                                  e.id AS "id?", e.kind AS "kind?", e.post_id AS "post_id?",
                                  e.found AS "found?", e.title AS "title?", e.post AS "post?",
                                  e.username AS "username?", e.score AS "score?", e.image_hash,
                                  e.image_width, e.image_height, e.created_at AS "created_at?",
                                  e.hot AS "hot?"
                           FROM (SELECT event_log_continues_from($1) AS continues) log
                           LEFT JOIN LATERAL (
                               SELECT e.id, e.kind, e.post_id, p.id AS found, p.title, p.post,
                                      p.username, p.score, p.image_hash, p.image_width,
                                      p.image_height, p.created_at, p.hot
                               FROM events e
                               LEFT JOIN visible_posts p ON e.kind <> 'delete' AND p.id = e.post_id
                               WHERE e.id > $1 ORDER BY e.id LIMIT $2) e ON true"#,
                        after,
                        limit,
                    )
                    .fetch_all(db),
                )
            })
            .await?;
        // No event after `after` still gives one row, of NULLs but for `continues`.
        let continues = rows.first().is_none_or(|row| row.continues);
        let mut read: Vec<_> = rows
            .into_iter()
            .filter_map(|row| Some((row.id?, row)))
            .collect();
        // In id order: the page's own ORDER BY sits inside the join, which keeps it in practice
        // but not by SQL's word; an ORDER BY outside made PostgreSQL sort every page again.
        // Sorting rows that are already in order takes one pass.
        read.sort_by_key(|(id, _)| *id);
        let through = read.last().map_or(after, |(id, _)| *id);
        let complete = read.len() < usize::try_from(limit).unwrap_or(usize::MAX);
        let events = read
            .into_iter()
            .filter_map(|(id, row)| {
                let change = match row.kind?.as_str() {
                    "post" => Change::Post(Post {
                        id: row.found?,
                        title: row.title?,
                        post: row.post?,
                        username: row.username?,
                        score: row.score?,
                        image_hash: row.image_hash,
                        image_width: row.image_width,
                        image_height: row.image_height,
                        created_at: row.created_at?,
                        hot: row.hot?,
                    }),
                    "score" => Change::Score {
                        post_id: row.post_id?,
                        score: row.score?,
                    },
                    _ => Change::Delete {
                        post_id: row.post_id?,
                    },
                };
                Some(Event { id, change })
            })
            .collect();
        Ok(EventPage {
            events,
            through,
            complete,
            continues,
        })
    }

    /// Where the log continues from now: the newest event's id (0 when there has been none),
    /// or where pruning stopped when the log is empty (see the migration
    /// `event_log_continues_from`).
    pub async fn newest_id(&self) -> Result<i64, RepositoryError> {
        self.pool
            .read(|db| {
                Box::pin(sqlx::query_scalar!(r#"SELECT event_log_newest() AS "id!""#).fetch_one(db))
            })
            .await
    }

    /// An id after which every event appended in the last `window` lies (and a few older
    /// ones): where a new client of a board read from a replica starts (see
    /// `LiveEvents::with_catch_up`). The first such event's id less one, since an event's id
    /// follows its commit and not when it was appended; the newest id when there is none.
    pub async fn replay_point_since(&self, window: Duration) -> Result<i64, RepositoryError> {
        let seconds = window.as_secs_f64();
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_scalar!(
                        r#"SELECT coalesce(
                           (SELECT min(id) - 1 FROM events
                            WHERE id IS NOT NULL
                              AND created_at >= now() - make_interval(secs => $1)),
                           (SELECT max(id) FROM events),
                           0) AS "id!""#,
                        seconds,
                    )
                    .fetch_one(db),
                )
            })
            .await
    }

    /// Whether a client that saw every event up to `last` can be replayed what came after (the
    /// log still continues from it: see the migration `event_log_continues_from`), and where
    /// the log continues from now. It cannot when events after it were pruned, or when `last`
    /// is not in the log at all: an id from another database, or one lost with the log itself
    /// (it is unlogged, so a crash of PostgreSQL empties it).
    pub async fn resume_point(&self, last: i64) -> Result<ResumePoint, RepositoryError> {
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_as!(
                        ResumePoint,
                        r#"SELECT event_log_newest() AS "newest!",
                                  event_log_continues_from($1) AS "resumable!""#,
                        last,
                    )
                    .fetch_one(db),
                )
            })
            .await
    }

    /// Writes one `score` event for each of these posts, numbered at once (after the events
    /// appended before; see the migration `score_events_numbered_at_once`), and notifies the
    /// listeners. Returns how many were written.
    pub async fn emit_scores(&self, post_ids: &[i64]) -> Result<i32, RepositoryError> {
        self.pool
            .write(|db| {
                Box::pin(
                    sqlx::query_scalar!(r#"SELECT emit_score_events($1) AS "emitted!""#, post_ids)
                        .fetch_one(db),
                )
            })
            .await
    }

    /// Numbers the events appended since the last call with the next ids and notifies the
    /// listeners (see the migration `events_without_a_writers_lock`). One replica at a time:
    /// 0 when there was nothing to number, or when another replica was numbering right then.
    pub async fn sequence(&self) -> Result<i32, RepositoryError> {
        self.pool
            .write(|db| {
                Box::pin(
                    sqlx::query_scalar!(r#"SELECT sequence_events() AS "numbered!""#).fetch_one(db),
                )
            })
            .await
    }

    /// Deletes the events that are both older than ten minutes and not among the newest
    /// 10 000: clients may resume from anything newer.
    pub async fn prune(&self) -> Result<u64, RepositoryError> {
        self.pool
            .write(|db| {
                Box::pin(async move {
                    sqlx::query_scalar!(
                        r#"WITH pruned AS (
                               DELETE FROM events
                               WHERE created_at < now() - interval '10 minutes'
                                 AND id < (SELECT id FROM events WHERE id IS NOT NULL
                                           ORDER BY id DESC OFFSET 9999 LIMIT 1)
                               RETURNING id)
                           UPDATE events_pruned
                           SET through_id = greatest(through_id, (SELECT coalesce(max(id), 0) FROM pruned))
                           RETURNING (SELECT count(*) FROM pruned) AS "pruned!""#
                    )
                    .fetch_one(db)
                    .await.map(|n| n as u64)
                })
            })
            .await
    }

    /// A connection that receives the ids of new events.
    pub async fn listen(&self) -> Result<EventListener, RepositoryError> {
        let mut listener = PgListener::connect_with(&self.listen_pool).await?;
        // A lost connection is reported at once (`next` gives `None`), never mended inside
        // sqlx: its eager reconnect is an await inside `try_recv`, which the relay's `select!`
        // may cancel, and the next call would then reconnect without a word. The relay would
        // go on catching up from the table past events the log lost meanwhile (a failover),
        // and its clients would never be told to resync.
        listener.eager_reconnect(false);
        // The listening connection has no statement timeout, and behind a pooler in session
        // mode LISTEN waits for a server while none answers (PgBouncer holds it up to its
        // `query_wait_timeout`, two minutes by default): the relay tries again instead.
        tokio::time::timeout(LISTEN_WITHIN, listener.listen(CHANNEL))
            .await
            .map_err(|_| {
                RepositoryError::Unavailable("LISTEN was not answered in time".into())
            })??;
        Ok(EventListener(listener))
    }
}

/// The dedicated LISTEN connection of this replica.
pub struct EventListener(PgListener);

impl EventListener {
    /// The next notification's event id, or `None` when the connection was lost: the next call
    /// reconnects (and listens again), and the caller must catch up from the table, since
    /// notifications sent meanwhile are lost.
    pub async fn next(&mut self) -> Result<Option<i64>, RepositoryError> {
        Ok(self
            .0
            .try_recv()
            .await?
            .map(|notification| notification.payload().parse().unwrap_or(0)))
    }
}
