//! End-to-end tests of the HTTP API against a real PostgreSQL (a fresh database per test) and a
//! real S3 server (s3s-fs, checking SigV4 signatures) speaking HTTP on loopback.

mod helpers;

mod create_post;
mod deleting;
mod framework;
mod hardening;
mod images;
mod list_posts;
mod outages;
mod rate_limits;
mod votes;
