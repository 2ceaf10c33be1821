//! Postboard: post, vote and share images. See the README for the architecture:
//! `http` → `service` → `repository` (PostgreSQL) / `storage` (S3), with `domain` types
//! shared by all layers.

pub mod config;
pub mod domain;
pub mod http;
pub mod imaging;
pub mod metrics;
pub mod operator;
pub mod repository;
pub mod service;
pub mod startup;
pub mod storage;
pub mod telemetry;
