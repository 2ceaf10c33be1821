//! Who a client is, for the rate limits: the address it connects from (or the one a trusted
//! proxy reports), grouped so that one subscriber is one client (IPv6 by /64), and reduced to
//! a keyed hash, the only form that is ever stored.

use std::{fmt, net::IpAddr};

use hmac::{Hmac, Mac};
use ipnet::IpNet;
use sha2::Sha256;

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a CIDR (such as 10.0.0.0/8 or fd00::/8) or an IP address")]
pub struct TrustedProxiesError(String);

impl std::str::FromStr for TrustedProxies {
    type Err = TrustedProxiesError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl TrustedProxies {
    /// Comma-separated CIDRs; a bare address stands for itself (`/32`, `/128`). Empty: none.
    pub fn parse(raw: &str) -> Result<Self, TrustedProxiesError> {
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .map(|net| net.trunc())
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| TrustedProxiesError(item.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client a request comes from. `peer` is the socket's peer; `forwarded_for` the
    /// values of the request's `X-Forwarded-For` headers, in order.
    ///
    /// An untrusted peer is the client, whatever it claims. A trusted peer (a proxy) reports
    /// the chain of addresses it saw: each proxy appends the address it received from, so the
    /// entries on the left are whatever the client wrote, and only the entries appended by
    /// trusted proxies are true. Walking from the right, the first entry that is not a trusted
    /// proxy is the client. An entry reached on that walk that is not an IP address makes the
    /// header unusable: the peer is then the client. When every entry is a trusted proxy, the
    /// request started inside the trusted network: the leftmost entry is the client.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let mut entries = forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rev()
            .peekable();
        if entries.peek().is_none() {
            return peer;
        }
        let mut leftmost = peer;
        for entry in entries {
            let Ok(address) = entry.parse::<IpAddr>() else {
                return peer;
            };
            let address = address.to_canonical();
            if !self.contains(address) {
                return address;
            }
            leftmost = address;
        }
        leftmost
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&nets.join(","))
    }
}

/// A client's identity in the rate-limit table: HMAC-SHA256 of its network (IPv4 address, or
/// IPv6 /64) under a key that every replica shares and that never leaves the server. Without
/// the key, no address can be recovered or even tested against it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey([u8; 32]);

impl ClientKey {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKey(..)")
    }
}

/// Turns addresses into [`ClientKey`]s. Its `Debug` output hides the key.
#[derive(Clone)]
pub struct ClientKeyer {
    key: [u8; 32],
}

impl ClientKeyer {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// The key of the client at `address`. One IPv4 address is one client. An IPv6 client is
    /// its /64: a subscriber usually gets a whole /64 and may use any address in it (privacy
    /// extensions pick a new one every day). IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`,
    /// what a dual-stack socket reports for IPv4) are the IPv4 address.
    pub fn key_of(&self, address: IpAddr) -> ClientKey {
        match address.to_canonical() {
            IpAddr::V4(v4) => self.mac(b"ipv4:", &v4.octets()),
            IpAddr::V6(v6) => self.mac(b"ipv6/64:", &v6.octets()[..8]),
        }
    }

    /// The client's keys at both ban widths: its address (as [`Self::key_of`]) and its
    /// network, an IPv4 /24 or an IPv6 /48 (a site: every subscriber line of a small ISP's
    /// customer, or one organisation). The domains differ, so no address key ever equals a
    /// network key.
    pub fn keys_of(&self, address: IpAddr) -> ClientKeys {
        let network = match address.to_canonical() {
            IpAddr::V4(v4) => self.mac(b"ipv4/24:", &v4.octets()[..3]),
            IpAddr::V6(v6) => self.mac(b"ipv6/48:", &v6.octets()[..6]),
        };
        ClientKeys {
            address: self.key_of(address),
            network,
        }
    }

    fn mac(&self, domain: &[u8], prefix: &[u8]) -> ClientKey {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(domain);
        mac.update(prefix);
        ClientKey(mac.finalize().into_bytes().into())
    }
}

/// A client's keys at the two widths a ban can have (`address`, `network`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientKeys {
    pub address: ClientKey,
    pub network: ClientKey,
}

impl fmt::Debug for ClientKeyer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKeyer(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_are_grouped_by_64_and_mapped_ipv4_is_ipv4() {
        let keyer = ClientKeyer::new([7; 32]);
        let key = |text: &str| keyer.key_of(ip(text));
        // One /64: one client.
        assert_eq!(
            key("2001:db8:1:2::1"),
            key("2001:db8:1:2:ffff:eeee:dddd:cccc")
        );
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2::"));
        // Another /64 (even the next one): another client.
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db9:1:2::1"));
        // IPv4: each address is a client.
        assert_eq!(key("203.0.113.5"), key("203.0.113.5"));
        assert_ne!(key("203.0.113.5"), key("203.0.113.6"));
        assert_eq!(key("::ffff:203.0.113.5"), key("203.0.113.5"));
        // An IPv6 /64 whose first bytes spell an IPv4 address is not that address.
        assert_ne!(key("cb00:7105::"), key("203.0.113.5"));
        // Another key, other client keys: without the key nothing can be matched.
        let other = ClientKeyer::new([8; 32]);
        assert_ne!(other.key_of(ip("203.0.113.5")), key("203.0.113.5"));
    }

    #[test]
    fn network_keys_group_ipv4_by_24_and_ipv6_by_48() {
        let keyer = ClientKeyer::new([7; 32]);
        let network = |text: &str| keyer.keys_of(ip(text)).network;
        assert_eq!(network("203.0.113.5"), network("203.0.113.250"));
        assert_ne!(network("203.0.113.5"), network("203.0.114.5"));
        assert_eq!(network("::ffff:203.0.113.5"), network("203.0.113.9"));
        assert_eq!(network("2001:db8:1:2::1"), network("2001:db8:1:ffff::1"));
        assert_ne!(network("2001:db8:1::1"), network("2001:db8:2::1"));
        // The address key is the rate limits' key; neither width ever matches the other.
        let keys = keyer.keys_of(ip("203.0.113.5"));
        assert_eq!(keys.address, keyer.key_of(ip("203.0.113.5")));
        assert_ne!(keys.address, keys.network);
        assert_ne!(network("203.0.113.0"), keyer.key_of(ip("203.0.113.0")));
    }

    #[test]
    fn keys_and_the_secret_stay_out_of_debug_output() {
        let keyer = ClientKeyer::new([7; 32]);
        let key = keyer.key_of(ip("203.0.113.5"));
        let shown = format!("{keyer:?} {key:?}");
        assert!(!shown.contains("203"), "{shown}");
        assert!(!shown.contains("7, 7"), "{shown}");
        assert!(
            !shown.contains(&hex::encode(key.as_bytes())[..8]),
            "{shown}"
        );
    }

    #[test]
    fn trusted_proxies_parse_cidrs_and_addresses() {
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7,fd00::/8, ::1").unwrap();
        assert_eq!(
            proxies.to_string(),
            "10.0.0.0/8,192.168.1.7/32,fd00::/8,::1/128"
        );
        assert!(proxies.contains(ip("10.200.0.1")));
        assert!(proxies.contains(ip("::ffff:10.200.0.1")), "mapped IPv4");
        assert!(proxies.contains(ip("192.168.1.7")));
        assert!(!proxies.contains(ip("192.168.1.8")));
        assert!(proxies.contains(ip("fd12::1")));
        assert!(!proxies.contains(ip("2001:db8::1")));
        // Host bits are ignored, as in "10.1.2.3/8" for 10.0.0.0/8.
        assert!(
            TrustedProxies::parse("10.1.2.3/8")
                .unwrap()
                .contains(ip("10.9.9.9"))
        );
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.0/8;", "10.0.0", "*"] {
            let error = TrustedProxies::parse(bad).expect_err(bad);
            assert!(error.to_string().contains("CIDR"), "{error}");
        }
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_forwarded_address() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 2001:db8:ffff::/48").unwrap();
        let proxy = ip("10.0.0.1");
        let client = |peer: IpAddr, headers: &[&str]| proxies.client_address(peer, headers);

        // An untrusted peer is the client, whatever it claims.
        assert_eq!(
            client(ip("198.51.100.9"), &["203.0.113.5"]),
            ip("198.51.100.9")
        );
        // Behind a trusted proxy: the address it appended.
        assert_eq!(client(proxy, &["203.0.113.5"]), ip("203.0.113.5"));
        // The client's own entries (on the left) are not believed.
        assert_eq!(client(proxy, &["1.2.3.4, 203.0.113.5"]), ip("203.0.113.5"));
        assert_eq!(client(proxy, &["garbage, 203.0.113.5"]), ip("203.0.113.5"));
        // Trusted proxies on the right are skipped, over several headers.
        assert_eq!(
            client(proxy, &["1.2.3.4, 203.0.113.5", "10.1.1.1 ,10.2.2.2"]),
            ip("203.0.113.5")
        );
        assert_eq!(
            client(proxy, &["2001:db8:1::5, 2001:db8:ffff::1"]),
            ip("2001:db8:1::5")
        );
        assert_eq!(client(proxy, &["::ffff:203.0.113.5"]), ip("203.0.113.5"));
        // Only trusted addresses: the leftmost.
        assert_eq!(client(proxy, &["10.3.3.3, 10.2.2.2"]), ip("10.3.3.3"));
        // No header, an empty one, or an unusable entry on the walk: the peer.
        assert_eq!(client(proxy, &[]), proxy);
        assert_eq!(client(proxy, &[""]), proxy);
        assert_eq!(client(proxy, &["203.0.113.5, nonsense"]), proxy);
        assert_eq!(client(proxy, &["203.0.113.5:8080"]), proxy);
        assert_eq!(client(proxy, &["203.0.113.5,"]), proxy);
        // A trusted peer seen as IPv4-mapped IPv6.
        assert_eq!(
            client(ip("::ffff:10.0.0.1"), &["203.0.113.5"]),
            ip("203.0.113.5")
        );
        assert_eq!(
            client(ip("::ffff:198.51.100.9"), &["203.0.113.5"]),
            ip("198.51.100.9")
        );

        // Nobody trusted: X-Forwarded-For is never read.
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(proxy, &["203.0.113.5"]), proxy);
    }
}
