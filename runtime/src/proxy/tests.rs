use std::net::SocketAddr;

use http::{HeaderMap, HeaderValue};

use super::*;

const PEER: &str = "10.0.0.1:5000";

fn config(trusted: &[&str], headers: ProxyHeaders) -> ProxyConfig {
    let (trusted, errors) = TrustedProxies::parse(trusted.iter().copied());
    assert!(errors.is_empty(), "{errors:?}");
    ProxyConfig {
        trusted,
        headers,
        tls: false,
    }
}

fn header_map(headers: &[(&'static str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(*name, HeaderValue::from_bytes(value).unwrap());
    }
    map
}

fn run(
    config: &ProxyConfig,
    peer: &str,
    headers: &[(&'static str, &[u8])],
) -> (SocketAddr, String) {
    let client = resolve(peer.parse().unwrap(), &header_map(headers), config);
    (client.addr, client.scheme.as_str().to_owned())
}

type Case<'a> = (&'a [(&'static str, &'a [u8])], &'a str, &'a str);

fn check(config: &ProxyConfig, peer: &str, cases: &[Case<'_>]) {
    for (headers, addr, scheme) in cases {
        let expected = (addr.parse::<SocketAddr>().unwrap(), (*scheme).to_owned());
        assert_eq!(run(config, peer, headers), expected, "{headers:?}");
    }
}

const XFF: &str = "x-forwarded-for";
const XFP: &str = "x-forwarded-proto";
const FWD: &str = "forwarded";

#[test]
fn x_forwarded_from_a_trusted_peer() {
    let config = config(&["10.0.0.0/8", "fd00::/8"], ProxyHeaders::XForwarded);
    let cases: &[Case<'_>] = &[
        (&[], PEER, "http"),
        (&[(XFF, b"203.0.113.7")], "203.0.113.7:0", "http"),
        (
            &[(XFF, b"203.0.113.7"), (XFP, b"https")],
            "203.0.113.7:0",
            "https",
        ),
        (&[(XFF, b"203.0.113.7, 10.0.0.9")], "203.0.113.7:0", "http"),
        // The client wrote the farther entry: the nearest untrusted hop wins.
        (
            &[(XFF, b"198.51.100.1, 203.0.113.7")],
            "203.0.113.7:0",
            "http",
        ),
        // Every hop is a trusted proxy: the farthest is the client.
        (&[(XFF, b"10.0.0.3, 10.0.0.2")], "10.0.0.3:0", "http"),
        (&[(XFF, b"203.0.113.7:4711")], "203.0.113.7:4711", "http"),
        (
            &[(XFF, b"[2001:db8::1]:4711")],
            "[2001:db8::1]:4711",
            "http",
        ),
        (&[(XFF, b"2001:db8::1")], "[2001:db8::1]:0", "http"),
        (&[(XFF, b"::ffff:203.0.113.7")], "203.0.113.7:0", "http"),
        (
            &[(XFF, b"203.0.113.9"), (XFF, b"203.0.113.7")],
            "203.0.113.7:0",
            "http",
        ),
        (&[(XFF, b"garbage, 203.0.113.7")], "203.0.113.7:0", "http"),
        (&[(XFF, b"\xff\xfe, 203.0.113.7")], "203.0.113.7:0", "http"),
        // Malformed where it matters: the peer.
        (&[(XFF, b"203.0.113.7, garbage")], PEER, "http"),
        (&[(XFF, b"unknown")], PEER, "http"),
        (&[(XFF, b"")], PEER, "http"),
        (&[(XFF, b" , ,")], PEER, "http"),
        (&[(XFF, b"\xff")], PEER, "http"),
        (&[(XFP, b"https")], PEER, "https"),
        (&[(XFP, b"HTTPS ")], PEER, "https"),
        (&[(XFP, b"bogus value!")], PEER, "http"),
        (&[(XFP, b"\xff")], PEER, "http"),
        // One proto per hop: the client's hop is one out, so is its scheme.
        (
            &[(XFF, b"203.0.113.7, 10.0.0.9"), (XFP, b"https, http")],
            "203.0.113.7:0",
            "https",
        ),
        // One proto for a longer chain: the one the first proxy set.
        (
            &[(XFF, b"203.0.113.7, 10.0.0.9, 10.0.0.8"), (XFP, b"https")],
            "203.0.113.7:0",
            "https",
        ),
        // The other kind of header is not read.
        (&[(FWD, b"for=203.0.113.7;proto=https")], PEER, "http"),
    ];
    check(&config, PEER, cases);
    // A dual-stack socket reports an IPv4 peer mapped into IPv6.
    check(
        &config,
        "[::ffff:10.0.0.1]:5000",
        &[(&[(XFF, b"203.0.113.7")], "203.0.113.7:0", "http")],
    );
    check(
        &config,
        "[fd00::1]:5000",
        &[(&[(XFF, b"203.0.113.7")], "203.0.113.7:0", "http")],
    );
}

#[test]
fn forwarded_from_a_trusted_peer() {
    let config = config(&["10.0.0.0/8"], ProxyHeaders::Forwarded);
    let cases: &[Case<'_>] = &[
        (&[], PEER, "http"),
        (
            &[(FWD, br#"for="[2001:db8::1]:4711";proto=https"#)],
            "[2001:db8::1]:4711",
            "https",
        ),
        (
            &[(FWD, b"for=203.0.113.7, for=10.0.0.9;proto=http")],
            "203.0.113.7:0",
            "http",
        ),
        // Each hop's own proto: the client's hop said nothing of it.
        (
            &[(FWD, b"for=198.51.100.1;proto=https, for=203.0.113.7")],
            "203.0.113.7:0",
            "http",
        ),
        (
            &[(FWD, b"for=10.0.0.5;proto=https, for=10.0.0.6")],
            "10.0.0.5:0",
            "https",
        ),
        // A malformed line the client sent stays behind the line its proxy appended.
        (
            &[
                (FWD, br#"for="198.51.100.1"#),
                (FWD, b"for=203.0.113.7;proto=https"),
            ],
            "203.0.113.7:0",
            "https",
        ),
        (
            &[(FWD, b"for=203.0.113.7;proto=https"), (FWD, b"for=;;=")],
            PEER,
            "http",
        ),
        (&[(FWD, br#"for="198.51.100.1"#)], PEER, "http"),
        (&[(FWD, b"for=unknown;proto=https")], PEER, "https"),
        (&[(FWD, b"for=_hidden")], PEER, "http"),
        (&[(FWD, b"proto=https")], PEER, "https"),
        (&[(FWD, b"for=203.0.113.7;for=198.51.100.1")], PEER, "http"),
        (&[(FWD, b"")], PEER, "http"),
        (&[(XFF, b"203.0.113.7"), (XFP, b"https")], PEER, "http"),
    ];
    check(&config, PEER, cases);
}

#[test]
fn an_app_serving_tls_is_reached_over_https_unless_a_proxy_says_otherwise() {
    for headers in [ProxyHeaders::XForwarded, ProxyHeaders::Forwarded] {
        let tls = ProxyConfig {
            tls: true,
            ..config(&["10.0.0.0/8"], headers)
        };
        let cases: &[Case<'_>] = &[
            (&[], PEER, "https"),
            (&[(XFF, b"203.0.113.7")], "203.0.113.7:0", "https"),
            (
                &[(XFF, b"203.0.113.7"), (XFP, b"http")],
                "203.0.113.7:0",
                "http",
            ),
            (&[(FWD, b"for=203.0.113.7")], "203.0.113.7:0", "https"),
            (
                &[(FWD, b"for=203.0.113.7;proto=http")],
                "203.0.113.7:0",
                "http",
            ),
        ];
        // The cases whose headers are of the kind this config reads.
        let read: Vec<Case<'_>> = cases
            .iter()
            .filter(|(sent, _, _)| {
                sent.iter()
                    .all(|(name, _)| (*name == FWD) == (headers == ProxyHeaders::Forwarded))
            })
            .copied()
            .collect();
        check(&tls, PEER, &read);
        let untrusted = ProxyConfig {
            tls: true,
            ..ProxyConfig::default()
        };
        assert_eq!(run(&untrusted, PEER, &[(XFP, b"http")]).1, "https");
    }
}

#[test]
fn an_untrusted_peer_is_the_client_whatever_it_sends() {
    let headers: &[(&'static str, &[u8])] = &[
        (XFF, b"203.0.113.7"),
        (XFP, b"https"),
        (FWD, b"for=203.0.113.7;proto=https"),
    ];
    for kind in [ProxyHeaders::XForwarded, ProxyHeaders::Forwarded] {
        let peer = "198.51.100.5:5000";
        let direct = (peer.parse().unwrap(), "http".to_owned());
        assert_eq!(
            run(&ProxyConfig::default(), PEER, headers).0,
            PEER.parse().unwrap()
        );
        assert_eq!(run(&config(&["10.0.0.0/8"], kind), peer, headers), direct);
        assert_eq!(run(&config(&[], kind), peer, headers), direct);
    }
}

#[test]
fn trusting_everyone_believes_the_farthest_entry() {
    // As uvicorn's `--forwarded-allow-ips='*'`: only safe when nothing but the proxy can
    // reach the app, since the farthest entry is the client's own word.
    let config = config(&["*"], ProxyHeaders::XForwarded);
    check(
        &config,
        "198.51.100.5:1",
        &[(&[(XFF, b"192.0.2.1, 203.0.113.7")], "192.0.2.1:0", "http")],
    );
}

/// Input no proxy would write, with no readable address where one is looked for: each must
/// leave the peer as the client, under either kind of header, and not panic.
#[test]
fn hostile_headers_fall_back_to_the_peer() {
    let long_commas = ",".repeat(100_000);
    let long_quotes = "\"".repeat(100_001);
    let long_escapes = format!("for=\"{}", "\\".repeat(100_000));
    let long_pairs = "a=b;".repeat(20_000);
    let long_name = "f".repeat(100_000);
    let hostile: Vec<&[u8]> = vec![
        b"\"",
        b"\\",
        b"\"\\\"",
        b"for=\"",
        b"for=\"\\",
        b"for=\"[",
        b"for=[",
        b"for=]",
        b"for=\"[::\"",
        b"for=:::::",
        b"for=\"1.2.3.4:99999999999999999999\"",
        b"for=\"[::1]:99999\"",
        b"for=1.2.3.4:-1",
        b"for=\"1.2.3.4\"\"\"",
        b"for==1.2.3.4",
        b";;;;",
        b",,,,",
        b"=",
        b"==",
        b"for",
        b"for=",
        b"for=;proto=",
        b"\t \t",
        b"\xc3\xa9",
        b"\xff\xff\xff",
        b"for=\xc3\xa9",
        b"1.2.3.4.5",
        b"256.0.0.1",
        b"0x7f.1",
        b"[]",
        b"[::1",
        b"::1]",
        b"[[::1]]",
        b"%00",
        b"1.2.3.4%0a",
        b"for=1.2.3.4 for=5.6.7.8",
        long_commas.as_bytes(),
        long_quotes.as_bytes(),
        long_escapes.as_bytes(),
        long_pairs.as_bytes(),
        long_name.as_bytes(),
    ];
    for kind in [ProxyHeaders::XForwarded, ProxyHeaders::Forwarded] {
        let config = config(&["10.0.0.0/8"], kind);
        for value in &hostile {
            for name in [XFF, FWD] {
                let (addr, _) = run(&config, PEER, &[(name, value)]);
                assert_eq!(
                    addr,
                    PEER.parse().unwrap(),
                    "{name}: {:?}",
                    String::from_utf8_lossy(&value[..value.len().min(40)])
                );
            }
            // As a scheme, none is read.
            let (_, scheme) = run(&config, PEER, &[(XFP, value), (FWD, value)]);
            assert_eq!(scheme, "http", "{:?}", String::from_utf8_lossy(value));
        }
    }
}

/// Many hops, all trusted: read in one pass, the farthest chosen.
#[test]
fn a_long_chain_of_trusted_hops() {
    let config = config(&["10.0.0.0/8"], ProxyHeaders::XForwarded);
    let chain = format!("203.0.113.7{}", ", 10.0.0.2".repeat(10_000));
    assert_eq!(
        run(&config, PEER, &[(XFF, chain.as_bytes())]).0,
        "203.0.113.7:0".parse().unwrap()
    );
}
