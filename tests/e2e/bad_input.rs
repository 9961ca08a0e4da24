//! Bad input never yields a 5xx and never stops the server: property tests over the router
//! and every extractor kind (in-process, through the test client), a smaller set of raw
//! bytes over a real socket for what only the wire carries, and JSON nested far deeper than
//! any parser should follow.
//!
//! The property, for every request: the status is below 500; a status of 400 or more comes
//! with an `application/problem+json` body carrying that status; and a known-good request
//! is still answered with 200 afterwards. A handler panic is a 500, so it fails too.

use std::sync::LazyLock;

use http::{Method, Uri};
use oxapi::{TestClient, TestResponse};
use oxapi_tests::bad_input::{self, KNOWN_GOOD_PATH};
use oxapi_tests::{Server, raw, raw_status};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

/// Cases per property: enough to meet every strategy's branches many times, few enough that
/// each property runs in a few seconds in a debug build.
const CASES: u32 = 256;

/// The proptest configuration of every property here: bounded cases, and failures kept in
/// `tests/e2e/bad_input.proptest-regressions`, replayed first on the next run.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// One runtime for the in-process properties: proptest's runner is synchronous.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
});

/// Path segments that have broken parsers: bad and overlong percent-encodings, dot
/// segments, numbers past every integer type, values of the right shape.
const SEGMENTS: &[&str] = &[
    "%zz",
    "%C3%28",
    "%c0%af",
    "%e0%80%af",
    "%",
    "%2",
    "%00",
    "%FF",
    "%2F",
    "..",
    ".",
    "",
    "1e400",
    "-0",
    "18446744073709551616",
    "-9223372036854775809",
    "NaN",
    "inf",
    "1",
    "-1",
    "0.5",
    "true",
    "red",
    "green",
    "67e55044-10b1-426f-9247-bb680e5fe0c8",
    "%F0%9F%92%A5",
    "a+b",
    "a%20b",
];

/// The routes of the extractor app, with their methods, `{}` standing for a segment to fill,
/// so that random requests reach every extractor (and not only the 404 and the 405).
const EXTRACTOR_ROUTES: &[&str] = &[
    "GET /path/{}/{}/{}/{}/{}/{}",
    "GET /path/1/-1/0.5/true/red/{}",
    "GET /path/{}/-1/0.5/true/red/67e55044-10b1-426f-9247-bb680e5fe0c8",
    "GET /files/{}",
    "GET /files/{}/{}/{}",
    "GET /query",
    "GET /headers",
    "POST /order",
    "POST /order/blocking",
    "POST /value",
    "POST /login",
    "POST /upload",
    "POST /bytes",
    "POST /text",
    "GET /secure/bearer",
    "GET /secure/basic",
    "GET /secure/key",
    "GET /{}/{}",
];

/// The routes of the hello example, as [`EXTRACTOR_ROUTES`].
const HELLO_ROUTES: &[&str] = &[
    "GET /hello/{}",
    "GET /sync/hello/{}",
    "GET /items/{}",
    "GET /items",
    "POST /items",
    "GET /openapi.json",
    "GET /docs",
    "GET /{}/{}",
];

/// Query keys the routes read, and one they do not.
const QUERY_KEYS: &[&str] = &[
    "count",
    "ratio",
    "tag",
    "flag",
    "limit",
    "page-size",
    "greeting",
    "max_price",
    "unknown",
    "",
    "%zz",
];

/// Query values: numbers out of range, encodings, the empty value.
const QUERY_VALUES: &[&str] = &[
    "1",
    "0",
    "-0",
    "1e400",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "-1",
    "NaN",
    "true",
    "yes",
    "",
    "+",
    "%20",
    "%zz",
    "%C3%28",
    "%FF",
    "a+b%20c",
    "[]",
    "{}",
];

/// Header names the routes read, and some with meaning to the framework.
const HEADER_NAMES: &[&str] = &[
    "x-count",
    "x-request-id",
    "cookie",
    "authorization",
    "x-api-key",
    "content-type",
    "accept",
    "x-forwarded-for",
    "forwarded",
    "origin",
    "if-none-match",
    "range",
];

/// Header values: wrong schemes, bad base64, cookies without `=`, huge numbers.
const HEADER_VALUES: &[&str] = &[
    "",
    "1",
    "70000",
    "-1",
    "1e400",
    "Bearer",
    "Bearer ",
    "Bearer abc",
    "Basic",
    "Basic !!!!",
    "Basic Og==",
    "Basic /w==",
    "Basic YTpi",
    "session",
    "session=",
    "session=a; session=b",
    "=; ;;=",
    "a=%zz",
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=X",
    "text/plain; charset=latin1",
    "application/problem+json",
    "*/*;q=abc",
    "bytes=5-1",
    "unknown, for=\"[::1\"",
];

/// Content types, right and wrong for each body.
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "application/vnd.api+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=X",
    "multipart/form-data; boundary=\"X\"",
    "multipart/form-data",
    "text/plain",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "json",
    "/",
    ";",
];

fn one_of(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(values).prop_map(str::to_owned)
}

/// A method and path: a route's, its template filled with segments from the table or random
/// characters that a URI allows (`%` included, so broken escapes too), its slashes now and
/// then doubled; now and then another method.
fn route(routes: &'static [&'static str]) -> impl Strategy<Value = (Method, String)> {
    let segment = prop_oneof![one_of(SEGMENTS), "[a-zA-Z0-9%._~+-]{0,12}"];
    (
        one_of(routes),
        proptest::collection::vec(segment, 6),
        proptest::bool::weighted(0.1),
        proptest::option::weighted(0.15, other_method()),
    )
        .prop_map(|(route, segments, double, other)| {
            let (method, template) = route.split_once(' ').unwrap_or(("GET", &route));
            let method = other
                .unwrap_or_else(|| Method::from_bytes(method.as_bytes()).expect("a valid method"));
            let mut path = String::new();
            let mut segments = segments.into_iter();
            for (index, part) in template.split("{}").enumerate() {
                if index > 0 {
                    path.push_str(&segments.next().unwrap_or_default());
                }
                path.push_str(part);
            }
            if double {
                path = path.replacen('/', "//", 2);
            }
            (method, path)
        })
}

/// A query string: pairs from the tables, duplicates likely, some without `=`.
fn query() -> impl Strategy<Value = String> {
    let pair = (
        one_of(QUERY_KEYS),
        prop_oneof![one_of(QUERY_VALUES), "[a-zA-Z0-9%+=.-]{0,10}"],
        any::<bool>(),
    )
        .prop_map(|(key, value, with_equals)| {
            if with_equals {
                format!("{key}={value}")
            } else {
                format!("{key}{value}")
            }
        });
    proptest::collection::vec(pair, 0..6).prop_map(|pairs| pairs.join("&"))
}

/// `[[[…]]]` (or `{"a":{"a":…}}`) nested `depth` deep.
fn nested_json(depth: usize, objects: bool) -> Vec<u8> {
    let (open, close): (&[u8], &[u8]) = if objects {
        (b"{\"a\":", b"}")
    } else {
        (b"[", b"]")
    };
    let mut body = Vec::with_capacity(depth * (open.len() + close.len()) + 1);
    for _ in 0..depth {
        body.extend_from_slice(open);
    }
    body.extend_from_slice(b"1");
    for _ in 0..depth {
        body.extend_from_slice(close);
    }
    body
}

/// JSON bodies that are valid in shape but hostile in content, and their broken variants.
const JSON_BODIES: &[&str] = &[
    r#"{"customer":"ann","lines":[{"quantity":1,"price":2.5}]}"#,
    r#"{"customer":"ann","customer":"bob","lines":[]}"#,
    r#"{"customer":"","lines":[{"quantity":0,"price":-1}],"address":{"street":"","postcode":"1"}}"#,
    r#"{"customer":"ann","lines":[{"quantity":1e400,"price":1e400}]}"#,
    r#"{"customer":"ann","lines":[{"quantity":18446744073709551616,"price":-0}]}"#,
    r#"{"customer":"ann","lines":[{"quantity":-0,"price":-0.0}]}"#,
    r#"{"customer":"ann","lines":[{"quantity":4294967296,"price":1}]}"#,
    r#"{"customer":"ann","lines":[{"quantity":1.0,"price":"1"}]}"#,
    r#"{"customer":"ann","lines":{"quantity":1}}"#,
    r#"{"customer":"ann","lines":[{"quantity":1,"price":2.5}"#,
    r#"{"customer":"\ud800","lines":[]}"#,
    r#"{"customer":"a\u0000b","lines":[],"extra":[[[[[]]]]]}"#,
    r#"["ann",[[1,2.5]],null]"#,
    r#"{"#,
    r#"""#,
    "null",
    "1e400",
    "-0",
    "18446744073709551616",
    "",
    "user=ann&remember=true",
    "user=a&user=b&remember=maybe",
    "user=%zz&remember",
    "=&&=",
];

/// A body: a hostile JSON or form text, random bytes (invalid UTF-8 likely), JSON nested past
/// the parser's limit, or a multipart body with broken framing.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        one_of(JSON_BODIES).prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..256),
        (1_usize..2_000, any::<bool>()).prop_map(|(depth, objects)| nested_json(depth, objects)),
        (
            proptest::collection::vec(any::<u8>(), 0..64),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(content, closed, headers)| multipart(&content, closed, headers)),
    ]
}

/// A multipart body with boundary `X`: one part of `content`, maybe without its
/// `Content-Disposition`, maybe never closed.
fn multipart(content: &[u8], closed: bool, headers: bool) -> Vec<u8> {
    let mut body = b"--X\r\n".to_vec();
    if headers {
        body.extend_from_slice(b"content-disposition: form-data; name=\"f\"; filename=\"a\"\r\n");
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(content);
    if closed {
        body.extend_from_slice(b"\r\n--X--\r\n");
    }
    body
}

/// Any method: the routes' own, those they do not answer, an extension method.
fn other_method() -> impl Strategy<Value = Method> {
    proptest::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::HEAD,
        Method::TRACE,
        Method::from_bytes(b"PURGE").expect("a valid method"),
    ])
}

/// A whole request.
#[derive(Debug, Clone)]
struct BadRequest {
    method: Method,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A request to one of `routes`.
fn request(routes: &'static [&'static str]) -> impl Strategy<Value = BadRequest> {
    let header = (
        one_of(HEADER_NAMES),
        prop_oneof![one_of(HEADER_VALUES), "[ -~]{0,24}"],
    );
    (
        route(routes),
        proptest::option::of(query()),
        proptest::collection::vec(header, 0..4),
        proptest::option::of(one_of(CONTENT_TYPES)),
        body(),
    )
        .prop_map(|((method, path), query, mut headers, content_type, body)| {
            let target = match query {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
            if let Some(content_type) = content_type {
                headers.push(("content-type".to_owned(), content_type));
            }
            BadRequest {
                method,
                target,
                headers,
                body,
            }
        })
}

/// Sends `request` in-process; `None` if it is no valid `http::Request` (a target no URI
/// parser takes never reaches an app: the server's HTTP parser refuses it first).
async fn send(client: &TestClient, request: &BadRequest) -> Option<TestResponse> {
    Uri::try_from(request.target.as_str()).ok()?;
    let mut builder = client.request(request.method.clone(), &request.target);
    for (name, value) in &request.headers {
        if http::HeaderValue::try_from(value.as_str()).is_err() {
            return None;
        }
        builder = builder.header(name, value);
    }
    Some(builder.body(request.body.clone()).send().await)
}

/// The property: below 500, a problem for an error, and a served known-good request after.
fn check(client: &TestClient, known_good: &str, request: &BadRequest) -> Result<(), TestCaseError> {
    RUNTIME.block_on(async {
        let Some(response) = send(client, request).await else {
            return Ok(());
        };
        assert_sound(request.method == Method::HEAD, &response)?;
        let good = client.get(known_good).send().await;
        prop_assert_eq!(
            good.status().as_u16(),
            200,
            "{} after the request",
            good.text()
        );
        Ok(())
    })
}

/// A response's status is below 500, and an error's body is a problem with its status.
fn assert_sound(head: bool, response: &TestResponse) -> Result<(), TestCaseError> {
    let status = response.status().as_u16();
    prop_assert!(status < 500, "{status}: {}", response.text());
    if status >= 400 && !head {
        prop_assert_eq!(
            response.header("content-type"),
            Some(oxapi::PROBLEM_JSON),
            "{}",
            response.text()
        );
        let problem: serde_json::Value = serde_json::from_slice(response.bytes())
            .map_err(|error| TestCaseError::fail(format!("not JSON: {error}")))?;
        prop_assert_eq!(problem["status"].as_u64(), Some(u64::from(status)));
    }
    Ok(())
}

static EXTRACTORS: LazyLock<TestClient> = LazyLock::new(|| bad_input::app().test_client());
static HELLO: LazyLock<TestClient> = LazyLock::new(|| hello::app().test_client());

proptest! {
    #![proptest_config(config(CASES))]

    /// Random requests to the app with every extractor kind.
    #[test]
    fn every_extractor_answers_bad_input_with_a_problem(request in request(EXTRACTOR_ROUTES)) {
        check(&EXTRACTORS, KNOWN_GOOD_PATH, &request)?;
    }

    /// Random requests to the hello example.
    #[test]
    fn the_hello_example_answers_bad_input_with_a_problem(request in request(HELLO_ROUTES)) {
        check(&HELLO, "/hello/world", &request)?;
    }
}

/// Raw requests for what only the wire carries: broken chunked encoding, bytes that are not
/// UTF-8 in the request line and the headers, heads past the limit, lying lengths.
fn wire_request() -> impl Strategy<Value = Vec<u8>> {
    let junk = proptest::collection::vec(any::<u8>(), 0..48);
    prop_oneof![
        // Chunked bodies with bad sizes, missing CRLFs, extensions, trailers.
        (
            one_of(&["/order", "/upload", "/bytes", "/text", "/login", "/value"]),
            one_of(&[
                "zz\r\nabc\r\n0\r\n\r\n",
                "5\r\nab\r\n0\r\n\r\n",
                "3\r\nabcdef\r\n0\r\n\r\n",
                "ffffffffffffffffff\r\nab\r\n",
                "-1\r\n\r\n",
                "3;ext=\"\r\nabc\r\n0\r\n\r\n",
                "3\r\nabc\r\n0\r\nx-trailer: \u{ff}\r\n\r\n",
                "3\nabc\n0\n\n",
                "0\r\n",
                "\r\n\r\n",
            ]),
        )
            .prop_map(|(path, chunks)| {
                format!(
                    "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                     transfer-encoding: chunked\r\nconnection: close\r\n\r\n{chunks}"
                )
                .into_bytes()
            }),
        // Junk bytes (invalid UTF-8 likely) in the path, a header name, a header value.
        (junk.clone(), 0_usize..3).prop_map(|(junk, place)| {
            let mut request = Vec::new();
            request.extend_from_slice(b"GET /headers");
            if place == 0 {
                request.extend_from_slice(&junk);
            }
            request.extend_from_slice(b" HTTP/1.1\r\nhost: x\r\n");
            if place == 1 {
                request.extend_from_slice(&junk);
                request.extend_from_slice(b": 1\r\n");
            }
            if place == 2 {
                request.extend_from_slice(b"x-request-id: ");
                request.extend_from_slice(&junk);
                request.extend_from_slice(b"\r\ncookie: ");
                request.extend_from_slice(&junk);
                request.extend_from_slice(b"\r\n");
            }
            request.extend_from_slice(b"connection: close\r\n\r\n");
            request
        }),
        // A head far past the limit: a long target or one long header.
        (1_usize..3, any::<bool>()).prop_map(|(megabytes, in_target)| {
            let long = "a".repeat(megabytes * 512 * 1024);
            if in_target {
                format!("GET /files/{long} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            } else {
                format!("GET /headers HTTP/1.1\r\nhost: x\r\nx-request-id: {long}\r\nconnection: close\r\n\r\n")
            }
            .into_bytes()
        }),
        // A body shorter than its Content-Length, then the write side closed; or two lengths.
        (junk, any::<bool>()).prop_map(|(junk, conflicting)| {
            let mut request = if conflicting {
                b"POST /bytes HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ncontent-length: 4\r\nconnection: close\r\n\r\n".to_vec()
            } else {
                format!(
                    "POST /text HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    junk.len() + 10
                )
                .into_bytes()
            };
            request.extend_from_slice(&junk);
            request
        }),
    ]
}

/// Sends `request` raw and shuts the write side, so a body shorter than promised ends.
async fn raw_half_closed(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and close) before the whole head is written: a broken pipe then
    // is no failure; what it answered is read below.
    if stream.write_all(request).await.is_ok() {
        let _ = stream.shutdown().await;
    }
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut response),
    )
    .await;
    assert!(read.is_ok(), "the server kept the connection open for 10 s");
    String::from_utf8_lossy(&response).into_owned()
}

/// Raw bytes over a real socket: every answer below 500, and a problem body when oxapi
/// (not hyper's HTTP parser, which answers with no body) wrote it; the server still serves.
#[test]
fn the_wire_answers_malformed_requests_below_500() {
    let server = RUNTIME.block_on(Server::start(bad_input::app()));
    let addr = server.addr();
    let mut runner = proptest::test_runner::TestRunner::new(Config {
        source_file: Some(file!()),
        ..config(48)
    });
    let outcome = runner.run(&wire_request(), |request| {
        RUNTIME.block_on(async {
            let response = raw_half_closed(addr, &request).await;
            // No answer at all is a closed connection: allowed for input hyper cannot parse.
            if !response.is_empty() {
                let status = raw_status(&response);
                prop_assert!(status < 500, "{response}");
                let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
                if status >= 400 && !body.is_empty() {
                    prop_assert!(response.contains("application/problem+json"), "{response}");
                }
            }
            let good = raw(
                addr,
                format!("GET {KNOWN_GOOD_PATH} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await;
            prop_assert_eq!(raw_status(&good), 200, "{}", good);
            Ok(())
        })
    });
    RUNTIME.block_on(server.stop());
    if let Err(error) = outcome {
        panic!("{error}");
    }
}

/// JSON nested 1,000, 100,000 and 1,000,000 deep is refused as malformed (serde_json stops at
/// depth 128): a 400 problem, no stack overflow, for a typed model and for `Json<Value>`,
/// on the event loop and on the blocking pool.
#[test]
fn deeply_nested_json_is_a_400_not_a_stack_overflow() {
    let client = bad_input::app().body_limit(8 * 1024 * 1024).test_client();
    RUNTIME.block_on(async {
        for depth in [1_000, 100_000, 1_000_000] {
            for objects in [false, true] {
                let body = nested_json(depth, objects);
                for route in ["/order", "/order/blocking", "/value"] {
                    let response = client
                        .post(route)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    assert_eq!(
                        response.status().as_u16(),
                        400,
                        "{route} at depth {depth}: {}",
                        response.text()
                    );
                    let problem: serde_json::Value = response.json();
                    let detail = problem["detail"].as_str().unwrap_or_default();
                    assert!(detail.contains("recursion limit"), "{detail}");
                }
            }
        }
        // Within the limit, the same shape is read.
        let response = client
            .post("/value")
            .header("content-type", "application/json")
            .body(nested_json(100, false))
            .send()
            .await;
        assert_eq!(response.status().as_u16(), 200, "{}", response.text());
    });
}
