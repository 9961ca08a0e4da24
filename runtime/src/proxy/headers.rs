//! The forwarding headers, read leniently: what a proxy wrote is taken where it can be read,
//! and what cannot be read becomes an opaque hop, never an error for the request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use http::HeaderMap;
use http::uri::Scheme;

pub(crate) const X_FORWARDED_FOR: &str = "x-forwarded-for";
pub(crate) const X_FORWARDED_PROTO: &str = "x-forwarded-proto";

/// Who connected to the proxy that wrote one hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Node {
    /// An address, with its port when the hop gave one.
    Addr(IpAddr, Option<u16>),
    /// `unknown`, an obfuscated name (`_hidden`), a hop without `for=`, or text that is not
    /// an address.
    Opaque,
}

/// One element (hop) of a `Forwarded` header: its `for=` and `proto=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) node: Node,
    pub(crate) proto: Option<Scheme>,
}

impl Element {
    /// What a line that does not parse stands for: a hop of which nothing is known.
    pub(crate) const OPAQUE: Self = Self {
        node: Node::Opaque,
        proto: None,
    };
}

/// Parses one hop's address: `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1`,
/// `[2001:db8::1]`, `[2001:db8::1]:4711`. A port may be obfuscated (`_abc`, RFC 7239 §6.3):
/// the address is kept, the port is not. An IPv4-mapped IPv6 address is given as IPv4.
pub(crate) fn parse_node(text: &str) -> Node {
    let text = text.trim_matches(is_ows);
    let parsed = if let Ok(ip) = text.parse::<IpAddr>() {
        Some((ip, None))
    } else if let Some(rest) = text.strip_prefix('[') {
        rest.split_once(']').and_then(|(ip, after)| {
            let ip = ip.parse::<Ipv6Addr>().ok()?;
            let port = match after {
                "" => None,
                after => parse_port(after.strip_prefix(':')?)?,
            };
            Some((IpAddr::V6(ip), port))
        })
    } else {
        text.split_once(':').and_then(|(ip, port)| {
            Some((IpAddr::V4(ip.parse::<Ipv4Addr>().ok()?), parse_port(port)?))
        })
    };
    match parsed {
        Some((ip, port)) => Node::Addr(ip.to_canonical(), port),
        None => Node::Opaque,
    }
}

/// `Some(Some(port))` for digits, `Some(None)` for an obfuscated port, `None` otherwise.
fn parse_port(text: &str) -> Option<Option<u16>> {
    if text.starts_with('_') {
        return Some(None);
    }
    // `u16::from_str` takes a leading `+`; a port is digits only.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().map(Some)
}

/// Parses a reported scheme: `http`, `https`, `ws` or `wss`, in any case (the schemes
/// uvicorn accepts). A proxy has no reason to report another, so another is ignored.
pub(crate) fn parse_scheme(text: &str) -> Option<Scheme> {
    let text = text.trim_matches(is_ows);
    if text.eq_ignore_ascii_case("https") {
        Some(Scheme::HTTPS)
    } else if text.eq_ignore_ascii_case("http") {
        Some(Scheme::HTTP)
    } else if text.eq_ignore_ascii_case("wss") || text.eq_ignore_ascii_case("ws") {
        Scheme::try_from(text.to_ascii_lowercase().as_str()).ok()
    } else {
        None
    }
}

/// The entries of every `X-Forwarded-For` line, nearest proxy first; empty entries skipped.
pub(crate) fn x_forwarded_for(headers: &HeaderMap) -> impl Iterator<Item = Node> + '_ {
    nearest_first(headers, X_FORWARDED_FOR).map(|entry| entry.map_or(Node::Opaque, parse_node))
}

/// The entries of every `X-Forwarded-Proto` line, nearest proxy first; empty entries skipped.
pub(crate) fn x_forwarded_proto(headers: &HeaderMap) -> impl Iterator<Item = Option<&str>> + '_ {
    nearest_first(headers, X_FORWARDED_PROTO)
}

/// The comma-separated entries of the lines of `name`, from the last line's last entry (the
/// nearest proxy appended it) to the first line's first; `None` for an entry that is not
/// UTF-8.
///
/// Split as bytes, not as text: a proxy appending to the client's line (nginx's
/// `$proxy_add_x_forwarded_for`) puts the client's bytes on the same line as its own entry,
/// and bytes that are no text must spoil only the client's entries.
fn nearest_first<'h>(
    headers: &'h HeaderMap,
    name: &'static str,
) -> impl Iterator<Item = Option<&'h str>> + 'h {
    headers.get_all(name).iter().rev().flat_map(|line| {
        line.as_bytes()
            .rsplit(|&byte| byte == b',')
            .map(<[u8]>::trim_ascii)
            .filter(|entry| !entry.is_empty())
            .map(|entry| std::str::from_utf8(entry).ok())
    })
}

/// Parses one `Forwarded` line (RFC 7239 §4) into its elements, farthest first; `None` if it
/// is malformed. Empty elements are skipped; parameters other than `for` and `proto` are
/// ignored. Whitespace around `;`, `,` and `=` is allowed, and an unquoted value may be
/// anything up to the next `;`, `,` or whitespace (so `for=2001:db8::1`, which the RFC wants
/// quoted, is read), but a parameter given twice in one element, text between pairs that is
/// no separator, or an unterminated quoted string make the line malformed.
///
/// The line is one unit: a proxy that appends to a line a client wrote must keep it only if
/// well-formed (as nginx's documented `Forwarded` map does), since an open quote there would
/// swallow what follows.
pub(crate) fn forwarded_line(line: &str) -> Option<Vec<Element>> {
    let mut elements = Vec::new();
    let mut current = Pending::default();
    let mut rest = line;
    // After a pair, only a separator or the end may follow.
    let mut after_pair = false;
    loop {
        rest = rest.trim_start_matches(is_ows);
        if rest.is_empty() {
            current.finish(&mut elements);
            return Some(elements);
        }
        if let Some(next) = rest.strip_prefix(',') {
            current.finish(&mut elements);
            rest = next;
            after_pair = false;
            continue;
        }
        if let Some(next) = rest.strip_prefix(';') {
            rest = next;
            after_pair = false;
            continue;
        }
        if after_pair {
            return None;
        }
        let name_end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        if name_end == 0 {
            return None;
        }
        let (name, next) = rest.split_at(name_end);
        let next = next
            .trim_start_matches(is_ows)
            .strip_prefix('=')?
            .trim_start_matches(is_ows);
        let (value, next) = match next.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted)?,
            None => {
                let end = next.find([',', ';', ' ', '\t']).unwrap_or(next.len());
                let (value, next) = next.split_at(end);
                if value.contains('"') {
                    return None;
                }
                (value.to_owned(), next)
            }
        };
        rest = next;
        after_pair = true;
        current.set(name, &value)?;
    }
}

/// The element being read.
#[derive(Debug, Default)]
struct Pending {
    pairs: usize,
    node: Option<Node>,
    proto: Option<Option<Scheme>>,
}

impl Pending {
    /// Records a pair; `None` if the element has this parameter already.
    fn set(&mut self, name: &str, value: &str) -> Option<()> {
        self.pairs += 1;
        if name.eq_ignore_ascii_case("for") {
            if self.node.is_some() {
                return None;
            }
            self.node = Some(parse_node(value));
        } else if name.eq_ignore_ascii_case("proto") {
            if self.proto.is_some() {
                return None;
            }
            self.proto = Some(parse_scheme(value));
        }
        Some(())
    }

    fn finish(&mut self, elements: &mut Vec<Element>) {
        let pending = std::mem::take(self);
        if pending.pairs > 0 {
            elements.push(Element {
                node: pending.node.unwrap_or(Node::Opaque),
                proto: pending.proto.flatten(),
            });
        }
    }
}

/// Reads a quoted string whose opening quote is consumed: its unescaped text, and what follows
/// the closing quote.
fn quoted_string(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[index + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// RFC 9110's `tchar`: what a parameter name is made of.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Optional whitespace: space or tab.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ip: &str, port: Option<u16>) -> Node {
        Node::Addr(ip.parse().unwrap(), port)
    }

    #[test]
    fn nodes() {
        let cases = [
            ("203.0.113.7", addr("203.0.113.7", None)),
            (" 203.0.113.7\t", addr("203.0.113.7", None)),
            ("203.0.113.7:4711", addr("203.0.113.7", Some(4711))),
            ("203.0.113.7:_hidden", addr("203.0.113.7", None)),
            ("2001:db8::1", addr("2001:db8::1", None)),
            ("[2001:db8::1]", addr("2001:db8::1", None)),
            ("[2001:db8::1]:4711", addr("2001:db8::1", Some(4711))),
            ("[2001:db8::1]:_p", addr("2001:db8::1", None)),
            ("::ffff:203.0.113.7", addr("203.0.113.7", None)),
            ("unknown", Node::Opaque),
            ("UNKNOWN", Node::Opaque),
            ("_hidden", Node::Opaque),
            ("", Node::Opaque),
            ("localhost", Node::Opaque),
            ("203.0.113", Node::Opaque),
            ("203.0.113.07", Node::Opaque),
            ("203.0.113.7:", Node::Opaque),
            ("203.0.113.7:+80", Node::Opaque),
            ("203.0.113.7:65536", Node::Opaque),
            ("203.0.113.7:80:80", Node::Opaque),
            ("[203.0.113.7]", Node::Opaque),
            ("[2001:db8::1", Node::Opaque),
            ("[2001:db8::1]4711", Node::Opaque),
            ("[2001:db8::1]:", Node::Opaque),
            ("2001:db8::1:4711:x", Node::Opaque),
            ("fe80::1%eth0", Node::Opaque),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_node(text), expected, "{text:?}");
        }
    }

    #[test]
    fn schemes() {
        let cases = [
            ("https", Some("https")),
            ("HTTPS", Some("https")),
            (" http ", Some("http")),
            ("wss", Some("wss")),
            ("WS", Some("ws")),
            ("coap+tcp", None),
            ("ftp", None),
            ("", None),
            ("1http", None),
            ("ht tp", None),
            ("https:", None),
            ("https://", None),
            ("h\u{e9}", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_scheme(text).as_ref().map(Scheme::as_str),
                expected,
                "{text:?}"
            );
        }
    }

    fn header_map(name: &'static str, lines: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(name, http::HeaderValue::from_bytes(line).unwrap());
        }
        headers
    }

    #[test]
    fn x_forwarded_for_is_read_nearest_first_across_lines() {
        let headers = header_map(
            X_FORWARDED_FOR,
            &[b"198.51.100.1, ,garbage", b"10.0.0.2 ,10.0.0.3", b"\xff"],
        );
        let hops: Vec<Node> = x_forwarded_for(&headers).collect();
        assert_eq!(
            hops,
            [
                Node::Opaque,
                addr("10.0.0.3", None),
                addr("10.0.0.2", None),
                Node::Opaque,
                addr("198.51.100.1", None),
            ]
        );
        let headers = header_map(X_FORWARDED_PROTO, &[b"https", b"http, https"]);
        let protos: Vec<Option<&str>> = x_forwarded_proto(&headers).collect();
        assert_eq!(protos, [Some("https"), Some("http"), Some("https")]);
    }

    fn element(node: Node, proto: Option<Scheme>) -> Element {
        Element { node, proto }
    }

    #[test]
    fn forwarded_lines() {
        let https = Some(Scheme::HTTPS);
        let cases: Vec<(&str, Option<Vec<Element>>)> = vec![
            (
                "for=192.0.2.60;proto=http;by=203.0.113.43",
                Some(vec![element(addr("192.0.2.60", None), Some(Scheme::HTTP))]),
            ),
            (
                r#"for="[2001:db8::1]:4711";proto=https"#,
                Some(vec![element(
                    addr("2001:db8::1", Some(4711)),
                    https.clone(),
                )]),
            ),
            (
                "For=192.0.2.43, for=198.51.100.17",
                Some(vec![
                    element(addr("192.0.2.43", None), None),
                    element(addr("198.51.100.17", None), None),
                ]),
            ),
            (
                r#"for=unknown, for="_gazonk";PROTO=HTTPS"#,
                Some(vec![
                    element(Node::Opaque, None),
                    element(Node::Opaque, https.clone()),
                ]),
            ),
            (
                "proto=https",
                Some(vec![element(Node::Opaque, https.clone())]),
            ),
            (
                " for = 192.0.2.43 ; proto = https ,, ",
                Some(vec![element(addr("192.0.2.43", None), https.clone())]),
            ),
            (
                r#"for="192.0.2.43\"";host="a,b;c""#,
                Some(vec![element(Node::Opaque, None)]),
            ),
            (
                r#"for="\1\9\2.0.2.43""#,
                Some(vec![element(addr("192.0.2.43", None), None)]),
            ),
            (
                "for=2001:db8::1",
                Some(vec![element(addr("2001:db8::1", None), None)]),
            ),
            (
                "for=192.0.2.43;proto=ht!tp",
                Some(vec![element(addr("192.0.2.43", None), None)]),
            ),
            ("", Some(vec![])),
            (",;,", Some(vec![])),
            ("for=192.0.2.43;for=192.0.2.44", None),
            ("proto=http;proto=https", None),
            (r#"for="192.0.2.43"#, None),
            (
                r#"for=192.0.2.43\"#,
                Some(vec![element(Node::Opaque, None)]),
            ),
            (r#"for=192"0.2.43"#, None),
            ("for=192.0.2.43 proto=https", None),
            (r#"for="192.0.2.43"x"#, None),
            ("for", None),
            ("=192.0.2.43", None),
            ("for:192.0.2.43", None),
            ("[for]=1", None),
        ];
        for (line, expected) in cases {
            assert_eq!(forwarded_line(line), expected, "{line:?}");
        }
    }
}
