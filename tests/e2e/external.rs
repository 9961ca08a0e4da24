//! oxapi checked by tools written by others: the OpenAPI validators on every example's
//! document, a real browser on the docs pages, and schemathesis against the running example.
//!
//! These tests need the tools that `scripts/install-tools.sh` puts in `.tools/` (and Chromium,
//! from Debian), so they are `#[ignore]`d in a plain `cargo test`; `scripts/test.sh` installs
//! the tools and runs them with
//!
//! ```sh
//! OXAPI_TOOLS=$PWD/.tools cargo test -p oxapi-tests --test e2e -- --ignored external::
//! ```
//!
//! Every process they start talks to 127.0.0.1 only, and is stopped before the test ends.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::IpAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use oxapi_tests::{Client, Server, Version};
use serde_json::Value;

mod metrics_format;
mod swagger_authorize;
mod todo_front_page;
mod websocket_conformance;

// ---------------------------------------------------------------------------------------------
// Helpers: tools, scratch directories, bounded processes
// ---------------------------------------------------------------------------------------------

/// The `.tools` directory `scripts/install-tools.sh` fills, from `OXAPI_TOOLS`.
fn tools() -> PathBuf {
    let tools = std::env::var_os("OXAPI_TOOLS").unwrap_or_else(|| {
        panic!(
            "OXAPI_TOOLS is not set: run `bash scripts/install-tools.sh`, then \
             `OXAPI_TOOLS=$PWD/.tools cargo test -p oxapi-tests --test e2e -- --ignored external::`"
        )
    });
    let tools = PathBuf::from(tools);
    assert!(
        tools.is_absolute() && tools.is_dir(),
        "OXAPI_TOOLS must be the absolute path of the .tools directory, not {}",
        tools.display()
    );
    tools
}

/// A tool from `.tools`, which must exist.
fn tool(relative: &str) -> PathBuf {
    let path = tools().join(relative);
    assert!(
        path.is_file(),
        "{} is missing: run `bash scripts/install-tools.sh`",
        path.display()
    );
    path
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the workspace")
        .to_owned()
}

/// A fresh directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "oxapi-external-{}-{name}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a scratch directory");
        Self(path)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a finished process left.
#[derive(Debug)]
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    /// Both streams, for a failure message.
    fn output(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// Runs `command` in a process group of its own, its output into files of `scratch`, and waits
/// for it. The limit only catches a hung tool: a process still running then is killed with its
/// whole group (a browser's helpers included) and the test fails saying so. No test asserts on
/// how long anything takes.
fn run(mut command: Command, scratch: &Scratch, name: &str, limit: Duration) -> Finished {
    let stdout_path = scratch.path(&format!("{name}.stdout"));
    let stderr_path = scratch.path(&format!("{name}.stderr"));
    command
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("create stdout file"))
        .stderr(File::create(&stderr_path).expect("create stderr file"))
        .process_group(0);
    // Only 127.0.0.1 is ever a destination: no proxy may redirect a request elsewhere.
    for proxy in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        command.env_remove(proxy);
    }
    command
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {program}: {error}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the tool") {
            break status;
        }
        if started.elapsed() > limit {
            kill_group(child.id());
            let _ = child.wait();
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            panic!(
                "{name} ({program}) hung: still running after {limit:?}, killed\n--- stderr ---\n{stderr}"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Finished {
        status,
        stdout: String::from_utf8_lossy(&std::fs::read(&stdout_path).unwrap_or_default())
            .into_owned(),
        stderr: String::from_utf8_lossy(&std::fs::read(&stderr_path).unwrap_or_default())
            .into_owned(),
    }
}

/// Kills the process group led by `pid`, which `run` started.
fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .status();
}

/// Runs blocking work from an async test without stalling the server's event loop.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .expect("the blocking work finishes")
}

// ---------------------------------------------------------------------------------------------
// (a) Every example's checked-in document passes both validators
// ---------------------------------------------------------------------------------------------

/// `examples/*/openapi.json`: every example must have its document checked in.
fn example_documents() -> Vec<PathBuf> {
    let examples = workspace_root().join("examples");
    let mut documents = Vec::new();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&examples).expect("read examples/") {
        let dir = entry.expect("read examples/").path();
        if !dir.join("Cargo.toml").is_file() {
            continue;
        }
        let document = dir.join("openapi.json");
        if document.is_file() {
            documents.push(document);
        } else {
            missing.push(document.display().to_string());
        }
    }
    documents.sort();
    assert!(
        missing.is_empty(),
        "examples without their document: {missing:?}"
    );
    assert!(
        !documents.is_empty(),
        "no example in {}",
        examples.display()
    );
    documents
}

/// Documents pinned by the tests themselves: the zoo's, which holds every declaration the
/// document can state (`zoo.rs`).
fn pinned_documents() -> Vec<PathBuf> {
    vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/zoo.openapi.json")]
}

/// Runs `validate` on every example's document and each pinned one, and fails listing each
/// document it rejects, with the tool's output. `validate` returns the tool's verdict: `Err`
/// with its output.
fn every_document_passes(name: &str, validate: impl Fn(&Path, &Scratch) -> Result<(), String>) {
    let scratch = Scratch::new(name);
    let mut failures = Vec::new();
    for document in example_documents().into_iter().chain(pinned_documents()) {
        match validate(&document, &scratch) {
            Ok(()) => eprintln!("{name}: {} passes", document.display()),
            Err(output) => {
                failures.push(format!("{name} rejects {}:\n{output}", document.display()))
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
fn every_example_document_passes_openapi_spec_validator() {
    let validator = tool("venv/bin/openapi-spec-validator");
    every_document_passes("openapi-spec-validator", |document, scratch| {
        let mut command = Command::new(&validator);
        command.arg(document);
        let finished = run(
            command,
            scratch,
            "openapi-spec-validator",
            Duration::from_secs(120),
        );
        // It prints `FILE: OK` when the document is valid.
        if finished.status.success() && finished.stdout.trim_end().ends_with(": OK") {
            Ok(())
        } else {
            Err(finished.output())
        }
    });
}

#[test]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
fn every_example_document_passes_redocly_lint() {
    let redocly = tool("npm/node_modules/.bin/redocly");
    every_document_passes("redocly lint --extends=spec", |document, scratch| {
        let mut command = Command::new(&redocly);
        command
            .args(["lint", "--extends=spec", "--format=json"])
            .arg(document)
            // Run from an empty directory: no redocly.yaml of anyone else's applies.
            .current_dir(&scratch.0)
            // No telemetry, no update check: redocly makes no request at all.
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .env("REDOCLY_SUPPRESS_NOTIFICATIONS", "true");
        let finished = run(command, scratch, "redocly", Duration::from_secs(120));
        // Its report: `{"totals": {"errors": N, "warnings": N, ...}, "problems": [...]}`. A
        // warning fails the check as an error does.
        let report: Option<Value> = serde_json::from_str(&finished.stdout).ok();
        let clean = report.as_ref().is_some_and(|report| {
            report["totals"]["errors"] == 0 && report["totals"]["warnings"] == 0
        });
        if finished.status.success() && clean {
            Ok(())
        } else {
            let problems = report.map_or_else(String::new, |report| {
                serde_json::to_string_pretty(&report["problems"]).unwrap_or_default()
            });
            Err(format!(
                "{}\n--- problems ---\n{problems}",
                finished.output()
            ))
        }
    });
}

// ---------------------------------------------------------------------------------------------
// (b) A headless browser renders every operation on the docs pages, offline
// ---------------------------------------------------------------------------------------------

/// One operation of a document: method, path and summary.
#[derive(Debug)]
struct Operation {
    method: String,
    path: String,
    summary: Option<String>,
}

fn operations(document: &Value) -> Vec<Operation> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push(Operation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: operation["summary"].as_str().map(str::to_owned),
                });
            }
        }
    }
    assert!(!operations.is_empty(), "the document has no operation");
    operations
}

/// The visible text of a serialized DOM: scripts and styles dropped, tags removed (so text split
/// across elements, as `/items<wbr>/{id}`, joins up), entities decoded, the zero-width spaces
/// Swagger UI puts into paths removed, and whitespace collapsed.
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let lower = html.to_ascii_lowercase();
    let mut at = 0;
    while at < html.len() {
        let Some(open) = html[at..].find('<').map(|i| at + i) else {
            text.push_str(&html[at..]);
            break;
        };
        text.push_str(&html[at..open]);
        let rest = &lower[open..];
        let skip_to = ["script", "style"].iter().find_map(|element| {
            let starts = rest.starts_with(&format!("<{element}"))
                && rest[1 + element.len()..].starts_with(|c: char| c == '>' || c.is_whitespace());
            starts.then(|| {
                let close = format!("</{element}");
                lower[open..]
                    .find(&close)
                    .map_or(html.len(), |i| open + i + close.len())
            })
        });
        let from = skip_to.unwrap_or(open);
        at = html[from..].find('>').map_or(html.len(), |i| from + i + 1);
    }
    let decoded = decode_entities(&text).replace(['\u{200b}', '\u{feff}'], "");
    collapse_whitespace(&decoded)
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The parts of a URL the checks need: scheme and host (brackets of an IPv6 host removed).
fn scheme_and_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let Some(rest) = rest.strip_prefix("//") else {
        return Some((scheme, String::new()));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    Some((scheme, host.to_ascii_lowercase()))
}

/// Whether a socket address as the net log writes it (`127.0.0.1:80`, `[::1]:443`) is on
/// the loopback interface.
fn is_loopback(address: &str) -> bool {
    let ip = if let Some(bracketed) = address.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        address.rsplit_once(':').map_or(address, |(ip, _)| ip)
    };
    ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What Chromium's net log shows of one page load.
///
/// How requests are told apart: Chromium logs every request it makes as a `URL_REQUEST` source
/// whose `URL_REQUEST_START_JOB` names its `initiator`. A request a document makes (a script, a
/// stylesheet, `fetch`, an image, a font, a navigation it starts) carries that document's origin,
/// or `null` for an opaque one. The browser's own background requests (update checks, the time
/// service, account and autofill look-ups, some of which even carry the page's isolation key)
/// carry `not an origin`, as does the navigation the command line asks for, which is a
/// `main frame` request. So a page request is one with an origin as initiator, or a frame
/// navigation; it must go to 127.0.0.1 even if it would have failed. The browser's own requests
/// are reported, not judged by their URL: `--host-resolver-rules` maps every name but 127.0.0.1
/// to "not found", so they fail before any connection. Sockets are checked too, whoever asked:
/// no TCP connection is attempted to an address off the loopback interface, and no UDP datagram
/// is sent to one. A UDP `connect()` alone sends nothing: Chromium does one to a public IPv6
/// address to learn whether IPv6 is routable, and that is allowed. A preconnect (a connection
/// opened before any request needs it) to a host other than 127.0.0.1 fails the check too.
#[derive(Debug, Default)]
struct NetLog {
    /// URLs the page requested (redirect targets included).
    page: Vec<String>,
    /// URLs the browser requested on its own, with the error each ended with.
    browser: Vec<(String, Option<i64>)>,
    /// Traffic to an address off the loopback interface.
    off_loopback: Vec<String>,
    /// UDP sockets connected to an address off loopback that sent nothing.
    probes: Vec<String>,
    /// Connections opened ahead of any request (`<link rel=preconnect>`, the browser's
    /// predictor), to a host other than 127.0.0.1.
    preconnects: Vec<String>,
}

#[derive(Debug, Default)]
struct RequestSource {
    urls: Vec<String>,
    initiator: Option<String>,
    request_type: Option<String>,
    net_error: Option<i64>,
}

#[derive(Debug, Default)]
struct UdpSource {
    peers: Vec<String>,
    sent: bool,
}

impl NetLog {
    fn read(path: &Path) -> Self {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("no net log at {}: {error}", path.display()));
        // A browser that did not close its log leaves `...},\n` unterminated.
        let log: Value = serde_json::from_str(&text)
            .or_else(|_| {
                let trimmed = text.trim_end().trim_end_matches(',');
                serde_json::from_str(&format!("{trimmed}]}}"))
            })
            .unwrap_or_else(|error| panic!("the net log is not JSON: {error}"));
        let names = |table: &str| -> BTreeMap<i64, String> {
            log["constants"][table]
                .as_object()
                .unwrap_or_else(|| panic!("no {table} in the net log"))
                .iter()
                .filter_map(|(name, id)| Some((id.as_i64()?, name.clone())))
                .collect()
        };
        let event_types = names("logEventTypes");
        let source_types = names("logSourceType");

        let mut requests: BTreeMap<i64, RequestSource> = BTreeMap::new();
        let mut udp: BTreeMap<i64, UdpSource> = BTreeMap::new();
        let mut net_log = Self::default();
        for event in log["events"].as_array().expect("events") {
            let name = event["type"]
                .as_i64()
                .and_then(|id| event_types.get(&id))
                .map_or("", String::as_str);
            let source_type = event["source"]["type"]
                .as_i64()
                .and_then(|id| source_types.get(&id))
                .map_or("", String::as_str);
            let source = event["source"]["id"].as_i64().unwrap_or(-1);
            let params = &event["params"];
            match (source_type, name) {
                ("URL_REQUEST", _) => {
                    let request = requests.entry(source).or_default();
                    if name == "URL_REQUEST_START_JOB" {
                        if let Some(initiator) = params["initiator"].as_str() {
                            request.initiator = Some(initiator.to_owned());
                        }
                        if let Some(kind) = params["request_type"].as_str() {
                            request.request_type = Some(kind.to_owned());
                        }
                    }
                    for key in ["url", "location"] {
                        if let Some(url) = params[key].as_str()
                            && !request.urls.iter().any(|known| known == url)
                        {
                            request.urls.push(url.to_owned());
                        }
                    }
                    if name == "REQUEST_ALIVE"
                        && let Some(error) = params["net_error"].as_i64()
                    {
                        request.net_error = Some(error);
                    }
                }
                (_, "TCP_CONNECT_ATTEMPT" | "TCP_CONNECT") => {
                    let mut addresses: Vec<&str> = Vec::new();
                    addresses.extend(params["address"].as_str());
                    addresses.extend(params["remote_address"].as_str());
                    if let Some(list) = params["address_list"].as_array() {
                        addresses.extend(list.iter().filter_map(Value::as_str));
                    }
                    for address in addresses {
                        if !is_loopback(address) {
                            net_log
                                .off_loopback
                                .push(format!("TCP connection to {address}"));
                        }
                    }
                }
                (_, "HTTP_STREAM_JOB_CONTROLLER") => {
                    if params["is_preconnect"] == true
                        && let Some(url) = params["url"].as_str()
                        && scheme_and_host(url).is_none_or(|(_, host)| host != "127.0.0.1")
                    {
                        net_log.preconnects.push(url.to_owned());
                    }
                }
                (_, "UDP_CONNECT") => {
                    if let Some(address) = params["address"].as_str() {
                        udp.entry(source)
                            .or_default()
                            .peers
                            .push(address.to_owned());
                    }
                }
                (_, "UDP_BYTES_SENT" | "UDP_SEND_ERROR") => {
                    let socket = udp.entry(source).or_default();
                    socket.sent = true;
                    if let Some(address) = params["address"].as_str() {
                        socket.peers.push(address.to_owned());
                    }
                }
                _ => {}
            }
        }
        for (id, socket) in udp {
            for peer in socket.peers.iter().filter(|peer| !is_loopback(peer)) {
                if socket.sent {
                    net_log
                        .off_loopback
                        .push(format!("UDP datagrams to {peer} (socket {id})"));
                } else {
                    net_log.probes.push(peer.clone());
                }
            }
        }
        for request in requests.into_values() {
            let by_page = request
                .initiator
                .as_deref()
                .is_some_and(|initiator| initiator != "not an origin")
                || matches!(
                    request.request_type.as_deref(),
                    Some("main frame" | "sub frame")
                );
            if by_page {
                net_log.page.extend(request.urls);
            } else {
                for url in request.urls {
                    net_log.browser.push((url, request.net_error));
                }
            }
        }
        net_log
    }

    fn summary(&self) -> String {
        let browser: Vec<String> = self
            .browser
            .iter()
            .map(|(url, error)| format!("{url} (net error {error:?})"))
            .collect();
        format!(
            "page requests:\n  {}\nthe browser's own requests:\n  {}\nUDP probes (connect only, nothing sent): {:?}",
            self.page.join("\n  "),
            browser.join("\n  "),
            self.probes
        )
    }
}

/// Loads `url` in headless Chromium, lets it run its scripts, and returns the DOM it ends with
/// and its net log.
fn chromium(url: &str, scratch: &Scratch) -> (String, NetLog) {
    let net_log = scratch.path("net-log.json");
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--no-proxy-server",
            // Every name but 127.0.0.1 fails to resolve: nothing can leave the machine, and
            // whatever tries shows up in the net log.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            // A tall window, so pages that render sections lazily as they scroll into view
            // (Scalar) render all of them.
            "--window-size=1280,20000",
            // Run the page's scripts, its requests and timers for 15 s of virtual time, which
            // passes as fast as the page lets it, then dump the DOM.
            "--virtual-time-budget=15000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.path("profile").display()
        ))
        .arg(format!("--log-net-log={}", net_log.display()))
        .arg("--dump-dom")
        .arg(url);
    let finished = run(command, scratch, "chromium", Duration::from_secs(180));
    assert!(
        finished.status.success() && finished.stdout.contains("</html>"),
        "chromium did not load {url}:\n{}",
        finished.output()
    );
    (finished.stdout, NetLog::read(&net_log))
}

/// The page at `page` of the running hello shows every operation of its document, and loads
/// everything it needs from 127.0.0.1.
async fn page_renders_every_operation_offline(page: &'static str) {
    let server = Server::start(hello::app()).await;
    let addr = server.addr();
    let document = Client::new(&server, Version::Http1)
        .get("/openapi.json")
        .await
        .json();
    let url = format!("http://{addr}{page}");
    let (dom, net_log) = blocking({
        let url = url.clone();
        move || {
            let scratch = Scratch::new("chromium");
            chromium(&url, &scratch)
        }
    })
    .await;
    server.stop().await;

    let text = visible_text(&dom);
    let missing: Vec<String> = operations(&document)
        .iter()
        .flat_map(|operation| {
            let mut missing = Vec::new();
            if !text.contains(&operation.path) {
                missing.push(format!(
                    "the path of {} {}",
                    operation.method, operation.path
                ));
            }
            if let Some(summary) = &operation.summary
                && !text.contains(&collapse_whitespace(summary))
            {
                missing.push(format!(
                    "the summary {summary:?} of {} {}",
                    operation.method, operation.path
                ));
            }
            missing
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{url} does not show {missing:#?}\n--- the page's visible text ---\n{text}"
    );

    // The page really ran: it was loaded, and it loaded what it needs from 127.0.0.1.
    assert!(
        net_log.page.contains(&url),
        "the net log has no request of {url}: the analysis is broken\n{}",
        net_log.summary()
    );
    assert!(
        net_log.page.len() > 1,
        "{url} requested nothing: nothing rendered it\n{}",
        net_log.summary()
    );
    let outside: Vec<&String> = net_log
        .page
        .iter()
        .filter(|requested| match scheme_and_host(requested) {
            Some((scheme, host)) => match scheme.as_str() {
                "http" | "https" | "ws" | "wss" => host != "127.0.0.1",
                // In-memory: no request leaves the browser.
                "data" | "blob" | "about" => false,
                _ => true,
            },
            None => true,
        })
        .collect();
    assert!(
        outside.is_empty(),
        "{url} requests something other than 127.0.0.1: {outside:#?}\n{}",
        net_log.summary()
    );
    assert!(
        net_log.off_loopback.is_empty(),
        "traffic off the loopback interface while loading {url}: {:#?}\n{}",
        net_log.off_loopback,
        net_log.summary()
    );
    assert!(
        net_log.preconnects.is_empty(),
        "preconnects to hosts other than 127.0.0.1 while loading {url}: {:#?}\n{}",
        net_log.preconnects,
        net_log.summary()
    );
    let reached: Vec<&(String, Option<i64>)> = net_log
        .browser
        .iter()
        .filter(|(requested, error)| {
            let local = scheme_and_host(requested).is_some_and(|(_, host)| host == "127.0.0.1");
            !local && !error.is_some_and(|error| error < 0)
        })
        .collect();
    assert!(
        reached.is_empty(),
        "the browser's own requests that did not fail: {reached:#?}\n{}",
        net_log.summary()
    );
    eprintln!("{url}: every operation shown\n{}", net_log.summary());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn swagger_ui_at_docs_shows_every_operation_from_127_0_0_1_only() {
    page_renders_every_operation_offline("/docs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn scalar_at_scalar_shows_every_operation_from_127_0_0_1_only() {
    page_renders_every_operation_offline("/scalar").await;
}

// ---------------------------------------------------------------------------------------------
// (c) schemathesis: the running example does what its document says
// ---------------------------------------------------------------------------------------------

/// schemathesis generates requests from the document `server` serves (valid ones, edge cases
/// and invalid ones), sends them to it, and checks every response: no 5xx,
/// every status code and content type and header documented, bodies valid against their
/// schemas, valid input accepted and invalid input rejected, plus its stateful scenarios. The
/// seed and the number of cases per operation are fixed, so the same cases run every time (a
/// time budget would make them depend on the machine's speed).
///
/// `config`, if any, names a schemathesis configuration file in `tests/e2e/external/` with
/// what that example needs beyond the defaults. `schemathesis_hooks.py`, beside it, is loaded
/// for every example (it says which schemathesis behaviour it corrects).
async fn schemathesis_finds_conforming(server: Server, headers: &[&str], config: Option<&str>) {
    let headers: Vec<String> = headers.iter().map(|header| (*header).to_owned()).collect();
    let schemathesis = tool("venv/bin/schemathesis");
    let external = workspace_root().join("tests/e2e/external");
    let config = config.map(|name| external.join(name));
    let base = format!("http://{}", server.addr());
    let finished = blocking(move || {
        let scratch = Scratch::new("schemathesis");
        let mut command = Command::new(schemathesis);
        if let Some(config) = config {
            command.arg("--config-file").arg(config);
        }
        command
            .arg("run")
            .arg(format!("{base}/openapi.json"))
            // The document's `servers` names 127.0.0.1:8000: test this server instead.
            .args(["--url", &base])
            // Credentials for the operations that require them; schemathesis also tries
            // requests without them and with wrong ones, which must be refused.
            .args(
                headers
                    .iter()
                    .flat_map(|header| ["--header", header.as_str()]),
            )
            .args(["--checks", "all"])
            .args(["--seed", "1"])
            .args(["--max-examples", "200"])
            .args(["--workers", "1"])
            .args(["--request-timeout", "20"])
            .args(["--generation-database", "none"])
            .args(["--output-truncate", "false"])
            .arg("--no-color")
            // Reports and caches, if any, go to the scratch directory.
            .current_dir(&scratch.0)
            .env("SCHEMATHESIS_HOOKS", external.join("schemathesis_hooks.py"))
            .env("NO_COLOR", "1")
            .env("COLUMNS", "120");
        run(command, &scratch, "schemathesis", Duration::from_secs(300))
    })
    .await;
    server.stop().await;
    assert!(
        finished.status.success(),
        "schemathesis found the service and its document disagree:\n{}",
        finished.output()
    );
    eprintln!(
        "{}",
        finished
            .stdout
            .lines()
            .filter(|line| line.contains("generated") || line.contains("issues"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn schemathesis_finds_hello_conforming_to_its_document() {
    schemathesis_finds_conforming(Server::start(hello::app()).await, &[], None).await;
}

/// The bookshop carries a rule of every kind, on model fields and on parameters: this proves
/// each is enforced as documented.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn schemathesis_finds_bookshop_conforming_to_its_document() {
    schemathesis_finds_conforming(
        Server::start(bookshop::app()).await,
        &[&format!("x-api-key: {}", bookshop::DEMO_API_KEY)],
        None,
    )
    .await;
}

/// The todo service on a database in memory, as a user signed up on it: CRUD with
/// validation, pages, writes under `If-Match` (`todo.schemathesis.toml` lets a made-up
/// entity tag get its 412), users and tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn schemathesis_finds_todo_conforming_to_its_document() {
    let server = Server::start(todo::app(todo::Config::new(
        todo::DatabaseConfig::in_memory(),
    )))
    .await;
    let token = crate::todo::sign_up(&Client::new(&server, Version::Http1), "").await;
    schemathesis_finds_conforming(
        server,
        &[&format!("authorization: Bearer {token}")],
        Some("todo.schemathesis.toml"),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// The helpers' own tests (no tool needed)
// ---------------------------------------------------------------------------------------------

#[test]
fn visible_text_joins_split_text_and_drops_scripts() {
    let html = "<html><head><style>p{}</style><script>var x = '/secret';</script></head>\
                <body><span>/items<wbr>/{id}</span><p>Say&nbsp;hello</p><i>.</i>\
                <a>\u{200b}/a\u{200b}/b</a>&lt;&#39;&#x41;&amp;&unknown;</body></html>";
    let text = visible_text(html);
    assert!(text.contains("/items/{id}"), "{text}");
    assert!(text.contains("Say hello."), "{text}");
    assert!(text.contains("/a/b"), "{text}");
    assert!(text.contains("<'A&&unknown;"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    assert!(!text.contains("p{}"), "{text}");
}

#[test]
fn urls_and_addresses_are_classified() {
    assert_eq!(
        scheme_and_host("http://127.0.0.1:8000/docs?x#y"),
        Some(("http".into(), "127.0.0.1".into()))
    );
    assert_eq!(
        scheme_and_host("https://user@CDN.example.com/x.js"),
        Some(("https".into(), "cdn.example.com".into()))
    );
    assert_eq!(
        scheme_and_host("http://[::1]:80/"),
        Some(("http".into(), "::1".into()))
    );
    assert_eq!(
        scheme_and_host("data:image/png;base64,xyz"),
        Some(("data".into(), String::new()))
    );
    assert!(is_loopback("127.0.0.1:443"));
    assert!(is_loopback("[::1]:443"));
    assert!(!is_loopback("[2001:4860:4860::8888]:443"));
    assert!(!is_loopback("10.0.0.1:80"));
    assert!(!is_loopback("nonsense"));
}

#[test]
fn the_net_log_analysis_tells_page_requests_from_the_browsers_own() {
    let scratch = Scratch::new("net-log");
    let path = scratch.path("net-log.json");
    // The shape Chromium writes; the log is left unterminated, as a killed browser leaves it.
    let log = r#"{"constants": {
        "logEventTypes": {"URL_REQUEST_START_JOB": 1, "REQUEST_ALIVE": 2, "TCP_CONNECT_ATTEMPT": 3,
                          "UDP_CONNECT": 4, "UDP_BYTES_SENT": 5,
                          "HTTP_STREAM_JOB_CONTROLLER": 6},
        "logSourceType": {"URL_REQUEST": 1, "SOCKET": 2, "UDP_SOCKET": 3,
                          "HTTP_STREAM_JOB_CONTROLLER": 4}},
      "events": [
        {"type": 1, "source": {"id": 1, "type": 1}, "params": {"initiator": "not an origin",
         "request_type": "main frame", "url": "http://127.0.0.1:9/docs"}},
        {"type": 1, "source": {"id": 2, "type": 1}, "params": {"initiator": "http://127.0.0.1:9",
         "request_type": "other", "url": "https://cdn.example.com/ui.js"}},
        {"type": 2, "source": {"id": 2, "type": 1}, "params": {"net_error": -105}},
        {"type": 1, "source": {"id": 3, "type": 1}, "params": {"initiator": "not an origin",
         "request_type": "other", "url": "https://update.example.com/check"}},
        {"type": 2, "source": {"id": 3, "type": 1}, "params": {"net_error": -105}},
        {"type": 3, "source": {"id": 4, "type": 2}, "params": {"address": "127.0.0.1:9"}},
        {"type": 3, "source": {"id": 5, "type": 2}, "params": {"address": "93.184.216.34:443"}},
        {"type": 4, "source": {"id": 6, "type": 3}, "params": {"address": "[2001:db8::1]:443"}},
        {"type": 4, "source": {"id": 7, "type": 3}, "params": {"address": "192.0.2.1:53"}},
        {"type": 5, "source": {"id": 7, "type": 3}, "params": {"byte_count": 40}},
        {"type": 6, "source": {"id": 8, "type": 4}, "params": {"is_preconnect": true,
         "url": "http://127.0.0.1:9/"}},
        {"type": 6, "source": {"id": 9, "type": 4}, "params": {"is_preconnect": true,
         "url": "https://fonts.example.com/"}},
        {"type": 6, "source": {"id": 10, "type": 4}, "params": {"is_preconnect": false,
         "url": "https://cdn.example.com/ui.js"}},
    "#;
    std::fs::write(&path, log).unwrap();
    let net_log = NetLog::read(&path);
    assert_eq!(
        net_log.page,
        ["http://127.0.0.1:9/docs", "https://cdn.example.com/ui.js"]
    );
    assert_eq!(
        net_log.browser,
        [("https://update.example.com/check".to_owned(), Some(-105))]
    );
    assert_eq!(
        net_log.off_loopback,
        [
            "TCP connection to 93.184.216.34:443",
            "UDP datagrams to 192.0.2.1:53 (socket 7)"
        ]
    );
    assert_eq!(net_log.probes, ["[2001:db8::1]:443"]);
    assert_eq!(net_log.preconnects, ["https://fonts.example.com/"]);
}
