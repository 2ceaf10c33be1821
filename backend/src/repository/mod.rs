//! Persistence of posts in PostgreSQL. The only module that speaks SQL.

mod error;
mod pool;
mod post_lifecycle;
mod post_repository;

pub use error::{BoxError, RepositoryError};
pub use pool::DbPool;
pub use post_lifecycle::{Deletion, StorageWork};
pub use post_repository::PostRepository;
