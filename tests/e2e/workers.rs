//! `--workers N`: worker processes sharing the supervisor's listener, restarted when they die,
//! stopped together, never outliving the supervisor; and a listener inherited from systemd.
#![cfg(target_os = "linux")]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::process::{FIXTURE, Fixture, body, get};

/// How long a client waits for an answer, and the test for an event: a hang guard only.
const GUARD: Duration = Duration::from_secs(20);

fn start(workers: &str, env: &[(&str, &str)]) -> Fixture {
    Fixture::start(&["--bind", "127.0.0.1:0", "--workers", workers], env)
}

/// Reads the supervisor's log until each of the `count` workers has started and is ready:
/// their pids, by slot.
pub(crate) fn started_workers(fixture: &Fixture, count: usize) -> Vec<u32> {
    let mut pids = vec![0; count];
    let mut ready = 0;
    while ready < count || pids.contains(&0) {
        // Every line of the supervisor's, in order (its log target).
        let line = fixture.wait_for_stderr("oxapi::workers");
        if line.contains(" started (pid ") {
            let (slot, pid) = started(&line);
            pids[slot - 1] = pid;
        } else if line.contains(") ready") {
            ready += 1;
        }
    }
    pids
}

/// The slot and pid in a line `worker K started (pid P)`.
fn started(line: &str) -> (usize, u32) {
    let rest = line.split("worker ").nth(1).unwrap_or_default();
    let slot = rest.split(' ').next().and_then(|slot| slot.parse().ok());
    let pid = rest
        .split("(pid ")
        .nth(1)
        .and_then(|pid| pid.trim_end_matches(')').parse().ok());
    match (slot, pid) {
        (Some(slot), Some(pid)) => (slot, pid),
        _ => panic!("no slot and pid in {line:?}"),
    }
}

fn parent_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("PPid:"))
        .and_then(|ppid| ppid.trim().parse().ok())
}

/// Whether `pid` has exited: gone, or a zombie its new parent has not reaped yet.
fn has_exited(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        // The state follows the command name, which is in parentheses.
        stat.rsplit(')')
            .next()
            .unwrap_or_default()
            .trim_start()
            .starts_with('Z')
    })
}

/// The pids that answer `/pid` over fresh connections from several threads at once, until
/// `enough` says so (or a bounded number of requests).
fn answering_pids(addr: SocketAddr, enough: impl Fn(&HashSet<u32>) -> bool) -> HashSet<u32> {
    let mut seen = HashSet::new();
    // Concurrent connections: an idle worker tends to win every accept of a quiet listener,
    // and busy ones leave the next connections to the others.
    for _round in 0..50 {
        let threads: Vec<_> = (0..8)
            .map(|_| std::thread::spawn(move || body(&get(addr, "/pid")).parse::<u32>()))
            .collect();
        for thread in threads {
            seen.insert(thread.join().unwrap().expect("a pid"));
        }
        if enough(&seen) {
            break;
        }
    }
    seen
}

#[test]
fn three_workers_serve_one_port_as_children_of_the_supervisor() {
    let fixture = start("3", &[]);
    let pids = started_workers(&fixture, 3);
    for pid in &pids {
        assert_eq!(parent_of(*pid), Some(fixture.pid()), "worker {pid}");
    }
    let seen = answering_pids(fixture.addr, |seen| seen.len() >= 2);
    assert!(seen.len() >= 2, "one worker answered everything: {seen:?}");
    assert!(
        seen.iter().all(|pid| pids.contains(pid)),
        "{seen:?} {pids:?}"
    );
    // Without TLS a worker would die of SIGHUP: the supervisor keeps it.
    fixture.signal("-HUP");
    fixture.wait_for_stderr("SIGHUP ignored");
    fixture.signal("-TERM");
    for _ in &pids {
        fixture.wait_for_stderr("shutdown hook ran");
    }
    assert!(fixture.wait().success());
    for pid in pids {
        assert!(has_exited(pid), "worker {pid} outlived the supervisor");
    }
}

/// A keep-alive HTTP/1.1 connection asking `/pid` again and again.
struct KeepAlive {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl KeepAlive {
    fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(GUARD))?;
        Ok(Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// The pid that answered, or why there was no answer.
    fn pid(&mut self) -> Result<u32, String> {
        self.writer
            .write_all(b"GET /pid HTTP/1.1\r\nhost: x\r\n\r\n")
            .map_err(|error| format!("write: {error}"))?;
        let mut length = None;
        let mut status = String::new();
        self.reader
            .read_line(&mut status)
            .map_err(|error| format!("read: {error}"))?;
        if !status.starts_with("HTTP/1.1 200") {
            return Err(format!("status line {status:?}"));
        }
        loop {
            let mut line = String::new();
            self.reader
                .read_line(&mut line)
                .map_err(|error| format!("read: {error}"))?;
            match line.trim_end() {
                "" if line.is_empty() => return Err("closed in the head".to_owned()),
                "" => break,
                header => {
                    if let Some(value) = header.strip_prefix("content-length: ") {
                        length = value.parse().ok();
                    }
                }
            }
        }
        let mut body = vec![0; length.ok_or("no content-length")?];
        self.reader
            .read_exact(&mut body)
            .map_err(|error| format!("read body: {error}"))?;
        String::from_utf8_lossy(&body)
            .parse()
            .map_err(|_| "not a pid".to_owned())
    }
}

/// What one client saw.
#[derive(Debug, Default)]
struct Record {
    /// Per connection (numbered by the client), the pid that answered it.
    served_by: HashMap<usize, u32>,
    /// Requests that failed: the connection, the pid of its last answer, the error.
    failures: Vec<(usize, Option<u32>, String)>,
    answers: usize,
    answers_after_kill: usize,
}

/// Requests `/pid` over a keep-alive connection, opening a new one after a failure; says
/// (once) which pid serves it after `WARM_UP` answers, and goes on until it has had
/// `AFTER_KILL` answers since `killed` was set (at most `LIMIT` requests).
fn client(addr: SocketAddr, warm: mpsc::Sender<u32>, killed: Arc<AtomicBool>) -> Record {
    const WARM_UP: usize = 20;
    const AFTER_KILL: usize = 100;
    // A hang guard: the test takes about 1,000 requests in all.
    const LIMIT: usize = 10_000;
    let mut record = Record::default();
    let mut connection = 0;
    let mut stream = KeepAlive::connect(addr).expect("connect");
    let mut last = None;
    for _ in 0..LIMIT {
        let was_killed = killed.load(Ordering::SeqCst);
        match stream.pid() {
            Ok(pid) => {
                record.served_by.insert(connection, pid);
                last = Some(pid);
                record.answers += 1;
                if record.answers == WARM_UP {
                    warm.send(pid).unwrap();
                }
                if was_killed {
                    record.answers_after_kill += 1;
                    if record.answers_after_kill == AFTER_KILL {
                        return record;
                    }
                }
            }
            Err(error) => {
                record.failures.push((connection, last, error));
                connection += 1;
                last = None;
                stream = KeepAlive::connect(addr).expect("reconnect");
            }
        }
    }
    panic!("no {AFTER_KILL} answers after the kill within {LIMIT} requests: {record:?}");
}

/// A worker killed under load costs only the requests on its own connections, at most one
/// each (the one in flight, or the next one sent on it); the clients reconnect and are served
/// by the others, and the supervisor logs the death and starts a new worker that serves.
#[test]
fn a_worker_killed_under_load_fails_only_its_own_connections_and_is_replaced() {
    const CLIENTS: usize = 8;
    let fixture = start("3", &[]);
    let pids = started_workers(&fixture, 3);
    let addr = fixture.addr;
    let killed = Arc::new(AtomicBool::new(false));
    let (warm, warmed) = mpsc::channel();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (warm, killed) = (warm.clone(), Arc::clone(&killed));
            std::thread::spawn(move || client(addr, warm, killed))
        })
        .collect();
    // Every client has a connection, and answers; the worker serving most of them dies.
    let mut serving: HashMap<u32, usize> = HashMap::new();
    for _ in 0..CLIENTS {
        *serving
            .entry(warmed.recv_timeout(GUARD).expect("warm-up"))
            .or_default() += 1;
    }
    let (&victim, _) = serving.iter().max_by_key(|(_, count)| **count).unwrap();
    assert!(pids.contains(&victim), "{victim} {pids:?}");
    // A system call, not a `kill` process: the clients go on meanwhile.
    kill(victim);
    killed.store(true, Ordering::SeqCst);
    let records: Vec<Record> = clients
        .into_iter()
        .map(|client| client.join().expect("a client gave up"))
        .collect();

    let mut failed = 0;
    let mut on_victim = 0;
    for record in &records {
        on_victim += record
            .served_by
            .values()
            .filter(|&&pid| pid == victim)
            .count();
        for (connection, last, error) in &record.failures {
            assert_eq!(
                *last,
                Some(victim),
                "a request failed on connection {connection} served by another worker: {error}; {records:?}"
            );
            failed += 1;
        }
        // One failure a connection: the next request goes on a new one.
        let connections: HashSet<usize> = record.failures.iter().map(|(c, ..)| *c).collect();
        assert_eq!(connections.len(), record.failures.len(), "{record:?}");
    }
    assert!(
        failed <= on_victim,
        "{failed} failures, {on_victim} connections"
    );
    eprintln!(
        "killed worker {victim} (serving {on_victim} of {CLIENTS} connections): {failed} requests failed, {} answered",
        records.iter().map(|record| record.answers).sum::<usize>()
    );

    // The supervisor saw it die and started another in its slot, which serves.
    let died = fixture.wait_for_stderr(&format!("(pid {victim}) exited: killed by signal 9"));
    assert!(died.contains("restarting in"), "{died}");
    let slot = pids.iter().position(|&pid| pid == victim).unwrap() + 1;
    let (restarted, new) = started(&fixture.wait_for_stderr(" started (pid "));
    assert_eq!(restarted, slot);
    assert_eq!(parent_of(new), Some(fixture.pid()));
    fixture.wait_for_stderr(&format!("(pid {new}) ready"));
    let seen = answering_pids(addr, |seen| seen.contains(&new));
    assert!(
        seen.contains(&new),
        "the new worker {new} never answered: {seen:?}"
    );
    assert!(!seen.contains(&victim));

    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

fn kill(pid: u32) {
    let target = rustix::process::Pid::from_raw(pid.try_into().unwrap()).unwrap();
    rustix::process::kill_process(target, rustix::process::Signal::KILL).unwrap();
}

/// The supervisor's restart delay doubles while a slot's workers die young.
#[test]
fn a_worker_that_keeps_dying_is_restarted_after_a_longer_delay_each_time() {
    let fixture = start("1", &[]);
    let mut pid = started_workers(&fixture, 1)[0];
    for delay in ["100 ms", "200 ms", "400 ms"] {
        kill(pid);
        let died = fixture.wait_for_stderr(&format!("(pid {pid}) exited"));
        assert!(died.contains(&format!("restarting in {delay}")), "{died}");
        pid = started_workers(&fixture, 1)[0];
    }
    assert_eq!(body(&get(fixture.addr, "/pid")), pid.to_string());
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

/// An error status after the worker served is a crash to restart from, not a boot failure.
#[test]
fn a_worker_that_exits_with_an_error_while_serving_is_restarted() {
    let fixture = start("1", &[]);
    let pid = started_workers(&fixture, 1)[0];
    let response = crate::process::post(fixture.addr, "/exit/3");
    assert!(response.is_empty(), "{response}");
    let died = fixture.wait_for_stderr(&format!("(pid {pid}) exited"));
    assert!(
        died.contains("exit status 3; restarting in 100 ms"),
        "{died}"
    );
    let new = started_workers(&fixture, 1)[0];
    assert_eq!(body(&get(fixture.addr, "/pid")), new.to_string());
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

#[test]
fn sigterm_to_the_supervisor_lets_every_worker_finish_its_requests() {
    const REQUESTS: usize = 4;
    let fixture = start("2", &[]);
    let pids = started_workers(&fixture, 2);
    let addr = fixture.addr;
    let in_flight: Vec<_> = (0..REQUESTS)
        .map(|_| std::thread::spawn(move || get(addr, "/sleep/500")))
        .collect();
    for _ in 0..REQUESTS {
        fixture.wait_for_stderr("sleeping 500 ms");
    }
    fixture.signal("-TERM");
    for request in in_flight {
        let response = request.join().unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert_eq!(body(&response), "done");
    }
    for _ in &pids {
        fixture.wait_for_stderr("shutdown hook ran");
    }
    assert!(fixture.wait().success());
    for pid in pids {
        assert!(has_exited(pid), "worker {pid}");
    }
    assert!(TcpStream::connect(addr).is_err(), "nobody listens any more");
}

#[test]
fn a_worker_whose_startup_hook_fails_stops_everything_with_exit_1() {
    let mut child = Command::new(FIXTURE)
        .args(["--bind", "127.0.0.1:0", "--workers", "2"])
        .env_remove("OXAPI_BIND")
        .env("FIXTURE_STARTUP_FAIL", "database unreachable")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + GUARD;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the supervisor did not exit");
        // A polling interval for the exit, not a wait for it to happen.
        std::thread::sleep(Duration::from_millis(50));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    // The worker's own error, then the supervisor's.
    assert!(
        stderr.contains("caused by: database unreachable"),
        "{stderr}"
    );
    assert!(
        stderr.contains("failed to start (exit status 1)"),
        "{stderr}"
    );
    assert!(!stdout.contains("listening"), "{stdout}");
    // Not restarted: each slot started once.
    for slot in ["worker 1 started", "worker 2 started"] {
        assert_eq!(stderr.matches(slot).count(), 1, "{stderr}");
    }
}

#[test]
fn workers_do_not_outlive_a_killed_supervisor() {
    let fixture = start("2", &[]);
    let pids = started_workers(&fixture, 2);
    fixture.signal("-KILL");
    let deadline = Instant::now() + GUARD;
    for pid in pids {
        while !has_exited(pid) {
            assert!(
                Instant::now() < deadline,
                "worker {pid} outlived its supervisor"
            );
            // A polling interval for the exit, not a wait for it to happen.
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// systemd's socket activation: a listener handed over as descriptor 3 (`LISTEN_FDS=1`) is
/// served instead of binding `--bind`'s address.
#[test]
fn a_listener_inherited_from_systemd_is_served() {
    use command_fds::{CommandFdExt as _, FdMapping};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut command = Command::new(FIXTURE);
    command
        .env("LISTEN_FDS", "1")
        .fd_mappings(vec![FdMapping {
            parent_fd: listener.into(),
            child_fd: 3,
        }])
        .unwrap();
    let fixture = Fixture::start_command(command, &["--bind", "127.0.0.1:1"], &[]);
    assert_eq!(fixture.addr, addr);
    assert_eq!(body(&get(addr, "/pid")), fixture.pid().to_string());
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}
