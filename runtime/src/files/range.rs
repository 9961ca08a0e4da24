//! The `Range` header (RFC 9110 §14): which bytes of a file of known length to send.
//!
//! oxapi sends one range at most. Ranges that overlap or touch are merged first (§14.2
//! allows it); if more than one range is left, the whole file is sent with 200, which §14.2
//! also allows ("a server MAY ignore the Range header"), and which spares clients and servers
//! `multipart/byteranges`. A header that is not `bytes=` with valid specs, or that lists more
//! than [`MAX_SPECS`] of them (a forged header meant to make the server work), is ignored the
//! same way.

use std::ops::RangeInclusive;

/// The most range specs read from one header; past this the header is ignored.
pub(crate) const MAX_SPECS: usize = 16;

/// What a `Range` header asks of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ranges {
    /// Send the whole file (no header, or one to ignore).
    Whole,
    /// Send these bytes, with 206.
    One(RangeInclusive<u64>),
    /// No range is in the file: 416.
    Unsatisfiable,
}

/// What the `Range` header `value` asks of a file of `length` bytes.
pub(crate) fn parse(value: &str, length: u64) -> Ranges {
    let Some(specs) = value.trim().strip_prefix("bytes=") else {
        return Ranges::Whole;
    };
    let mut ranges = Vec::new();
    for (count, spec) in specs.split(',').enumerate() {
        if count == MAX_SPECS {
            return Ranges::Whole;
        }
        match spec_range(spec.trim(), length) {
            Spec::Invalid => return Ranges::Whole,
            Spec::OutOfFile => {}
            Spec::Range(range) => ranges.push(range),
        }
    }
    ranges.sort_by_key(|range| *range.start());
    let mut merged = ranges.into_iter();
    let Some(first) = merged.next() else {
        return Ranges::Unsatisfiable;
    };
    let mut one = first;
    for range in merged {
        // Overlapping or adjacent: one range.
        if *range.start() <= one.end().saturating_add(1) {
            one = *one.start()..=(*one.end()).max(*range.end());
        } else {
            return Ranges::Whole;
        }
    }
    Ranges::One(one)
}

enum Spec {
    Invalid,
    /// Valid, but none of its bytes is in the file.
    OutOfFile,
    Range(RangeInclusive<u64>),
}

/// One `first-last`, `first-` or `-suffix` spec, clamped to the file.
fn spec_range(spec: &str, length: u64) -> Spec {
    let Some((first, last)) = spec.split_once('-') else {
        return Spec::Invalid;
    };
    let number = |text: &str| -> Option<u64> {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    match (first.is_empty(), last.is_empty()) {
        // `-suffix`: the last bytes.
        (true, false) => match number(last) {
            None => Spec::Invalid,
            Some(0) => Spec::OutOfFile,
            Some(_) if length == 0 => Spec::OutOfFile,
            Some(suffix) => Spec::Range(length.saturating_sub(suffix)..=length - 1),
        },
        (false, _) => {
            let Some(first) = number(first) else {
                return Spec::Invalid;
            };
            let last = if last.is_empty() {
                u64::MAX
            } else {
                match number(last) {
                    Some(last) if last >= first => last,
                    _ => return Spec::Invalid,
                }
            };
            if first >= length {
                Spec::OutOfFile
            } else {
                Spec::Range(first..=last.min(length - 1))
            }
        }
        (true, true) => Spec::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_a_100_byte_file() {
        let one = |range: RangeInclusive<u64>| Ranges::One(range);
        let cases = [
            ("bytes=0-9", one(0..=9)),
            ("bytes=90-", one(90..=99)),
            ("bytes=90-1000", one(90..=99)),
            ("bytes=-10", one(90..=99)),
            ("bytes=-1000", one(0..=99)),
            ("bytes= 0-9 , 5-19", one(0..=19)),
            ("bytes=10-19,0-9", one(0..=19)),
            ("bytes=0-0,0-0,0-0", one(0..=0)),
            ("bytes=0-9,200-300", one(0..=9)),
            ("bytes=0-9,20-29", Ranges::Whole),
            ("bytes=100-", Ranges::Unsatisfiable),
            ("bytes=100-200,300-", Ranges::Unsatisfiable),
            ("bytes=-0", Ranges::Unsatisfiable),
            ("bytes=9-0", Ranges::Whole),
            ("bytes=a-b", Ranges::Whole),
            ("bytes=-", Ranges::Whole),
            ("bytes=1", Ranges::Whole),
            ("bytes=+1-2", Ranges::Whole),
            ("bytes=99999999999999999999999-", Ranges::Whole),
            ("items=0-9", Ranges::Whole),
            ("", Ranges::Whole),
        ];
        for (header, expected) in cases {
            assert_eq!(parse(header, 100), expected, "{header}");
        }
    }

    #[test]
    fn an_empty_file_satisfies_no_range() {
        assert_eq!(parse("bytes=0-", 0), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=-5", 0), Ranges::Unsatisfiable);
    }

    #[test]
    fn a_forged_header_with_many_specs_is_ignored() {
        let many = vec!["0-0"; MAX_SPECS + 1].join(",");
        assert_eq!(parse(&format!("bytes={many}"), 100), Ranges::Whole);
        let enough = vec!["0-0"; MAX_SPECS].join(",");
        assert_eq!(parse(&format!("bytes={enough}"), 100), Ranges::One(0..=0));
    }
}
