//! How many live streams one replica holds open: per client (`STREAMS_PER_CLIENT`) and in all
//! (`STREAMS_PER_REPLICA`). A stream is an open connection, a file descriptor and a little
//! memory for as long as the client likes, so without a cap one client can take a replica down.
//!
//! The counts live in this process, on purpose: what they protect (the replica's descriptors
//! and memory) is this process's own, so a client gets its quota on each replica it reaches.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::ServiceError;
use crate::domain::{ClientKey, ClientKeyer};

/// What a refused client is told to wait before it tries again.
const RETRY_CLIENT_AFTER: Duration = Duration::from_secs(30);
const RETRY_REPLICA_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    pub per_client: usize,
    pub per_replica: usize,
    /// How far (in [`Event::approximate_size`] bytes) a stream may fall behind the newest
    /// event before it is cut (the client resumes with `Last-Event-ID`).
    ///
    /// [`Event::approximate_size`]: crate::domain::Event::approximate_size
    pub backlog_bytes: usize,
    /// The pace of this replica's replays, together (see `ReplayPages::pace`).
    pub replay_events_per_second: u32,
}

#[derive(Clone)]
pub struct StreamCaps {
    limits: StreamLimits,
    keyer: ClientKeyer,
    open: Arc<Mutex<OpenStreams>>,
}

#[derive(Default)]
struct OpenStreams {
    total: usize,
    by_client: HashMap<ClientKey, usize>,
}

/// One admitted stream; dropping it (the stream ends) gives its place back.
pub struct StreamPermit {
    client: ClientKey,
    open: Arc<Mutex<OpenStreams>>,
}

impl StreamCaps {
    pub fn new(limits: StreamLimits, keyer: ClientKeyer) -> Self {
        Self {
            limits,
            keyer,
            open: Arc::default(),
        }
    }

    pub fn limits(&self) -> StreamLimits {
        self.limits
    }

    /// A place for one more stream of the client at `address`, or why there is none.
    pub fn admit(&self, address: IpAddr) -> Result<StreamPermit, ServiceError> {
        let client = self.keyer.key_of(address);
        let mut open = self.open.lock().expect("never poisoned");
        if open.total >= self.limits.per_replica {
            return Err(ServiceError::StreamsPerReplica {
                limit: self.limits.per_replica,
                retry_after: RETRY_REPLICA_AFTER,
            });
        }
        let of_client = open.by_client.entry(client).or_default();
        if *of_client >= self.limits.per_client {
            return Err(ServiceError::StreamsPerClient {
                limit: self.limits.per_client,
                retry_after: RETRY_CLIENT_AFTER,
            });
        }
        *of_client += 1;
        open.total += 1;
        Ok(StreamPermit {
            client,
            open: self.open.clone(),
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.open.lock().expect("never poisoned").total
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.open.lock().expect("never poisoned");
        open.total -= 1;
        if let Some(count) = open.by_client.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(per_client: usize, per_replica: usize) -> StreamCaps {
        StreamCaps::new(
            StreamLimits {
                per_client,
                per_replica,
                backlog_bytes: 1 << 20,
                replay_events_per_second: 100_000,
            },
            ClientKeyer::new([7; 32]),
        )
    }

    #[test]
    fn a_client_gets_its_quota_and_its_places_back_when_streams_end() {
        let caps = caps(2, 100);
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let first = caps.admit(client).unwrap();
        let _second = caps.admit(client).unwrap();
        assert!(matches!(
            caps.admit(client),
            Err(ServiceError::StreamsPerClient { limit: 2, .. })
        ));
        // Others are not held back by it.
        caps.admit("192.0.2.2".parse().unwrap()).unwrap();
        drop(first);
        caps.admit(client).unwrap();
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let caps = caps(1, 100);
        let _one = caps.admit("2001:db8::1".parse().unwrap()).unwrap();
        assert!(caps.admit("2001:db8::2".parse().unwrap()).is_err());
        caps.admit("2001:db8:0:1::1".parse().unwrap()).unwrap();
    }

    #[test]
    fn the_replica_is_full_for_everyone_at_its_cap() {
        let caps = caps(10, 2);
        let _a = caps.admit("192.0.2.1".parse().unwrap()).unwrap();
        let _b = caps.admit("192.0.2.2".parse().unwrap()).unwrap();
        assert!(matches!(
            caps.admit("192.0.2.3".parse().unwrap()),
            Err(ServiceError::StreamsPerReplica { limit: 2, .. })
        ));
        assert_eq!(caps.open(), 2);
    }
}
