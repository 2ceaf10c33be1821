//! End-to-end tests of the HTTP API against a real PostgreSQL (a fresh database per test) and a
//! real S3 server (s3s-fs, checking SigV4 signatures) speaking HTTP on loopback.

#[path = "../support/mod.rs"]
mod support;

mod bans;
mod behind_nginx;
mod create_post;
mod deleting;
mod feed;
mod framework;
mod hardening;
mod image_cache;
mod image_processing;
mod images;
mod list_posts;
mod live;
mod metrics;
mod moderation;
mod moderator_support;
mod outages;
mod pgbouncer;
mod post_pages;
mod premoderation;
mod purge;
mod rate_limits;
mod reports;
mod search;
mod static_files;
mod votes;
