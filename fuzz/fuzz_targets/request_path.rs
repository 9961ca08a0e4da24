//! Any request in, a response below 500 out: the fuzz input is read as a request, sent
//! to the app in-process through its test client, and the answer's status must be below 500.
//!
//! The input reads like an HTTP/1 head, so seeds are easy to write and the fuzzer's
//! mutations stay near the shape of a request:
//!
//! ```text
//! METHOD TARGET\n
//! name: value\n        (any number of header lines)
//! \n
//! body…                (every byte after the blank line)
//! ```
//!
//! An input that makes no valid `http::Request` (an unknown method, a target no URI parser
//! takes, a header name with a space) is skipped: the server's HTTP parser refuses it before
//! any app sees it. So is a header value that is not UTF-8, which the test client cannot
//! send (the raw-socket tests in `tests/e2e/bad_input.rs` cover those).
#![no_main]

use std::sync::LazyLock;

use http::{HeaderName, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;
use oxapi::{TestClient, TestRequest};

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
});

/// The app, built once: every route takes another extractor kind.
static CLIENT: LazyLock<TestClient> = LazyLock::new(|| oxapi_tests::bad_input::app().test_client());

/// The request the input describes, if it is a valid one.
fn parse(data: &[u8]) -> Option<TestRequest> {
    let (head, body) = match data.windows(2).position(|pair| pair == b"\n\n") {
        Some(end) => (&data[..end], &data[end + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&byte| byte == b'\n');
    let request_line = std::str::from_utf8(lines.next()?).ok()?;
    let (method, target) = request_line.split_once(' ')?;
    let method = Method::from_bytes(method.as_bytes()).ok()?;
    Uri::try_from(target).ok()?;
    let mut request = CLIENT.request(method, target);
    for line in lines {
        let line = std::str::from_utf8(line).ok()?;
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        HeaderName::try_from(name).ok()?;
        HeaderValue::try_from(value).ok()?;
        request = request.header(name, value);
    }
    Some(request.body(body.to_vec()))
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = parse(data) else {
        return;
    };
    // `send` reads the whole body, so a streamed or lazily made body runs to its end too.
    let response = RUNTIME.block_on(request.send());
    assert!(
        response.status().as_u16() < 500,
        "{} for {:?}: {}",
        response.status(),
        String::from_utf8_lossy(data),
        response.text()
    );
});
