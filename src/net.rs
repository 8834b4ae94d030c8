//! IP address blocks ([`IpBlock`]: an address or a CIDR block) and the client address
//! of a connection behind reverse proxies ([`TrustedProxies`], `server.trusted_proxies`):
//! the peer's address, unless the peer is a trusted proxy, in which case the
//! `X-Forwarded-For` header says who the client is.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// One address (`10.0.0.7`, `::1`) or a CIDR block (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    addr: IpAddr,
    prefix: u8,
}

impl IpBlock {
    /// Whether `ip` is in the block. An IPv4 address written as IPv6 (`::ffff:a.b.c.d`,
    /// as a dual-stack listener reports IPv4 peers) counts as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), 32, self.prefix)
                    == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), 128, self.prefix) == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// `bits` wide `value` with all but its first `prefix` bits cleared.
fn masked(value: u128, bits: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    value >> (bits - prefix)
}

/// `ip`, with an IPv4-mapped IPv6 address turned back into IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl FromStr for IpBlock {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not an IP address or a CIDR block (such as 10.0.0.0/8)");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = canonical(addr.trim().parse::<IpAddr>().map_err(|_| bad())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for IpBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// `server.trusted_proxies`: the reverse proxies whose `X-Forwarded-For` is believed.
/// Read from a TOML list of strings, or (from the environment) one string of
/// comma-separated entries; an entry that is not an address or CIDR block is an error
/// at start that names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpBlock>);

impl TrustedProxies {
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let blocks = entries
            .iter()
            .map(|e| e.as_ref().trim())
            .filter(|e| !e.is_empty())
            .map(IpBlock::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(blocks))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(ip))
    }

    /// The client's address: `peer` (the socket's), or, when `peer` is a trusted proxy,
    /// the nearest address in `forwarded_for` (the `X-Forwarded-For` values, in header
    /// order) that is not itself a trusted proxy — each proxy appends the address it
    /// was reached from, so the entries right of the client's are proxies. Anything
    /// unreadable in the header stops the walk at the last address that could be
    /// believed.
    pub fn client_addr<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|h| h.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>().map(canonical) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Entries {
            List(Vec<String>),
            Joined(String),
        }
        let entries = match Entries::deserialize(d)? {
            Entries::List(l) => l,
            Entries::Joined(s) => s.split(',').map(str::to_owned).collect(),
        };
        Self::parse(&entries).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_hold_their_addresses() {
        let b: IpBlock = "10.1.0.0/16".parse().unwrap();
        assert!(b.contains(ip("10.1.255.3")) && !b.contains(ip("10.2.0.1")));
        assert!(b.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped IPv6 counts as IPv4");
        let one: IpBlock = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: IpBlock = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")) && !v6.contains(ip("10.0.0.1")));
        let all: IpBlock = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        for bad in ["", "10.0.0.0/33", "::/129", "example.com", "10.0.0.0/", "10.0.0.0/x", "1.2.3"] {
            assert!(bad.parse::<IpBlock>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_addr(ip("127.0.0.1"), ["203.0.113.9"].into_iter()), ip("127.0.0.1"));
        let lb = TrustedProxies::parse(&["127.0.0.1", "10.0.0.0/8"]).unwrap();
        assert_eq!(lb.client_addr(ip("127.0.0.1"), ["203.0.113.9"].into_iter()), ip("203.0.113.9"));
        // The nearest untrusted hop is the client; what it claims further left is not believed.
        let chain = ["198.51.100.1, 203.0.113.9", "10.0.0.5"];
        assert_eq!(lb.client_addr(ip("127.0.0.1"), chain.into_iter()), ip("203.0.113.9"));
        // An untrusted peer's header is ignored.
        assert_eq!(lb.client_addr(ip("192.0.2.1"), ["203.0.113.9"].into_iter()), ip("192.0.2.1"));
        // Garbage stops the walk at the last believable address.
        assert_eq!(lb.client_addr(ip("127.0.0.1"), ["nonsense"].into_iter()), ip("127.0.0.1"));
        assert_eq!(lb.client_addr(ip("127.0.0.1"), std::iter::empty()), ip("127.0.0.1"));
    }

    #[test]
    fn the_setting_reads_a_list_or_a_comma_separated_string_and_names_a_bad_entry() {
        let list: TrustedProxies = serde_json::from_str(r#"["127.0.0.1","10.0.0.0/8"]"#).unwrap();
        let joined: TrustedProxies = serde_json::from_str(r#""127.0.0.1, 10.0.0.0/8""#).unwrap();
        assert_eq!(list, joined);
        assert!(serde_json::from_str::<TrustedProxies>(r#""""#).unwrap().is_empty());
        let err = serde_json::from_str::<TrustedProxies>(r#"["10.0.0.0/8","proxy.local"]"#).unwrap_err();
        assert!(err.to_string().contains("\"proxy.local\" is not an IP address"), "{err}");
    }
}
