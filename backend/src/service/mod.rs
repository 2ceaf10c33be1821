//! The rules of the board, between the HTTP layer and storage. Its inputs are domain types,
//! already validated: nothing invalid can reach it.

mod error;
mod live;
mod post_service;

pub use error::ServiceError;
pub use live::{Delivery, LiveEvents, LiveStats};
pub use post_service::{Page, PostService};
