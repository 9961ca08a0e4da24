//! The fixture process serving HTTPS from `--tls-cert`/`--tls-key` (or the environment),
//! reloading its certificate on SIGHUP, and refusing bad TLS options before it listens.

use std::process::Command;
use std::time::{Duration, Instant};

use super::certs::Authority;
use super::client::{Connection, GUARD, HTTP11, connector, curl, handshake, peer_cert};
use crate::process::{FIXTURE, Fixture};

fn path(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

/// The fixture serving HTTPS with `cert` and `key` from the command line, plus `extra`.
fn serve_tls(cert: &std::path::Path, key: &std::path::Path, extra: &[&str]) -> Fixture {
    let mut args = vec![
        "--bind",
        "127.0.0.1:0",
        "--tls-cert",
        path(cert),
        "--tls-key",
        path(key),
    ];
    args.extend_from_slice(extra);
    Fixture::start(&args, &[])
}

#[tokio::test]
async fn sighup_reloads_the_certificate_for_new_connections_and_keeps_open_ones() {
    let ca = Authority::new();
    let first = ca.server_cert(1);
    let (cert, key) = first.write(ca.dir());
    let fixture = serve_tls(&cert, &key, &[]);
    assert_eq!(fixture.scheme, "https");
    let connector = connector(ca.ca_der(), &[HTTP11]);
    let stream = handshake(&connector, fixture.addr).await;
    assert_eq!(peer_cert(&stream), first.der);
    // Connection A: open, kept alive across the reload.
    let mut kept = Connection::http1(stream).await;
    assert_eq!(kept.get("/thread").await.status, 200);

    let second = ca.server_cert(2);
    second.write(ca.dir());
    fixture.signal("-HUP");
    // New handshakes get the first certificate until the reload is done, then the second.
    let deadline = Instant::now() + GUARD;
    loop {
        let presented = peer_cert(&handshake(&connector, fixture.addr).await);
        if presented == second.der {
            break;
        }
        assert_eq!(
            presented, first.der,
            "only the first or the second certificate"
        );
        assert!(Instant::now() < deadline, "no reload within the guard");
        // A polling interval, not a wait for the reload: the loop ends on the event.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reply = kept.get("/thread").await;
    assert_eq!(
        reply.status, 200,
        "the connection opened before the reload still serves"
    );
    assert!(reply.body.starts_with("oxapi-worker-"), "{}", reply.body);

    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

/// Under `--workers`, the supervisor forwards SIGHUP to every worker, and each reloads.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn sighup_to_the_supervisor_reloads_every_workers_certificate() {
    let ca = Authority::new();
    let first = ca.server_cert(1);
    let (cert, key) = first.write(ca.dir());
    let fixture = serve_tls(&cert, &key, &["--workers", "2"]);
    assert_eq!(fixture.scheme, "https");
    let pids = crate::workers::started_workers(&fixture, 2);
    let connector = connector(ca.ca_der(), &[HTTP11]);
    assert_eq!(
        peer_cert(&handshake(&connector, fixture.addr).await),
        first.der
    );

    let second = ca.server_cert(2);
    second.write(ca.dir());
    fixture.signal("-HUP");
    // The supervisor's line and the workers' come in any order.
    let (mut forwarded, mut reloaded) = (0, 0);
    while forwarded < 1 || reloaded < pids.len() {
        let line = fixture.wait_for_stderr("SIGHUP");
        if line.contains("SIGHUP forwarded to 2 workers") {
            forwarded += 1;
        } else if line.contains("TLS certificate reloaded") {
            reloaded += 1;
        } else {
            panic!("{line}");
        }
    }
    // Both reloaded: whichever worker takes a handshake presents the second certificate.
    for _ in 0..10 {
        assert_eq!(
            peer_cert(&handshake(&connector, fixture.addr).await),
            second.der
        );
    }
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

#[tokio::test]
async fn the_tls_files_can_come_from_the_environment() {
    let ca = Authority::new();
    let (cert, key) = ca.server_cert(7).write(ca.dir());
    let fixture = Fixture::start(
        &["--bind", "127.0.0.1:0"],
        &[
            ("OXAPI_TLS_CERT", path(&cert)),
            ("OXAPI_TLS_KEY", path(&key)),
        ],
    );
    assert_eq!(fixture.scheme, "https");
    let (version, body) = curl(&ca.ca_file(), fixture.addr, "/thread", "--http2").await;
    assert_eq!(version, "2");
    assert!(body.starts_with("oxapi-worker-"), "{body}");
    fixture.signal("-TERM");
    assert!(fixture.wait().success());
}

/// Runs the fixture with `args` and TLS variables unset; its exit code, stdout and stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(FIXTURE)
        .args(args)
        .env_remove("OXAPI_BIND")
        .env_remove("OXAPI_TLS_CERT")
        .env_remove("OXAPI_TLS_KEY")
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_tls_options_fail_before_anything_is_served() {
    let ca = Authority::new();
    let (cert, key) = ca.server_cert(1).write(ca.dir());
    let bind = ["--bind", "127.0.0.1:0"];

    // One without the other: a usage error.
    let (code, _, stderr) = run(&[&bind[..], &["--tls-cert", path(&cert)]].concat());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("`--tls-cert` needs `--tls-key`"),
        "{stderr}"
    );
    assert!(stderr.contains("Usage:"), "{stderr}");

    // A file that is not there.
    let missing = ca.dir().join("missing.pem");
    let (code, stdout, stderr) = run(&[
        &bind[..],
        &["--tls-cert", path(&missing), "--tls-key", path(&key)],
    ]
    .concat());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: cannot read the TLS certificate chain `{}`",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("caused by: "), "{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");

    // A key file holding the certificate instead.
    let (code, stdout, stderr) = run(&[
        &bind[..],
        &["--tls-cert", path(&cert), "--tls-key", path(&cert)],
    ]
    .concat());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no private key"), "{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");

    // Another certificate's key.
    let other_key_path = ca.dir().join("other-key.pem");
    std::fs::write(&other_key_path, ca.server_cert(2).key_pem).unwrap();
    let (code, _, stderr) = run(&[
        &bind[..],
        &[
            "--tls-cert",
            path(&cert),
            "--tls-key",
            path(&other_key_path),
        ],
    ]
    .concat());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the TLS private key is not the certificate's key"),
        "{stderr}"
    );
}
