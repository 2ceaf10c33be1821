//! PostgreSQL servers of a test's own: a primary and its streaming standbys (made with
//! `pg_basebackup -R`), from the machine's PostgreSQL binaries (Debian's `postgresql`), each in
//! a temporary folder on a port of its own. For the read-replica and failover tests, which
//! pause, stop, kill and promote servers, as they can't do to the shared one.
//!
//! The servers run as the user `postgres` when the tests run as root (PostgreSQL refuses
//! root), and are killed when dropped.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

pub struct PgServer {
    pub port: u16,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl PgServer {
    /// A new primary, started: WAL for replicas, every client trusted (on loopback only).
    pub fn primary() -> Self {
        let (dir, data) = server_folder();
        run_as_owner(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let server = Self {
            port: free_port(),
            data,
            _dir: dir,
        };
        server.configure(&[
            "wal_level = replica",
            "max_wal_senders = 10",
            "max_connections = 200",
            // Test data: nothing needs to survive a crash of the machine.
            "fsync = off",
        ]);
        server.start();
        server
    }

    /// A streaming standby of this server, started, that reports to it as `name` (which
    /// `synchronous_standby_names` may list), and serves reads (hot standby).
    pub fn standby(&self, name: &str) -> Self {
        let (dir, data) = server_folder();
        let from = format!(
            "host=127.0.0.1 port={} user=postgres application_name={name}",
            self.port
        );
        run_as_owner(
            "pg_basebackup",
            &[
                "-d",
                &from,
                "-D",
                path(&data),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        let server = Self {
            port: free_port(),
            data,
            _dir: dir,
        };
        server.configure(&["hot_standby = on", &format!("primary_conninfo = '{from}'")]);
        server.start();
        server
    }

    /// Appends settings to the server's configuration (the later of two settings wins), with
    /// its own port and no Unix socket.
    fn configure(&self, settings: &[&str]) {
        let mut conf = std::fs::read_to_string(self.data.join("postgresql.conf")).unwrap();
        for setting in [
            format!("port = {}", self.port).as_str(),
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
        ]
        .iter()
        .chain(settings)
        {
            conf.push_str(setting);
            conf.push('\n');
        }
        std::fs::write(self.data.join("postgresql.conf"), conf).unwrap();
    }

    /// Sets the primary's `synchronous_standby_names`: a commit is acknowledged once these
    /// standbys have it too.
    pub fn require_synchronous(&self, names: &str) {
        self.configure(&[&format!("synchronous_standby_names = '{names}'")]);
        self.pg_ctl(&["reload"]);
    }

    pub fn start(&self) {
        let log = self.data.join("server.log");
        self.pg_ctl(&["start", "-w", "-t", "60", "-l", path(&log)]);
    }

    /// Stops the server as a crash would (`-m immediate`): no checkpoint, clients cut off.
    pub fn kill(&self) {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"]);
    }

    /// Makes a standby the primary (`pg_ctl promote`), once it is.
    pub fn promote(&self) {
        self.pg_ctl(&["promote", "-w", "-t", "60"]);
    }

    fn pg_ctl(&self, args: &[&str]) {
        let mut all = vec!["-D", path(&self.data)];
        all.extend_from_slice(args);
        run_as_owner("pg_ctl", &all);
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The superuser's URL of the `postgres` database, to create test databases with.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The server's log so far, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = as_owner(
            "pg_ctl",
            &["-D", path(&self.data), "stop", "-m", "immediate"],
        );
    }
}

/// A temporary folder, and the data folder to be inside it, both the server owner's.
fn server_folder() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    if running_as_root() {
        let chown = Command::new("chown")
            .args(["postgres:", path(dir.path())])
            .status()
            .unwrap();
        assert!(chown.success(), "chown postgres: {}", dir.path().display());
    }
    let data = dir.path().join("data");
    (dir, data)
}

fn running_as_root() -> bool {
    static ROOT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ROOT.get_or_init(|| {
        let id = Command::new("id").arg("-u").output().expect("id -u runs");
        String::from_utf8_lossy(&id.stdout).trim() == "0"
    })
}

/// The folder of the newest PostgreSQL's server binaries (`PG_BINDIR` wins).
fn bindir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        return dir.into();
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries in /usr/lib/postgresql (Debian's postgresql), or PG_BINDIR")
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("pg_ctl").exists())
        .collect();
    versions.sort_by_key(|bin| {
        bin.parent()
            .and_then(|version| version.file_name()?.to_str()?.parse::<u32>().ok())
    });
    versions.pop().expect("a PostgreSQL version with pg_ctl")
}

fn as_owner(program: &str, args: &[&str]) -> std::io::Result<Output> {
    let program = bindir().join(program);
    let mut command = if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&program);
        command
    } else {
        Command::new(&program)
    };
    command.args(args).current_dir("/").output()
}

fn run_as_owner(program: &str, args: &[&str]) {
    let output = as_owner(program, args).unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `check` holds, for at most `within`; panics with `what` otherwise.
pub async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
