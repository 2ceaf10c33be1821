//! Persistence of posts in PostgreSQL. The only module that speaks SQL.

mod post_repository;

pub use post_repository::PostRepository;
