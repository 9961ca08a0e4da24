//! The proxies whose forwarding headers are believed: addresses and CIDR ranges, as
//! uvicorn's `--forwarded-allow-ips`.

use std::net::IpAddr;

/// One entry of the trusted set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
    /// `*`: every address.
    Any,
    /// An IPv4 network: its address bits and prefix length.
    V4(u32, u8),
    /// An IPv6 network: its address bits and prefix length.
    V6(u128, u8),
}

impl Range {
    /// Parses `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8` or `*`.
    ///
    /// A network with bits set past its prefix (`10.0.0.1/8`) is refused rather than masked:
    /// it is most likely a typo, and trusting a wider range than meant is the costly mistake.
    pub(crate) fn parse(entry: &str) -> Result<Self, &'static str> {
        if entry == "*" {
            return Ok(Self::Any);
        }
        let (address, prefix) = match entry.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (address_only(entry), None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| "not an IP address, a CIDR range like 10.0.0.0/8, or `*`")?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            // Written as the number itself: `/08` and `/+8` are refused like any other typo.
            Some(text) => match text.parse::<u8>() {
                Ok(prefix) if prefix <= max && text == prefix.to_string() => prefix,
                _ => return Err("the prefix length is not a number within the address's bits"),
            },
        };
        let range = match address {
            IpAddr::V4(v4) => Self::V4(u32::from(v4), prefix),
            IpAddr::V6(v6) => Self::V6(u128::from(v6), prefix),
        };
        if range != range.masked() {
            return Err("the address has bits set past the prefix length");
        }
        Ok(range)
    }

    /// The range with the bits past its prefix cleared.
    fn masked(self) -> Self {
        match self {
            Self::Any => Self::Any,
            Self::V4(bits, prefix) => Self::V4(bits & v4_mask(prefix), prefix),
            Self::V6(bits, prefix) => Self::V6(bits & v6_mask(prefix), prefix),
        }
    }

    /// Whether `ip` (canonical: an IPv4-mapped IPv6 address is given as IPv4) is in range.
    fn contains(self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Self::Any, _) => true,
            (Self::V4(bits, prefix), IpAddr::V4(ip)) => u32::from(ip) & v4_mask(prefix) == bits,
            (Self::V6(bits, prefix), IpAddr::V6(ip)) => u128::from(ip) & v6_mask(prefix) == bits,
            _ => false,
        }
    }
}

/// `[::1]` is accepted for `::1`, as it is written in URLs.
fn address_only(entry: &str) -> &str {
    entry
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(entry)
}

fn v4_mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn v6_mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// The trusted proxies. Empty by default: no forwarding header is believed.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedProxies {
    ranges: Vec<Range>,
}

impl TrustedProxies {
    /// Parses every entry; entries are trimmed and empty ones skipped, so a list from the
    /// environment may end with a comma. Returns the entries that do not parse, with why.
    pub(crate) fn parse<'e>(
        entries: impl IntoIterator<Item = &'e str>,
    ) -> (Self, Vec<(String, &'static str)>) {
        let mut ranges = Vec::new();
        let mut errors = Vec::new();
        for entry in entries.into_iter().map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            match Range::parse(entry) {
                Ok(range) => ranges.push(range),
                Err(reason) => errors.push((entry.to_owned(), reason)),
            }
        }
        (Self { ranges }, errors)
    }

    /// Whether no proxy is trusted.
    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether `ip` is a trusted proxy. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as a
    /// dual-stack socket reports IPv4 peers) is matched as the IPv4 address it maps.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.ranges.iter().any(|range| range.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_into_ranges() {
        let cases: &[(&str, Result<Range, ()>)] = &[
            ("*", Ok(Range::Any)),
            ("10.0.0.1", Ok(Range::V4(0x0a00_0001, 32))),
            ("10.0.0.0/8", Ok(Range::V4(0x0a00_0000, 8))),
            ("0.0.0.0/0", Ok(Range::V4(0, 0))),
            ("::1", Ok(Range::V6(1, 128))),
            ("[::1]", Ok(Range::V6(1, 128))),
            ("fd00::/8", Ok(Range::V6(0xfd << 120, 8))),
            ("::/0", Ok(Range::V6(0, 0))),
            ("10.0.0.1/8", Err(())),
            ("10.0.0.0/33", Err(())),
            ("10.0.0.0/", Err(())),
            ("10.0.0.0/08", Err(())),
            ("10.0.0.0/+8", Err(())),
            ("10.0.0.0/-1", Err(())),
            ("::/129", Err(())),
            ("10.0.0", Err(())),
            ("localhost", Err(())),
            ("10.0.0.1:80", Err(())),
            ("**", Err(())),
            ("[::1]/128", Err(())),
        ];
        for (entry, expected) in cases {
            assert_eq!(Range::parse(entry).map_err(drop), *expected, "{entry}");
        }
    }

    #[test]
    fn addresses_in_and_out_of_the_set() {
        let (trusted, errors) =
            TrustedProxies::parse(["10.0.0.0/8", " 192.168.1.7 ", "", "fd00::/8"]);
        assert!(errors.is_empty(), "{errors:?}");
        let cases = [
            ("10.0.0.1", true),
            ("10.255.255.255", true),
            ("11.0.0.1", false),
            ("192.168.1.7", true),
            ("192.168.1.8", false),
            ("::ffff:10.1.2.3", true),
            ("::ffff:11.1.2.3", false),
            ("fd12::1", true),
            ("fe80::1", false),
            ("::1", false),
        ];
        for (ip, expected) in cases {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(trusted.contains(ip), expected, "{ip}");
        }
        let (everyone, _) = TrustedProxies::parse(["*"]);
        assert!(everyone.contains("203.0.113.7".parse().unwrap()));
        assert!(TrustedProxies::default().is_empty());
        assert!(!TrustedProxies::default().contains("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn bad_entries_are_reported_and_good_ones_kept() {
        let (trusted, errors) = TrustedProxies::parse(["10.0.0.1/8", "127.0.0.1", "nope"]);
        assert_eq!(
            errors
                .iter()
                .map(|(entry, _)| entry.as_str())
                .collect::<Vec<_>>(),
            ["10.0.0.1/8", "nope"]
        );
        assert!(trusted.contains("127.0.0.1".parse().unwrap()));
    }
}
