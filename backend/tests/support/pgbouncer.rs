//! A real PgBouncer (Debian's `pgbouncer`, 1.18) in transaction mode between the test apps and
//! PostgreSQL. With `TEST_VIA_PGBOUNCER=1` (the second API run of `make test`), every test
//! app's `DATABASE_URL` leads through it (`DATABASE_POOLER=transaction`), and its
//! `DATABASE_LISTEN_URL` straight to PostgreSQL, as docs/configuration.md tells operators.
//!
//! One PgBouncer serves the whole test process: its `*` database entry takes every test's
//! database. (The failover drill starts one of its own, and repoints it.) It runs as the user `postgres` (it refuses root), with its files in a temporary
//! folder; a shell beside it stops it when the test process ends (its stdin closes).

use std::{
    io::Write,
    net::{SocketAddr, TcpListener, TcpStream},
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
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
    PGBOUNCER
        .get_or_init(|| PgBouncer::start(&every_database_on(postgres)))
        .addr
}

/// A `[databases]` section that passes every database name to the server at `postgres`.
pub fn every_database_on(postgres: SocketAddr) -> String {
    format!("* = host={} port={}\n", postgres.ip(), postgres.port())
}

pub struct PgBouncer {
    pub addr: SocketAddr,
    ini: PathBuf,
    dir: tempfile::TempDir,
    _process: Child,
}

/// Server sessions per database: fewer than a test app's 8 connections, so that its
/// statements do share sessions, as they do in production.
const POOL_SIZE: usize = 4;

impl PgBouncer {
    /// PgBouncer in transaction mode with this `[databases]` section (where a database may
    /// set `pool_mode=session` of its own).
    pub fn start(databases: &str) -> Self {
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
        std::fs::set_permissions(&users, std::fs::Permissions::from_mode(0o644)).unwrap();
        let ini = dir.path().join("pgbouncer.ini");
        PgBouncerConfig {
            ini: &ini,
            port,
            users: &users,
        }
        .write(databases);
        let script = format!(
            "pgbouncer -q {} & pid=$!; read _; kill $pid; wait $pid",
            ini.display()
        );
        let process = Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("su runs (PgBouncer needs root and the pgbouncer package)");
        let bouncer = Self {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            ini,
            dir,
            _process: process,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(bouncer.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "PgBouncer did not listen on {} within 10 s",
                bouncer.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        bouncer
    }

    /// Points PgBouncer at other servers: rewrites `[databases]`, then `RELOAD` on its admin
    /// console, as an operator repoints it after a failover. Sessions to the old servers are
    /// closed as they come back; new ones go to the new servers.
    pub fn repoint(&self, databases: &str) {
        PgBouncerConfig {
            ini: &self.ini,
            port: self.addr.port(),
            users: &self.dir.path().join("users.txt"),
        }
        .write(databases);
        let reload = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.addr.port().to_string(),
                "-U",
                "postgres",
                "-d",
                "pgbouncer",
                "-c",
                "RELOAD",
            ])
            .output()
            .expect("psql runs");
        assert!(
            reload.status.success(),
            "RELOAD: {}",
            String::from_utf8_lossy(&reload.stderr)
        );
    }
}

struct PgBouncerConfig<'a> {
    ini: &'a Path,
    port: u16,
    users: &'a Path,
}

impl PgBouncerConfig<'_> {
    fn write(&self, databases: &str) {
        let mut file = std::fs::File::create(self.ini).unwrap();
        write!(
            file,
            "[databases]
{databases}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
admin_users = postgres
pool_mode = transaction
default_pool_size = {POOL_SIZE}
max_client_conn = 2000
ignore_startup_parameters = extra_float_digits
server_login_retry = 1
log_connections = 0
log_disconnections = 0
",
            port = self.port,
            users = self.users.display(),
        )
        .unwrap();
        drop(file);
        std::fs::set_permissions(self.ini, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
}
