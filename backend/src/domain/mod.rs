//! Domain types: values that can only hold what the contract allows. They validate when
//! parsed and never do I/O, so every layer above can trust them.

mod ban;
mod client;
mod event;
mod fingerprint;
mod freshness;
mod image;
mod image_hash;
mod listing;
mod moderation;
mod moderator;
mod post;
mod public_url;
mod rate_limit;
mod report;
mod search;
mod text;
mod token;
mod vote;

pub use ban::{Ban, BanLength, BanScope, MAX_BAN_DAYS, NewBan};
pub use client::{ClientKey, ClientKeyer, ClientKeys, TrustedProxies, TrustedProxiesError};
pub use event::{Change, Event, LastEventId};
pub use fingerprint::{FINGERPRINT_BITS, Fingerprint, SAME_PICTURE_WITHIN};
pub use freshness::{CLOCK_MARGIN, Freshness};
pub use image::{
    CleanImage, ImageError, ImageKind, ImageUpload, MAX_PIXELS, MAX_SIDE, UploadedImage,
    VariantWidth,
};
pub use image_hash::ImageHash;
pub use listing::{Cursor, PageLimit, PageRequest, Sort};
pub use moderation::{ModLogEntry, ModReason, NewestFirst, PostState};
pub use moderator::ModeratorName;
pub use post::{NewPost, Post};
pub use public_url::{PublicUrl, PublicUrlError};
pub use rate_limit::{Gcra, RateLimit, RateLimitScope, RateLimitSyntaxError, retry_after_seconds};
pub use report::{NewReport, ReportNote, ReportReason};
pub use search::{SearchCursor, SearchQuery, SearchRequest};
pub use text::{
    BIDI_CONTROLS, INVISIBLE, PostText, TextField, Title, Username, is_bidi_control,
    is_forbidden_control, is_invisible,
};
pub use token::{DELETE_TOKEN_LEN, DeleteToken, ModeratorToken, TokenHash};
pub use vote::ScoreChange;

/// A well-formed input that breaks a rule of the contract (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("validation: {internal_message}")]
pub struct ValidationError {
    /// A sentence the browser app shows as is.
    pub user_message: String,
    /// Short and technical, e.g. `title: length 101 > 100`.
    pub internal_message: String,
}

impl ValidationError {
    pub fn new(user_message: impl Into<String>, internal_message: impl Into<String>) -> Self {
        Self {
            user_message: user_message.into(),
            internal_message: internal_message.into(),
        }
    }
}
