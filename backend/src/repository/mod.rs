//! Persistence of posts in PostgreSQL. The only module that speaks SQL.

mod error;
mod pool;
mod post_repository;

pub use error::{BoxError, RepositoryError};
pub use pool::DbPool;
pub use post_repository::PostRepository;
