//! The metrics page read by Prometheus' own Python client's text-format parser: every line
//! parses, and each family has the type Prometheus will store it as.

use std::process::Command;
use std::time::Duration;

use oxapi::prelude::*;
use oxapi_tests::{Client, Server, Version};
use serde_json::Value;

use super::{Scratch, blocking, run, tool};

#[get("/parsed/{id}")]
async fn parsed(id: u32) -> String {
    id.to_string()
}

/// A plain fn, so the blocking pool has run something.
#[get("/parsed-sync")]
fn parsed_sync() -> &'static str {
    "ok"
}

/// Reads the families out of the text with `prometheus_client.parser`, as JSON.
const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = [
    {"name": f.name, "type": f.type,
     "samples": [[s.name, s.labels, s.value] for s in f.samples]}
    for f in text_string_to_metric_families(open(sys.argv[1]).read())
]
print(json.dumps(families))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn prometheus_client_parses_the_metrics_page() {
    let app = App::new()
        .metrics_path(Some("/metrics"))
        .routes(routes![parsed, parsed_sync]);
    let server = Server::start(app).await;
    let client = Client::new(&server, Version::Http1);
    for path in ["/parsed/1", "/parsed/2", "/parsed/x", "/parsed-sync"] {
        client.get(path).await;
    }
    let text = client.get("/metrics").await.text();
    server.stop().await;

    let python = tool("venv/bin/python");
    let finished = blocking(move || {
        let scratch = Scratch::new("prometheus");
        let page = scratch.0.join("metrics.txt");
        std::fs::write(&page, &text).expect("write the page");
        let mut command = Command::new(python);
        command.args(["-c", PARSE]).arg(&page);
        run(
            command,
            &scratch,
            "prometheus_client",
            Duration::from_secs(60),
        )
    })
    .await;
    assert!(
        finished.status.success(),
        "prometheus_client could not parse the page:\n{}",
        finished.output()
    );
    let families: Vec<Value> = serde_json::from_str(&finished.stdout).expect("JSON");
    let family = |name: &str| {
        families
            .iter()
            .find(|family| family["name"] == name)
            .unwrap_or_else(|| panic!("no family {name} in {families:#?}"))
    };
    // Counters are named without `_total` by the parser.
    assert_eq!(family("http_server_requests")["type"], "counter");
    let duration = family("http_server_request_duration_seconds");
    assert_eq!(duration["type"], "histogram");
    let count = duration["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|sample| {
            sample[0] == "http_server_request_duration_seconds_count"
                && sample[1]["route"] == "/parsed/{id}"
        })
        .expect("the route's count");
    assert_eq!(count[2], 3.0);
    for gauge in [
        "oxapi_blocking_pool_busy",
        "oxapi_connections_open",
        "oxapi_ready",
    ] {
        assert_eq!(family(gauge)["type"], "gauge", "{gauge}");
    }
}
