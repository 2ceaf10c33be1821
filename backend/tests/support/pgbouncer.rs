//! A real PgBouncer (Debian's `pgbouncer`, 1.18) in transaction mode between the test apps and
//! PostgreSQL. With `TEST_VIA_PGBOUNCER=1` (the second API run of `make test`), every test
//! app's `DATABASE_URL` leads through it (`DATABASE_POOLER=transaction`), and its
//! `DATABASE_LISTEN_URL` straight to PostgreSQL, as docs/configuration.md tells operators.
//!
//! One PgBouncer serves the whole test process: its `*` database entry takes every test's
//! database. It runs as the user `postgres` (it refuses root), with its files in a temporary
//! folder; a shell beside it stops it when the test process ends (its stdin closes).

use std::{
    io::Write,
    net::{SocketAddr, TcpListener, TcpStream},
    os::unix::fs::PermissionsExt,
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

/// Whether the tests' apps go through PgBouncer (`TEST_VIA_PGBOUNCER=1`).
pub fn enabled() -> bool {
    std::env::var("TEST_VIA_PGBOUNCER").is_ok_and(|value| value == "1")
}

/// The address of the test process's PgBouncer in front of `postgres`, started on first use.
pub fn address(postgres: SocketAddr) -> SocketAddr {
    static PGBOUNCER: OnceLock<PgBouncer> = OnceLock::new();
    PGBOUNCER.get_or_init(|| PgBouncer::start(postgres)).addr
}

struct PgBouncer {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
    _process: Child,
}

/// Server sessions per database: fewer than a test app's 8 connections, so that its
/// statements do share sessions, as they do in production.
const POOL_SIZE: usize = 4;

impl PgBouncer {
    fn start(postgres: SocketAddr) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // PgBouncer runs as `postgres`: it reads its files and writes nothing but its log.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Clients are trusted; PgBouncer logs in to PostgreSQL as TEST_DATABASE_URL's user,
        // with its password (from this file).
        let admin = reqwest::Url::parse(
            &std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        )
        .unwrap();
        let users = dir.path().join("users.txt");
        std::fs::write(
            &users,
            format!(
                "\"{}\" \"{}\"\n",
                admin.username(),
                admin.password().unwrap_or("")
            ),
        )
        .unwrap();
        let ini = dir.path().join("pgbouncer.ini");
        let mut file = std::fs::File::create(&ini).unwrap();
        write!(
            file,
            "[databases]
* = host={host} port={pg_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {POOL_SIZE}
max_client_conn = 2000
ignore_startup_parameters = extra_float_digits
log_connections = 0
log_disconnections = 0
",
            host = postgres.ip(),
            pg_port = postgres.port(),
            users = users.display(),
        )
        .unwrap();
        drop(file);
        for file in [&users, &ini] {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let script = format!(
            "pgbouncer {} & pid=$!; read _; kill $pid; wait $pid",
            ini.display()
        );
        let process = Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("su runs (TEST_VIA_PGBOUNCER=1 needs root and the pgbouncer package)");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "PgBouncer did not listen on {addr} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            addr,
            _dir: dir,
            _process: process,
        }
    }
}
