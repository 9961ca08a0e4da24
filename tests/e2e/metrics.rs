//! The Prometheus endpoint over a real socket: per-route counts by status class and latency
//! histograms, the blocking pool's, the stall detector's and the connections' gauges.
//!
//! The recorder is the process's, shared by every test of this binary: each test measures
//! routes of its own (their templates are the labels), so counts are exact.

use oxapi::prelude::*;
use oxapi_tests::{Client, Server, Version};

#[get("/metered/items/{id}")]
async fn metered_item(id: u32) -> Result<String, ApiError> {
    if id == 0 {
        return Err(ApiError::not_found("no item 0"));
    }
    Ok(format!("item {id}"))
}

/// A plain fn: the blocking pool's.
#[get("/metered/sum")]
fn metered_sum() -> String {
    (1..=10u32).sum::<u32>().to_string()
}

/// The value of the sample named `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| {
            let (series, _) = line.rsplit_once(' ').unwrap_or((line, ""));
            (series == name || series.starts_with(&format!("{name}{{")))
                && labels.iter().all(|label| series.contains(label))
        })
        .and_then(|line| line.rsplit_once(' '))
        .and_then(|(_, value)| value.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_are_counted_by_status_class_and_timed() {
    let app = App::new()
        .metrics_path(Some("/metrics"))
        .blocking_threads(3)
        .routes(routes![metered_item, metered_sum]);
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    for id in [1, 2, 3] {
        assert_eq!(
            client.get(&format!("/metered/items/{id}")).await.status,
            200
        );
    }
    assert_eq!(client.get("/metered/items/0").await.status, 404);
    assert_eq!(client.get("/metered/items/x").await.status, 422);
    assert_eq!(client.get("/metered/sum").await.text(), "55");

    let scrape = client.get("/metrics").await;
    assert_eq!(scrape.status, 200);
    assert_eq!(
        scrape.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = scrape.text();
    let route = r#"route="/metered/items/{id}""#;
    let count = |class: &str| {
        sample(
            &text,
            "http_server_requests_total",
            &[route, &format!(r#"status="{class}""#), r#"method="GET""#],
        )
    };
    assert_eq!(count("2xx"), Some(3.0), "{text}");
    assert_eq!(count("4xx"), Some(2.0), "{text}");
    assert_eq!(count("5xx"), Some(0.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "http_server_request_duration_seconds_count",
            &[route]
        ),
        Some(5.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "http_server_request_duration_seconds_bucket",
            &[route, r#"le="+Inf""#]
        ),
        Some(5.0),
        "{text}"
    );
    assert!(text.contains("# TYPE http_server_request_duration_seconds histogram"));
    assert_eq!(
        sample(
            &text,
            "http_server_requests_total",
            &[r#"route="/metered/sum""#, r#"status="2xx""#]
        ),
        Some(1.0),
        "{text}"
    );

    // The gauges, read at the scrape.
    assert_eq!(
        sample(&text, "oxapi_blocking_pool_max_threads", &[]),
        Some(3.0),
        "{text}"
    );
    assert!(sample(&text, "oxapi_blocking_pool_threads", &[]).is_some_and(|n| n >= 1.0));
    assert_eq!(
        sample(&text, "oxapi_blocking_pool_refused_total", &[]),
        Some(0.0)
    );
    assert!(sample(&text, "oxapi_stall_slow_polls_total", &[]).is_some());
    // This scrape's own connection, at least.
    assert!(
        sample(&text, "oxapi_connections_open", &[]).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(sample(&text, "oxapi_connections_max", &[]).is_some_and(|n| n > 1.0));
    assert_eq!(sample(&text, "oxapi_ready", &[]), Some(1.0));

    // The endpoint is hidden from the document.
    let document = client.get("/openapi.json").await.json();
    assert!(document["paths"].get("/metrics").is_none());
    server.stop().await;
}

#[tokio::test]
async fn without_a_path_nothing_is_served() {
    let client = App::new().routes(routes![metered_sum]).test_client();
    assert_eq!(client.get("/metrics").send().await.status(), 404);
}
