//! Persistence of posts in PostgreSQL. The only module that speaks SQL.

mod pool;
mod post_repository;

pub use pool::{DbPool, PoolError};
pub use post_repository::PostRepository;
