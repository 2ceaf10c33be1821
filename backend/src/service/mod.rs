//! The rules of the board, between the HTTP layer and storage.

mod post_service;

pub use post_service::{NewPostInput, Page, PostService};
