//! Which client a request comes from, for the rate limits: the socket's peer, or, behind a
//! trusted proxy, the address it reports (`X-Forwarded-For`; see
//! [`TrustedProxies::client_address`](crate::domain::TrustedProxies::client_address)).

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderName, request::Parts},
};

use super::{AppState, error::ApiError};

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client's address. It lives in memory for the request only: the rate limiter turns it
/// into a keyed hash, and it is never logged (no `Debug`, no span field).
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Err(ApiError::internal(
                "no peer address: the router must be served with connect info",
            ));
        };
        if state.trusted_proxies.is_empty() {
            return Ok(Self(peer.ip()));
        }
        // A value that is not visible ASCII cannot hold addresses: an empty entry stands for
        // it, which is unusable if the walk reaches it.
        let forwarded_for: Vec<&str> = parts
            .headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .map(|value| value.to_str().unwrap_or(""))
            .collect();
        Ok(Self(
            state
                .trusted_proxies
                .client_address(peer.ip(), &forwarded_for),
        ))
    }
}
