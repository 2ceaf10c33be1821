//! The rules of the board, between the HTTP layer and storage. Its inputs are domain types,
//! already validated: nothing invalid can reach it.

mod bans;
mod error;
mod live;
mod moderation;
mod post_deletion;
mod post_service;
mod purge;
mod rate_limiter;
mod replay_pages;
mod reports;
mod search;
mod shown_images;
mod stream_caps;

pub use bans::BanMade;
pub use error::ServiceError;
pub use live::{Delivery, LiveEvents, LiveStats};
pub use moderation::{Moderator, NewestFirstPage};
pub use post_service::{Created, ImageAnswer, ModerationRules, Page, PostService};
pub use rate_limiter::RateLimiter;
pub use stream_caps::{StreamCaps, StreamLimits};
