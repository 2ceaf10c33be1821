//! Posts in PostgreSQL. Every statement is checked against the schema at compile time
//! (`sqlx::query_as!`, with the offline data in `.sqlx/`), so a migration that breaks a query
//! fails the build, not a request.

use chrono::{DateTime, Utc};
use futures_core::future::BoxFuture;
use sqlx::PgConnection;

use super::{
    create_batcher::CreateBatcher,
    error::RepositoryError,
    pool::{DbPool, Statement},
    replica::{Replica, Share},
    search_repository::searches_share,
    vote_batcher::{Vote, VoteBatcher},
};
use crate::domain::{
    CleanImage, ClientKeys, Cursor, Freshness, ImageHash, NewPost, PageRequest, Post, PostState,
    ScoreChange, TokenHash,
};

/// A post to insert: what its author wrote, the state it starts in, the hash of its delete
/// token and its poster's keys.
#[derive(Debug, Clone, Copy)]
pub struct NewRow<'a> {
    pub post: &'a NewPost,
    pub state: PostState,
    pub delete_token: &'a TokenHash,
    pub poster: &'a ClientKeys,
}

/// What [`PostRepository::insert`] did.
#[derive(Debug)]
pub enum Insertion {
    Inserted(Post),
    Refused(Refusal),
}

/// Why a post was not inserted, whatever it was: nothing was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The poster is banned at either width (`until`: `None` for good).
    Banned { until: Option<DateTime<Utc>> },
    /// The username is a moderator's name.
    ModeratorsName,
}

/// A `query_as!` of [`Post`]s as the public sees them: the one column list of a post read
/// from `visible_posts`, then the rest of the query (`$rest`, a string literal) and its
/// arguments. (sqlx takes only literals, so a macro, not a constant.)
macro_rules! select_visible_posts {
    ($rest:tt $(, $argument:expr)* $(,)?) => {
        sqlx::query_as!(
            Post,
            r#"SELECT id AS "id!", title AS "title!", post AS "post!", username AS "username!",
                      score AS "score!", image_hash, image_width, image_height,
                      created_at AS "created_at!", hot AS "hot!"
               FROM visible_posts "# + $rest
            $(, $argument)*
        )
    };
}

#[derive(Clone)]
pub struct PostRepository {
    pub(super) pool: DbPool,
    /// The searches' share of `pool` (see `search_repository::searches_share`).
    pub(super) search_pool: DbPool,
    /// Where the public board's reads go while it is fresh enough (`DATABASE_REPLICA_URL`).
    pub(super) replica: Option<Replica>,
    votes: VoteBatcher,
    creates: CreateBatcher,
}

impl PostRepository {
    /// `votes` writes the votes and `creates` the posts without an image (see
    /// [`VoteBatcher::start`] and [`CreateBatcher::start`] for the tasks they need).
    pub fn new(pool: DbPool, votes: VoteBatcher, creates: CreateBatcher) -> Self {
        let search_pool = searches_share(&pool);
        Self {
            pool,
            search_pool,
            replica: None,
            votes,
            creates,
        }
    }

    /// Reads the board from `replica` while it is fresh enough (see `replica`).
    pub fn with_replica(self, replica: Replica) -> Self {
        Self {
            replica: Some(replica),
            ..self
        }
    }

    /// Runs a read of the public board on the replica when it may serve `freshness` (see
    /// `replica`), else on the primary. The primary is asked too when the replica fails the
    /// read, or gives an answer that `accept` turns down (a post not found: the replica may
    /// not have it yet).
    pub(super) async fn read_board<T: Send>(
        &self,
        freshness: Freshness,
        share: Share,
        query: impl Statement<T>,
        accept: fn(&T) -> bool,
    ) -> Result<T, RepositoryError> {
        if let Some(replica) = &self.replica
            && let Some(pool) = replica.pool_for(freshness, share)
        {
            match pool.read(&query).await {
                Ok(answer) if accept(&answer) => {
                    replica.answered();
                    return Ok(answer);
                }
                Ok(_) => replica.lacked(),
                Err(error) => replica.failed(&error),
            }
        }
        share.of(&self.pool, &self.search_pool).read(query).await
    }

    /// Inserts a post without an image, unless its poster is banned or its username is a
    /// moderator's name; creates that arrive together are inserted by one statement (see
    /// `create_batcher`). (With an image: `begin_image_upload`, in `post_lifecycle`, which
    /// first makes sure the image's object exists.)
    #[tracing::instrument(name = "repository.insert", skip_all)]
    pub async fn insert(&self, row: NewRow<'_>) -> Result<Insertion, RepositoryError> {
        match self.creates.insert(RowValues::of(&row, None)).await? {
            Some(post) => Ok(Insertion::Inserted(post)),
            None => Ok(Insertion::Refused(
                self.pool.read(|db| refusal_of(db, &row)).await?,
            )),
        }
    }

    /// Adds `change` to the score, atomically: concurrent votes never lose an update. Votes
    /// that arrive together are written by one statement (see `vote_batcher`), which also
    /// refuses the votes of banned voters.
    #[tracing::instrument(name = "repository.add_to_score", skip(self, voter))]
    pub async fn add_to_score(
        &self,
        post_id: i64,
        change: ScoreChange,
        voter: ClientKeys,
    ) -> Result<Vote, RepositoryError> {
        self.votes.add(post_id, change, voter).await
    }

    /// The post `id`, when there is one that the public may see. (Every read of the board
    /// goes through `visible_posts`: see the migration `post_states_and_reports`.)
    #[tracing::instrument(name = "repository.find", skip(self))]
    pub async fn find(
        &self,
        id: i64,
        freshness: Freshness,
    ) -> Result<Option<Post>, RepositoryError> {
        // A post the replica lacks may be one it has not replayed yet: the primary is asked.
        self.read_board(
            freshness,
            Share::Whole,
            |db| Box::pin(select_visible_posts!("WHERE id = $1", id).fetch_optional(db)),
            Option::is_some,
        )
        .await
    }

    /// Whether a visible post shows this image: only then is it served.
    pub async fn image_shown(&self, image: &ImageHash) -> Result<bool, RepositoryError> {
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_scalar!(
                        r#"SELECT EXISTS (SELECT 1 FROM visible_posts WHERE image_hash = $1) AS "shown!""#,
                        image.as_str(),
                    )
                    .fetch_one(db),
                )
            })
            .await
    }

    /// One page, plus one extra row that tells whether another page exists. Every query walks
    /// an index from where the page starts (a first page starts before every post: see
    /// `PageRequest::start`): the cost does not grow with the size of the board.
    #[tracing::instrument(name = "repository.page", skip(self))]
    pub async fn page(
        &self,
        page: &PageRequest,
        freshness: Freshness,
    ) -> Result<Vec<Post>, RepositoryError> {
        let fetch = i64::from(page.limit.get()) + 1;
        let start = page.start();
        self.read_board(
            freshness,
            Share::Whole,
            |db| page_after(db, start, fetch),
            |_| true,
        )
        .await
    }

    /// Images of posts stored before sizes were recorded, whose size is still unknown, but for
    /// those in `except`.
    pub async fn images_without_size(
        &self,
        limit: i64,
        except: &[String],
    ) -> Result<Vec<String>, RepositoryError> {
        self.pool
            .read(|db| {
                Box::pin(
                    sqlx::query_scalar!(
                        r#"SELECT DISTINCT image_hash AS "hash!" FROM posts
                           WHERE image_hash IS NOT NULL AND image_width IS NULL
                             AND image_hash <> ALL($2)
                           LIMIT $1"#,
                        limit,
                        except,
                    )
                    .fetch_all(db),
                )
            })
            .await
    }

    /// Records the displayed size of an image on every post that shows it.
    pub async fn set_image_size(
        &self,
        hash: &ImageHash,
        width: u32,
        height: u32,
    ) -> Result<(), RepositoryError> {
        let size = |side: u32| i32::try_from(side).unwrap_or(i32::MAX);
        self.pool
            .write(|db| {
                let update = sqlx::query!(
                    "UPDATE posts SET image_width = $2, image_height = $3
                     WHERE image_hash = $1 AND image_width IS NULL",
                    hash.as_str(),
                    size(width),
                    size(height),
                );
                Box::pin(async move { update.execute(db).await.map(drop) })
            })
            .await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), RepositoryError> {
        self.pool
            .read(|db| {
                let one = sqlx::query!("SELECT 1 AS one");
                Box::pin(async move { one.fetch_one(db).await.map(drop) })
            })
            .await
    }
}

/// The `fetch` visible posts after `start`, in its order.
fn page_after<'c>(
    db: &'c mut PgConnection,
    start: Cursor,
    fetch: i64,
) -> BoxFuture<'c, Result<Vec<Post>, sqlx::Error>> {
    match start {
        Cursor::New { id } => Box::pin(
            select_visible_posts!("WHERE id < $1 ORDER BY id DESC LIMIT $2", id, fetch)
                .fetch_all(db),
        ),
        Cursor::Top { score, id } => Box::pin(
            select_visible_posts!(
                "WHERE (score, id) < ($1, $2) ORDER BY score DESC, id DESC LIMIT $3",
                score,
                id,
                fetch,
            )
            .fetch_all(db),
        ),
        Cursor::Hot { hot_bits, id } => Box::pin(
            select_visible_posts!(
                "WHERE (hot, id) < ($1, $2) ORDER BY hot DESC, id DESC LIMIT $3",
                f64::from_bits(hot_bits),
                id,
                fetch,
            )
            .fetch_all(db),
        ),
    }
}

/// One post's row as [`insert_rows`] takes it: owned, since a batch of creates outlives the
/// requests that made it.
#[derive(Debug, Clone)]
pub(super) struct RowValues {
    title: String,
    post: String,
    username: String,
    image: Option<ImageValues>,
    delete_token_hash: Vec<u8>,
    poster_address: Vec<u8>,
    poster_network: Vec<u8>,
    state: &'static str,
}

#[derive(Debug, Clone)]
struct ImageValues {
    hash: String,
    width: i32,
    height: i32,
}

impl RowValues {
    pub(super) fn of(row: &NewRow<'_>, image: Option<&CleanImage>) -> Self {
        let size = |side: u32| i32::try_from(side).expect("at most MAX_SIDE");
        Self {
            title: row.post.title.as_str().to_owned(),
            post: row.post.text.as_str().to_owned(),
            username: row.post.username.as_str().to_owned(),
            image: image.map(|image| ImageValues {
                hash: image.hash.as_str().to_owned(),
                width: size(image.width),
                height: size(image.height),
            }),
            delete_token_hash: row.delete_token.as_bytes().to_vec(),
            poster_address: row.poster.address.as_bytes().to_vec(),
            poster_network: row.poster.network.as_bytes().to_vec(),
            state: row.state.as_stored(),
        }
    }

    /// What tells this row apart in what [`insert_rows`] returns.
    pub(super) fn delete_token_hash(&self) -> &[u8] {
        &self.delete_token_hash
    }
}

/// A post [`insert_rows`] inserted, with its delete token's hash.
pub(super) struct InsertedRow {
    pub delete_token_hash: Vec<u8>,
    pub post: Post,
}

/// The one `INSERT` of posts: the rows of a batch of creates without an image
/// (`create_batcher`), or the one row of a create with an image (`post_lifecycle`), each with
/// its poster's keys (for bans; never an address). A row is left out when its poster is
/// banned (at either width), or when its username is a moderator's name (any case): a
/// moderator's name shows in the moderation log only, never on a post. Asked by the insert
/// itself, not by statements of their own.
pub(super) fn insert_rows<'c>(
    db: &'c mut PgConnection,
    rows: &[RowValues],
) -> BoxFuture<'c, Result<Vec<InsertedRow>, sqlx::Error>> {
    // One array per column, one element per row.
    let text = |value: fn(&RowValues) -> &str| -> Vec<&str> { rows.iter().map(value).collect() };
    let bytes = |value: fn(&RowValues) -> &[u8]| -> Vec<&[u8]> { rows.iter().map(value).collect() };
    let images = || rows.iter().map(|row| row.image.as_ref());
    let image_hashes: Vec<Option<&str>> = images()
        .map(|image| image.map(|image| image.hash.as_str()))
        .collect();
    let image_widths: Vec<Option<i32>> = images()
        .map(|image| image.map(|image| image.width))
        .collect();
    let image_heights: Vec<Option<i32>> = images()
        .map(|image| image.map(|image| image.height))
        .collect();
    let insert = sqlx::query!(
        r#"INSERT INTO posts (title, post, username, image_hash, image_width, image_height,
                              delete_token_hash, poster_address, poster_network, state)
           SELECT n.title, n.post, n.username, n.image_hash, n.image_width, n.image_height,
                  n.delete_token_hash, n.poster_address, n.poster_network, n.state
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::int4[],
                       $7::bytea[], $8::bytea[], $9::bytea[], $10::text[])
               AS n(title, post, username, image_hash, image_width, image_height,
                    delete_token_hash, poster_address, poster_network, state)
           WHERE NOT EXISTS (SELECT 1 FROM moderators WHERE name = lower(n.username))
             AND NOT EXISTS (SELECT 1 FROM bans_in_force
                             WHERE client_key IN (n.poster_address, n.poster_network))
           RETURNING delete_token_hash AS "delete_token_hash!", id, title, post, username,
                     score, image_hash, image_width, image_height, created_at, hot AS "hot!""#,
        &text(|row| &row.title) as &[&str],
        &text(|row| &row.post) as &[&str],
        &text(|row| &row.username) as &[&str],
        &image_hashes as &[Option<&str>],
        &image_widths as &[Option<i32>],
        &image_heights as &[Option<i32>],
        &bytes(RowValues::delete_token_hash) as &[&[u8]],
        &bytes(|row| &row.poster_address) as &[&[u8]],
        &bytes(|row| &row.poster_network) as &[&[u8]],
        &text(|row| row.state) as &[&str],
    );
    Box::pin(async move {
        let rows = insert.fetch_all(db).await?;
        Ok(rows
            .into_iter()
            .map(|row| InsertedRow {
                delete_token_hash: row.delete_token_hash,
                post: post_of_row!(row),
            })
            .collect())
    })
}

/// Why [`insert_rows`] left a row out: read after the fact, so that an insert that goes
/// through pays for no statement of this.
pub(super) fn refusal_of<'c>(
    db: &'c mut PgConnection,
    row: &NewRow<'_>,
) -> BoxFuture<'c, Result<Refusal, sqlx::Error>> {
    let latest_ban = sqlx::query!(
        r#"SELECT until FROM bans_in_force WHERE client_key IN ($1, $2)
           ORDER BY until DESC NULLS FIRST LIMIT 1"#,
        row.poster.address.as_bytes(),
        row.poster.network.as_bytes(),
    );
    Box::pin(async move {
        Ok(match latest_ban.fetch_optional(db).await? {
            Some(ban) => Refusal::Banned { until: ban.until },
            None => Refusal::ModeratorsName,
        })
    })
}
