//! Postboard: post, vote and share images. The layers, `http` → `service` → `repository`
//! (PostgreSQL) / `storage` (S3) / `imaging`, with `domain` types shared by all, and the flows
//! through them are drawn in docs/architecture.md.

pub mod config;
pub mod domain;
pub mod http;
pub mod imaging;
pub mod observe;
pub mod operator;
pub mod repository;
pub mod service;
pub mod startup;
pub mod storage;
