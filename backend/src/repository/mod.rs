//! Persistence of posts in PostgreSQL. The only module that speaks SQL.

mod error;
mod event_repository;
mod pool;
mod post_repository;

pub use error::{BoxError, RepositoryError};
pub use event_repository::{EventListener, EventPage, EventRepository};
pub use pool::DbPool;
pub use post_repository::PostRepository;
