//! What the Rust servers share: what the isolation benchmark's slow routes do, the command
//! line, and (feature `tls`) serving hyper connections over TLS for the servers that have no
//! TLS of their own.

#[cfg(feature = "tls")]
pub mod tls;

use std::time::Duration;

/// How long one slow request works.
pub const WORK: Duration = Duration::from_millis(50);

/// The CPU time this thread has used so far.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID always exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Busy-loops until this thread has used `WORK` of CPU time (not wall time: on a shared core
/// it takes longer than 50 ms of wall time). Returns a checksum so the loop is not optimized
/// away.
pub fn burn_cpu() -> u64 {
    let start = thread_cpu_time();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    loop {
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        x = std::hint::black_box(x);
        if thread_cpu_time() - start >= WORK {
            return x;
        }
    }
}

/// Blocks this thread for `WORK` (like a synchronous database driver or file read would).
pub fn block_sleep() {
    std::thread::sleep(WORK);
}

/// A Rust server's command line: `--bind ADDR` (default 127.0.0.1:8000), and
/// `--tls-cert PEM --tls-key PEM` to serve HTTPS instead of plain HTTP.
#[derive(Debug)]
pub struct ServerArgs {
    /// The address to listen on.
    pub bind: std::net::SocketAddr,
    /// The certificate chain and key to serve TLS with; `None` serves plain HTTP.
    pub tls: Option<TlsFiles>,
}

/// The PEM files `--tls-cert` and `--tls-key` name.
#[derive(Debug)]
pub struct TlsFiles {
    /// The certificate chain, the server's certificate first.
    pub cert: std::path::PathBuf,
    /// The certificate's private key.
    pub key: std::path::PathBuf,
}

const USAGE: &str = "usage: SERVER [--bind ADDR] [--tls-cert PEM --tls-key PEM]";

/// The value of `--name VALUE` or `--name=VALUE` in `arg` (and the next argument).
fn option_value(arg: &str, name: &str, args: &mut impl Iterator<Item = String>) -> Option<String> {
    let inline = arg.strip_prefix(name)?;
    if inline.is_empty() {
        return Some(
            args.next()
                .unwrap_or_else(|| panic!("`{name}` needs a value; {USAGE}")),
        );
    }
    inline.strip_prefix('=').map(str::to_owned)
}

/// The command line of this process (panics, naming the problem, on anything else: a
/// benchmark server is started by the scripts, never by a user).
pub fn server_args() -> ServerArgs {
    let mut args = std::env::args().skip(1);
    let mut bind = "127.0.0.1:8000".to_owned();
    let (mut cert, mut key) = (None, None);
    while let Some(arg) = args.next() {
        if let Some(value) = option_value(&arg, "--bind", &mut args) {
            bind = value;
        } else if let Some(value) = option_value(&arg, "--tls-cert", &mut args) {
            cert = Some(value.into());
        } else if let Some(value) = option_value(&arg, "--tls-key", &mut args) {
            key = Some(value.into());
        } else {
            panic!("unexpected argument `{arg}`; {USAGE}");
        }
    }
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => panic!("`--tls-cert` and `--tls-key` go together; {USAGE}"),
    };
    let bind = bind.parse().expect("--bind needs an IP:PORT address");
    ServerArgs { bind, tls }
}

/// `--bind ADDR` (default 127.0.0.1:8000), for a server without TLS: panics if given
/// `--tls-cert`.
pub fn bind_addr() -> std::net::SocketAddr {
    let args = server_args();
    assert!(args.tls.is_none(), "this server does not serve TLS");
    args.bind
}

/// Whether to serve behind tower-http's CORS, compression and trace layers: `BENCH_LAYERS=1`
/// in the environment (read once, at startup). Without it every server is as it always was.
///
/// The stack, outermost first: `TraceLayer::new_for_http()`, `CorsLayer::permissive()`,
/// `CompressionLayer::new()`, then the server's own service. No tracing subscriber is
/// installed, so the trace layer runs but records nothing, as in a default production build.
pub fn layers_enabled() -> bool {
    std::env::var_os("BENCH_LAYERS").is_some_and(|value| value == "1")
}

/// The directory served at `/static/` by the servers that serve files: `BENCH_STATIC_DIR`, or
/// `static` in the working directory. `run.py` fills it with the files it measures.
pub fn static_dir() -> std::path::PathBuf {
    std::env::var_os("BENCH_STATIC_DIR").map_or_else(|| "static".into(), Into::into)
}

/// The body limit of `POST /upload`: 1 GiB, far above the benchmark's 100 MiB upload.
pub const UPLOAD_LIMIT: usize = 1024 * 1024 * 1024;
