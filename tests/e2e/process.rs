//! The service as a process: its command line, its thread names, its listen backlog, its
//! graceful shutdown on SIGTERM and SIGINT, and its startup and shutdown hooks.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use oxapi_tests::raw;

pub(crate) const FIXTURE: &str = env!("CARGO_BIN_EXE_fixture");

/// A running fixture process and what it printed.
pub(crate) struct Fixture {
    child: Child,
    pub(crate) addr: std::net::SocketAddr,
    /// The scheme of the URL it printed: `http`, or `https` when it serves TLS.
    pub(crate) scheme: String,
    stderr: mpsc::Receiver<String>,
}

impl Fixture {
    pub(crate) fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start_command(Command::new(FIXTURE), args, env)
    }

    /// Starts the fixture with every thread on the first core (`taskset`).
    fn start_on_one_core(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new("taskset");
        command.args(["-c", "0", FIXTURE]);
        Self::start_command(command, args, env)
    }

    pub(crate) fn start_command(mut command: Command, args: &[&str], env: &[(&str, &str)]) -> Self {
        command
            .args(args)
            .env_remove("OXAPI_BIND")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start fixture");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let (scheme, url) = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|url| url.split_once("://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"));
        let addr = url
            .parse()
            .unwrap_or_else(|_| panic!("bad address in {line:?}"));
        assert!(line.starts_with("oxapi: Fixture "), "{line:?}");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            addr,
            scheme: scheme.to_owned(),
            stderr: receiver,
        }
    }

    /// The process's id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for a line on stderr containing `text`, and returns it.
    pub(crate) fn wait_for_stderr(&self, text: &str) -> String {
        loop {
            let line = self
                .stderr
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("no stderr line containing {text:?}"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Waits for the process to exit (a hang fails after 60 s, longer than the default grace
    /// period, with what the process printed on stderr).
    pub(crate) fn wait(mut self) -> ExitStatus {
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let printed: Vec<String> = self.stderr.try_iter().collect();
        panic!(
            "fixture did not exit; its stderr since last read:\n{}",
            printed.join("\n")
        );
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    runtime.block_on(raw(addr, request.as_bytes()))
}

pub(crate) fn body(response: &str) -> &str {
    response.split("\r\n\r\n").nth(1).unwrap_or("")
}

#[test]
fn help_prints_usage_and_bad_arguments_exit_2() {
    let output = Command::new(FIXTURE).arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("--bind ADDR"), "{text}");
    assert!(text.contains("OXAPI_BIND"), "{text}");

    let output = Command::new(FIXTURE).arg("--frobnicate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unexpected argument `--frobnicate`"));

    let output = Command::new(FIXTURE)
        .args(["--bind", "not an address"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn event_loop_and_blocking_threads_have_distinct_names() {
    let fixture = Fixture::start(&["--bind", "127.0.0.1:0"], &[]);
    let response = get(fixture.addr, "/thread");
    assert!(body(&response).starts_with("oxapi-worker-"), "{response}");
    let response = get(fixture.addr, "/sync/thread");
    assert!(body(&response).starts_with("oxapi-blocking-"), "{response}");
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

#[test]
fn the_bind_address_can_come_from_the_environment() {
    let fixture = Fixture::start(&[], &[("OXAPI_BIND", "127.0.0.1:0")]);
    assert_eq!(fixture.addr.ip().to_string(), "127.0.0.1");
    assert_ne!(fixture.addr.port(), 0, "the real port is printed");
    assert_eq!(fixture.scheme, "http");
    assert!(body(&get(fixture.addr, "/thread")).starts_with("oxapi-worker-"));
    fixture.signal("-INT");
    fixture.wait_for_stderr("shutdown hook ran");
    assert!(fixture.wait().success());
}

#[test]
fn the_listen_backlog_is_at_least_1024() {
    let fixture = Fixture::start(&["--bind", "127.0.0.1:0"], &[]);
    // For a listening socket, `ss` reports the backlog in the Send-Q column.
    let output = Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", fixture.addr.port())])
        .output()
        .expect("run ss (iproute2)");
    let text = String::from_utf8_lossy(&output.stdout);
    let backlog: u32 = text
        .split_whitespace()
        .nth(2)
        .and_then(|column| column.parse().ok())
        .unwrap_or_else(|| panic!("no Send-Q in {text:?}"));
    assert!(backlog >= 1024, "backlog {backlog}");
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let fixture = Fixture::start(&["--bind", "127.0.0.1:0"], &[]);
    let addr = fixture.addr;
    let in_flight = std::thread::spawn(move || get(addr, "/sleep/300"));
    fixture.wait_for_stderr("sleeping 300 ms");
    fixture.signal("-TERM");
    let response = in_flight.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(body(&response), "done");
    fixture.wait_for_stderr("shutdown hook ran");
    assert!(fixture.wait().success());
    // Stopped: nobody listens any more.
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn the_grace_period_bounds_shutdown() {
    let fixture = Fixture::start(&["--bind", "127.0.0.1:0"], &[("FIXTURE_GRACE_MS", "200")]);
    let addr = fixture.addr;
    let in_flight = std::thread::spawn(move || get(addr, "/sleep/60000"));
    fixture.wait_for_stderr("sleeping 60000 ms");
    fixture.signal("-TERM");
    // The process exits 0 after the grace period, without waiting a minute.
    assert!(fixture.wait().success());
    let response = in_flight.join().unwrap();
    assert!(!response.contains("done"), "{response}");
}

#[test]
fn a_failing_startup_hook_exits_1_with_its_error_and_never_listens() {
    let output = Command::new(FIXTURE)
        .args(["--bind", "127.0.0.1:0"])
        .env_remove("OXAPI_BIND")
        .env("FIXTURE_STARTUP_FAIL", "database unreachable")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: startup hook #1 `fixture::main::{{closure}}` failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("caused by: database unreachable"),
        "{stderr}"
    );
    // Nothing started, so nothing to undo: the shutdown hook registered after it stays put.
    assert!(!stderr.contains("shutdown hook ran"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("listening"), "{stdout}");
}

/// No priority inversion under the default policy: on one core, beside a normal-priority
/// thread that computes for ever, plain fns hold a `std::sync::Mutex` while they compute and
/// async routes take the same lock (so the event loop waits for the plain fn), while more
/// clients keep the event loop busy. The plain fns' threads run below the event loop but
/// still get their share, so each holder finishes and every request is answered (each within
/// the 10 s the client allows). With `SCHED_IDLE` threads (`FIXTURE_BLOCKING_PRIORITY=
/// background` when running this test) the holders get 0.3% of the core against the hog, a
/// hold takes about 7 s, and the requests queued behind one on the lock time out.
#[cfg(target_os = "linux")]
#[test]
fn a_plain_fn_holding_a_lock_the_event_loop_needs_finishes_beside_a_cpu_hog() {
    let fixture =
        Fixture::start_on_one_core(&["--bind", "127.0.0.1:0"], &[("FIXTURE_CPU_HOG", "1")]);
    let addr = fixture.addr;
    let mut clients = Vec::new();
    for n in 0..3 {
        // Holders: 3 × 3 calls of 20 ms CPU each, under the lock.
        clients.push(std::thread::spawn(move || {
            for _ in 0..3 {
                let response = get(addr, "/sync/hold/20");
                assert!(
                    response.starts_with("HTTP/1.1 200"),
                    "holder {n}: {response}"
                );
            }
        }));
        // Takers: async routes that wait on the lock.
        clients.push(std::thread::spawn(move || {
            for _ in 0..10 {
                let response = get(addr, "/lock");
                assert!(
                    response.starts_with("HTTP/1.1 200"),
                    "taker {n}: {response}"
                );
            }
        }));
        // Fast async requests, to keep the event loop busy.
        clients.push(std::thread::spawn(move || {
            for _ in 0..50 {
                let response = get(addr, "/thread");
                assert!(response.starts_with("HTTP/1.1 200"), "fast {n}: {response}");
            }
        }));
    }
    for client in clients {
        client.join().expect("every request was answered");
    }
    // Nine holds happened, one at a time.
    assert_eq!(body(&get(addr, "/lock")), "9");
}

pub(crate) fn post(addr: std::net::SocketAddr, path: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    runtime.block_on(raw(addr, request.as_bytes()))
}

/// An async handler that blocks its event-loop thread (a blocking call hidden in a helper) is
/// reported while it blocks, counted, and reported again with how long it blocked when it
/// ends; the other worker serves meanwhile.
#[test]
fn a_handler_blocking_the_event_loop_is_reported_while_it_runs_and_when_it_ends() {
    let fixture = Fixture::start(&["--bind", "127.0.0.1:0"], &[("TOKIO_WORKER_THREADS", "2")]);
    let addr = fixture.addr;
    // Answered only once the test has seen the reports and released it: no 10 s guard of
    // `raw` here, only the reports' own (a loaded machine may take longer to get there).
    let stalled = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .unwrap();
        stream
            .write_all(b"GET /stall/one HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    });
    fixture.wait_for_stderr("fixture: stalling");
    // Reported while it happens: the poll never returns until released.
    let running = fixture.wait_for_stderr("is still running");
    assert!(running.contains("GET /stall/{label}"), "{running}");
    assert!(running.contains("WARN"), "{running}");
    let stats = get(addr, "/stalls");
    assert!(
        stats.ends_with("\r\n\r\n1 ") || stats.contains("\r\n\r\n1 "),
        "{stats}"
    );
    assert!(post(addr, "/stall/release").ends_with("released"));
    let stalled = stalled.join().unwrap();
    assert!(stalled.ends_with("one"), "{stalled}");
    // And once, when it ends, with what to do about it.
    let ended = fixture.wait_for_stderr("blocked the event loop of");
    assert!(ended.contains("GET /stall/{label}"), "{ended}");
    assert!(ended.contains("make the handler a plain `fn`"), "{ended}");
    let blocked_ms: u64 = ended
        .split("for at least ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {ended}"));
    assert!(
        blocked_ms >= 1_000,
        "it was reported running past a second: {ended}"
    );
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

/// The service raises its soft limit on open files to the hard one: started with a soft
/// limit of 256, it runs with the hard limit, so its connection limit is not cut short.
#[test]
fn the_open_files_limit_is_raised_to_the_hard_one() {
    let mut command = Command::new("sh");
    command.args(["-c", "ulimit -S -n 256 && exec \"$0\" \"$@\"", FIXTURE]);
    let fixture = Fixture::start_command(command, &["--bind", "127.0.0.1:0"], &[]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", fixture.child.id())).unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers.len(), 2, "{line}");
    assert_eq!(numbers[0], numbers[1], "soft and hard: {line}");
    assert_ne!(numbers[0], "256", "{line}");
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}
