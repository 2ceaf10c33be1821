//! A fresh PostgreSQL database for each test, dropped when the test ends.

use std::net::SocketAddr;

use sqlx::{Connection, Executor, PgConnection, PgPool};

/// A fresh database of its own, dropped (even after a failed test) when the test ends.
pub struct TestDatabase {
    pub pool: PgPool,
    name: String,
    admin_url: String,
}

impl TestDatabase {
    fn admin_url() -> String {
        std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
    }

    pub async fn create() -> Self {
        Self::create_on(&Self::admin_url()).await
    }

    /// A fresh database on the server of `admin_url` (a URL that may create databases).
    pub async fn create_on(admin_url: &str) -> Self {
        let admin_url = admin_url.to_owned();
        let name = format!("postboard_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL answers at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)");
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .unwrap();
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect(&with_database(&admin_url, &name))
            .await
            .unwrap();
        Self {
            pool,
            name,
            admin_url,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PostgreSQL server's address, to put a proxy in front of.
    pub fn server_addr(&self) -> SocketAddr {
        let options = self.pool.connect_options();
        let host = options.get_host();
        let host = if host.starts_with('/') || host == "localhost" {
            "127.0.0.1"
        } else {
            host
        };
        std::net::ToSocketAddrs::to_socket_addrs(&(host, options.get_port()))
            .unwrap_or_else(|e| panic!("resolve {host}: {e}"))
            .next()
            .unwrap()
    }

    /// The URL of this database through `addr` (a proxy).
    pub fn url_via(&self, addr: SocketAddr) -> String {
        let options = self.pool.connect_options();
        let user = options.get_username();
        let mut url = reqwest::Url::parse(&with_database(&self.admin_url, &self.name)).unwrap();
        url.set_host(Some(&addr.ip().to_string())).unwrap();
        url.set_port(Some(addr.port())).unwrap();
        url.set_username(user).unwrap();
        url.to_string()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async; a thread of its own may block on a small runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&admin_url).await {
                    let _ = admin
                        .execute(
                            format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

fn with_database(url: &str, database: &str) -> String {
    let mut url = reqwest::Url::parse(url).unwrap();
    url.set_path(&format!("/{database}"));
    url.to_string()
}
