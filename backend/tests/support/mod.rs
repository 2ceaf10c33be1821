//! What the integration tests share, by concern: the app under test (`app`), its database
//! (`db`), its S3 server (`s3`), the proxies a test cuts to make an outage (`proxy`), PgBouncer
//! in front of PostgreSQL (`pgbouncer`), a live-events client (`sse`), and PostgreSQL servers
//! of a test's own, a primary with its standbys (`pg_servers`). Image fixtures are
//! the `postboard-test-fixtures` crate, shared with the unit tests.
//!
//! Each test binary includes this module and uses only part of it (hence the allows).
#![allow(dead_code)]

mod app;
mod db;
pub mod pg_servers;
pub mod pgbouncer;
mod proxy;
mod s3;
mod sse;

// Each test binary uses part of these.
#[allow(unused_imports)]
pub use self::{app::*, db::*, proxy::*, s3::*, sse::*};
#[allow(unused_imports)]
pub use postboard_test_fixtures::{GIF, WEBP, jpeg, png, png_claiming, png_of_len};
