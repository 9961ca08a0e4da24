//! What an instance tells its operator, from a real process: request ids in and out, JSON log
//! lines carrying them, and spans exported over OTLP to a collector the test runs, joined to
//! the caller's trace.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use oxapi::RequestId;
use oxapi::prelude::*;
use prost::Message;

use crate::process::{Fixture, body};

#[get("/echo-id")]
async fn echo_id(id: RequestId) -> String {
    id.to_string()
}

#[tokio::test]
async fn the_request_id_is_kept_or_made_and_answered() {
    let client = App::new()
        .access_log(true)
        .routes(routes![echo_id])
        .test_client();

    let kept = client
        .get("/echo-id")
        .header("x-request-id", "req-7f3a")
        .send()
        .await;
    assert_eq!(kept.text(), "req-7f3a");
    assert_eq!(kept.headers()["x-request-id"], "req-7f3a");

    // None, empty, too long or not visible ASCII: a new UUID, the same in both places.
    let too_long = "x".repeat(201);
    for sent in [None, Some(""), Some(too_long.as_str()), Some("has space")] {
        let mut request = client.get("/echo-id");
        if let Some(value) = sent {
            request = request.header("x-request-id", value);
        }
        let response = request.send().await;
        let answered = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(response.text(), answered, "{sent:?}");
        assert!(uuid::Uuid::parse_str(&answered).is_ok(), "{answered}");
    }

    // Without the access log the extractor still reads the header, and nothing is added to
    // the response.
    let plain = App::new().routes(routes![echo_id]).test_client();
    let response = plain
        .get("/echo-id")
        .header("x-request-id", "from-the-proxy")
        .send()
        .await;
    assert_eq!(response.text(), "from-the-proxy");
    assert!(response.headers().get("x-request-id").is_none());
}

/// GET `path` with `headers`, as one HTTP/1.1 request.
fn get_with(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> String {
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(oxapi_tests::raw(addr, request.as_bytes()))
}

#[test]
fn json_log_lines_carry_the_request_id() {
    let fixture = Fixture::start(
        &[
            "--bind",
            "127.0.0.1:0",
            "--access-log",
            "--log-format",
            "json",
        ],
        &[],
    );
    let response = get_with(fixture.addr, "/traced", &[("x-request-id", "json-line-1")]);
    assert_eq!(body(&response), "json-line-1");

    let inside: serde_json::Value =
        serde_json::from_str(&fixture.wait_for_stderr("inside the handler")).unwrap();
    assert_eq!(inside["level"], "INFO");
    assert_eq!(inside["answer"], 42);
    assert_eq!(inside["span"]["request_id"], "json-line-1", "{inside}");
    assert_eq!(inside["span"]["route"], "/traced");
    assert_eq!(inside["span"]["method"], "GET");

    let answered: serde_json::Value =
        serde_json::from_str(&fixture.wait_for_stderr("answered")).unwrap();
    assert_eq!(answered["status"], 200, "{answered}");
    assert!(answered["elapsed_ms"].as_f64().is_some(), "{answered}");
    assert_eq!(answered["span"]["request_id"], "json-line-1");

    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

/// A collector: answers every OTLP/HTTP export with 200 and hands its body over.
fn collector() -> (u16, mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut payload = vec![0; length];
            if reader.read_exact(&mut payload).is_err() {
                continue;
            }
            let mut stream = reader.into_inner();
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            if sender.send((head, payload)).is_err() {
                return;
            }
        }
    });
    (port, receiver)
}

#[test]
fn spans_are_exported_over_otlp_in_the_callers_trace() {
    let (port, exports) = collector();
    let endpoint = format!("http://127.0.0.1:{port}");
    let fixture = Fixture::start(
        &["--bind", "127.0.0.1:0", "--access-log"],
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_SERVICE_NAME", "fixture-under-test"),
        ],
    );
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let traceparent = format!("00-{trace_id}-{parent_id}-01");
    let response = get_with(
        fixture.addr,
        "/traced",
        &[("traceparent", &traceparent), ("x-request-id", "otel-1")],
    );
    assert_eq!(body(&response), "otel-1");
    // The last batch is sent as the process ends.
    fixture.signal("-TERM");
    assert!(fixture.wait().success());

    let mut spans = Vec::new();
    let mut heads = Vec::new();
    while let Ok((head, payload)) = exports.recv_timeout(Duration::from_secs(10)) {
        heads.push(head);
        let export = ExportTraceServiceRequest::decode(payload.as_slice()).expect("OTLP protobuf");
        for resource in export.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|resource| &resource.attributes)
                .find(|attribute| attribute.key == "service.name")
                .and_then(|attribute| attribute.value.as_ref()?.value.clone());
            for scope in resource.scope_spans {
                spans.extend(scope.spans.into_iter().map(|span| (service.clone(), span)));
            }
        }
        if spans.iter().any(|(_, span)| span.name == "request") {
            break;
        }
    }
    assert!(
        heads
            .iter()
            .all(|head| head.starts_with("POST /v1/traces ")),
        "{heads:?}"
    );
    let (service, request) = spans
        .iter()
        .find(|(_, span)| span.name == "request")
        .unwrap_or_else(|| panic!("no request span among {spans:?}"));
    assert_eq!(
        service,
        &Some(Value::StringValue("fixture-under-test".into()))
    );
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(hex(&request.trace_id), trace_id);
    assert_eq!(hex(&request.parent_span_id), parent_id);
    let attribute = |key: &str| {
        request
            .attributes
            .iter()
            .find(|attribute| attribute.key == key)
            .and_then(|attribute| attribute.value.as_ref()?.value.clone())
    };
    assert_eq!(
        attribute("request_id"),
        Some(Value::StringValue("otel-1".into()))
    );
    assert_eq!(
        attribute("route"),
        Some(Value::StringValue("/traced".into()))
    );
}
