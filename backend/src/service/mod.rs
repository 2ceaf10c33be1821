//! The rules of the board, between the HTTP layer and storage. Its inputs are domain types,
//! already validated: nothing invalid can reach it.

mod error;
mod post_deletion;
mod post_service;

pub use error::ServiceError;
pub use post_service::{Created, Page, PostService};
