"""The databases of bench/run.py: fresh boards, seeded with SQL, kept in the same state before
every run, and the EXPLAIN plans of the app's statements on them."""
import glob
import json
import os
import subprocess

from harness import (
    FASTAPI_DIR,
    FASTAPI_VENV,
    ROOT,
    Bench,
    die,
    log,
    run,
    sqlalchemy_url,
    url_with,
    warn,
)

# A first page starts after a cursor before every post (domain::Cursor::before_first): the
# greatest id (and score), or an infinite rank.
BEFORE_FIRST = "9223372036854775807"


def psql_db(url: str, *commands: str, check: bool = True, stdout=subprocess.PIPE):
    """Each of COMMANDS with psql -c on URL; their output without its last newline (or None
    when check is off and psql failed)."""
    args = ["psql", url, "-w", "-v", "ON_ERROR_STOP=1", "-qtAX"]
    for command in commands:
        args += ["-c", command]
    done = subprocess.run(args, stdout=stdout, text=True)
    if done.returncode != 0:
        if check:
            die(f"psql failed on {url.rsplit('/', 1)[-1]}: {commands[-1].strip()[:120]}")
        return None
    return done.stdout.rstrip("\n") if done.stdout is not None else ""


def psql_admin(b: Bench, sql: str) -> str:
    return psql_db(b.pg_admin_url, sql)


def fresh_database(b: Bench, name: str) -> str:
    """Drops and recreates NAME (lib.sh's fresh_database); its URL."""
    log(f"Creating a fresh database {name}")
    psql_admin(b, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql_admin(b, f"CREATE DATABASE {name}")
    return url_with(b.pg_admin_url, db=name)


def seeded_rows(first: int, last: int) -> str:
    """The seed's posts FIRST..LAST (title, post, username, score, created_at), as a SELECT."""
    return f"""
        SELECT 'Seeded post ' || g,
               'Seeded text of post ' || g || ', tag' || (g % 1000) || '. '
                 || repeat('Lorem ipsum dolor sit amet. ', 4),
               'seed' || (g % 100),
               (random() * 200)::bigint - 100,
               now() - (({last} - g) * interval '1 second')
        FROM generate_series({first}, {last}) AS g"""


def checkpoint(url: str) -> None:
    """Writes the seed's pages out now (hundreds of MB at 1 000 000 posts), so that no scenario
    shares the disk and CPU with their flushing. CHECKPOINT needs a superuser or
    pg_checkpoint."""
    if psql_db(url, "CHECKPOINT", check=False) is None:
        warn("CHECKPOINT refused: background writes may overlap the next scenario")
    os.sync()


def seed_posts(url: str, first: int, last: int) -> None:
    """Posts FIRST..LAST with SQL (ids come from the identity column, so a fresh table gets
    ids FIRST..LAST), spread over random scores for the top listing, and their search documents
    (in `post_search`, where the schema has it), then VACUUM ANALYZE and CHECKPOINT."""
    # The secondary indexes are built once after the insert, not row by row (the search index
    # alone took the seed from about 1 to many minutes): their definitions are read back from
    # the catalog, so they are exactly the migrations' own. A baseline's schema may predate
    # `post_search` (migration search_documents_apart).
    tables = "'posts'::regclass, to_regclass('post_search')"
    indexes = psql_db(url, f"""
        SELECT string_agg(pg_get_indexdef(indexrelid), '; ')
        FROM pg_index WHERE indrelid IN ({tables}) AND NOT indisprimary""")
    psql_db(url, f"""
        DO $$ DECLARE name text; BEGIN
          FOR name IN SELECT indexrelid::regclass::text FROM pg_index
                      WHERE indrelid IN ({tables}) AND NOT indisprimary LOOP
            EXECUTE 'DROP INDEX ' || name;
          END LOOP;
        END $$""")
    # Without triggers (session_replication_role): the seed is not news for live clients, and
    # a million `post` events in one transaction would only slow it down. The trigger that
    # writes each post's search document is off too: the documents are written after, at once.
    psql_db(url, "SET session_replication_role = replica", f"""
        INSERT INTO posts (title, post, username, score, created_at) {seeded_rows(first, last)}""")
    if psql_db(url, "SELECT to_regclass('post_search') IS NOT NULL") == "t":
        psql_db(url, f"""
            INSERT INTO post_search (post_id, document)
            SELECT id, post_search_document(title, post, username) FROM posts
            WHERE id BETWEEN {first} AND {last}""")
    if indexes:
        psql_db(url, indexes)
    psql_db(url, "VACUUM ANALYZE")
    checkpoint(url)


def fastapi_board(b: Bench) -> None:
    """The FastAPI design's own database (BENCH_DB_fastapi, dropped and recreated): its table
    made by the app itself (Base.metadata.create_all, when app.py is imported), then the same
    BENCH_POSTS posts as the big board (the same SQL; the table has no search documents nor
    moderation: the original had neither), VACUUM ANALYZE and CHECKPOINT."""
    b.db_fastapi = fresh_database(b, f"{b.s.db}_fastapi")
    run([FASTAPI_VENV / "bin" / "python", "-c", "import app"], "the FastAPI design's create_all",
        cwd=FASTAPI_DIR, env={**os.environ, "DATABASE_URL": sqlalchemy_url(b.db_fastapi)})
    log(f"Seeding {b.s.posts} posts into the FastAPI design's table")
    psql_db(b.db_fastapi, f"""
        INSERT INTO posts (title, post, username, score, created_at)
        {seeded_rows(1, b.s.posts)}""")
    psql_db(b.db_fastapi, "VACUUM ANALYZE")
    checkpoint(b.db_fastapi)


def seed_moderation(b: Bench, url: str) -> None:
    """What moderation leaves in a board that has run for a while: BENCH_BANS bans (a third
    for good, a third running, a third expired; random client keys, so the bench's own client
    is never banned) and BENCH_REPORTS open reports on random posts, then ANALYZE. Votes read
    the bans of their voters; lists must not notice either table."""
    psql_db(url, f"""
        INSERT INTO bans (scope, client_key, post_id, reason, moderator, created_at, until)
        SELECT CASE WHEN g % 2 = 0 THEN 'address' ELSE 'network' END,
               sha256(('bench ban ' || g)::bytea), g, 'Seeded ban', 'bench',
               now() - interval '40 days',
               CASE g % 3 WHEN 0 THEN NULL
                          WHEN 1 THEN now() + (g % 365) * interval '1 day'
                          ELSE now() - interval '1 day' END
        FROM generate_series(1, {b.s.bans}) AS g""", f"""
        INSERT INTO reports (post_id, reporter, reason, note)
        SELECT 1 + (g * 7919) % {b.s.posts}, sha256(('bench reporter ' || g)::bytea),
               (ARRAY['spam', 'abuse', 'illegal', 'sexual', 'other'])[1 + g % 5],
               CASE WHEN g % 4 = 0 THEN 'Seeded note ' || g END
        FROM generate_series(1, {b.s.reports}) AS g
        ON CONFLICT DO NOTHING""", "ANALYZE bans, reports")


def make_unsearched_copy(b: Bench) -> None:
    """A copy of the big board (a template copy, so the same pages) without search documents:
    no trigger writes one for a new post, and there is no search index to touch. The app runs on
    it as ever (only a search would fail, and no scenario searches there)."""
    name = f"{b.s.db}_unsearched"
    log(f"Copying the big board into {name}, without its search documents")
    psql_admin(b, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql_admin(b, f"CREATE DATABASE {name} TEMPLATE {b.s.db}")
    b.db_unsearched = url_with(b.pg_admin_url, db=name)
    psql_db(b.db_unsearched, "DROP TRIGGER posts_search_document ON posts",
            "DROP TABLE post_search")
    psql_db(b.db_unsearched, "VACUUM ANALYZE posts")


def settle_databases(b: Bench) -> None:
    """Before every run: VACUUM what the runs before wrote, then CHECKPOINT, so that every run
    starts from the same state. This machine's PostgreSQL runs without autovacuum (dead rows of
    earlier runs' votes would pile up, and later runs would pay for them), and a time-based
    checkpoint that lands in one run of an A B pair, but not in the other, writes out
    everything dirtied since the last one while that run is measured."""
    for url in (b.db_small, b.db_bench, b.db_unsearched, b.db_before):
        if url:
            psql_db(url, "VACUUM posts, events")
    if b.db_fastapi:  # the FastAPI design's table (no events)
        psql_db(b.db_fastapi, "VACUUM posts")
    if psql_db(b.db_bench, "CHECKPOINT", check=False) is None:
        warn("CHECKPOINT refused: a checkpoint may land in the next run")


def explain(b: Bench, url: str, title: str, statement: str, *arguments: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of STATEMENT with these arguments (SQL literals; default: 51,
    the limit) into plans.txt: the generic plan, as the app runs it (plan_cache_mode in
    startup.rs)."""
    values = ",".join(arguments or ("51",))
    with open(b.run_dir / "plans.txt", "a") as out:
        out.write(f"-- {title}\n{statement};  -- arguments: {values}\n")
        out.flush()
        psql_db(url, "SET plan_cache_mode = force_generic_plan", f"PREPARE q AS {statement}",
                f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE q({values})", stdout=out)
        out.write("\n")


def app_statement(text: str) -> str:
    """The SQL of the app's statement that contains TEXT, exactly as the app sends it: read
    from the sqlx offline data (.sqlx/), which the build checks against the code."""
    found = []
    for path in glob.glob(str(ROOT / ".sqlx" / "query-*.json")):
        with open(path) as f:
            query = json.load(f)["query"]
        if text in query:
            found.append(query)
    if len(found) != 1:
        die(f"{len(found)} statements in .sqlx contain {text!r}")
    return " ".join(found[0].split())
