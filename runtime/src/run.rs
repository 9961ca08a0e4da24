//! Starting an app: [`App::serve`] on the caller's runtime, [`App::run`] as a whole program
//! with its own runtime and a tiny command line.

use std::ffi::OsString;
use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::App;
use crate::build_error::BuildErrors;
use crate::lifespan::{Startup, StartupError};
use crate::server;
use crate::tls::{ReloadOnHangup, TlsConfig, TlsError};
use crate::workers;

/// The address `App::run` listens on when neither `--bind` nor `OXAPI_BIND` says otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// Why serving failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServeError {
    /// The app has errors (conflicting routes, missing state, ...).
    Build(BuildErrors),
    /// The address could not be bound.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A startup hook failed, so nothing was served. `Display` names the hook; `source` is the
    /// hook's own error.
    Startup(StartupError),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Build(errors) => errors.fmt(f),
            Self::Bind { addr, .. } => write!(f, "cannot listen on {addr}"),
            Self::Startup(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Build(errors) => Some(errors),
            Self::Bind { source, .. } => Some(source),
            // The wrapper adds nothing to say: its cause is the hook's error.
            Self::Startup(error) => error.source(),
        }
    }
}

impl App {
    /// Serves on `addr` until SIGINT or SIGTERM, then finishes in-flight requests (up to the
    /// shutdown grace period) and returns. Needs a tokio runtime; [`App::run`] makes one.
    ///
    /// The address is bound first, then the startup hooks run, then connections are accepted;
    /// after the drain, the shutdown hooks run (see [`App::on_startup`], [`App::on_shutdown`]).
    ///
    /// ```no_run
    /// # async fn serve() -> Result<(), oxapi::ServeError> {
    /// oxapi::App::new().serve("127.0.0.1:8000".parse().unwrap()).await
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// If the app has errors, the address cannot be bound, or a startup hook fails.
    pub async fn serve(self, addr: SocketAddr) -> Result<(), ServeError> {
        let listener = server::bind(addr).map_err(|source| ServeError::Bind { addr, source })?;
        self.serve_with_shutdown(listener, server::shutdown_signal())
            .await
    }

    /// Serves on `listener` until `shutdown` completes, then finishes in-flight requests
    /// (up to the shutdown grace period) and returns.
    ///
    /// The startup hooks run before the first connection is accepted, and the shutdown hooks
    /// after the drain. If `shutdown` completes during startup, the hook running is dropped,
    /// the hooks that had finished are undone, and this returns `Ok`.
    ///
    /// # Errors
    ///
    /// If the app has errors, or a startup hook fails: then it returns without having accepted
    /// a connection, and drops `listener`.
    pub async fn serve_with_shutdown(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServeError> {
        self.serve_listener(listener, shutdown, |_| {}).await
    }

    /// Builds the app, serves `listener` while its startup hooks run (the probes are answered,
    /// other requests wait for the hooks), calls `ready` once they all succeeded, serves until
    /// `shutdown`, drains, and runs the shutdown hooks.
    async fn serve_listener(
        mut self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        ready: impl FnOnce(SocketAddr),
    ) -> Result<(), ServeError> {
        let mut lifecycle = self.take_lifecycle();
        let app = match self.build() {
            Ok(app) => app,
            Err(errors) => {
                lifecycle.stop().await;
                return Err(ServeError::Build(errors));
            }
        };
        // Before the hooks run: from here on a SIGHUP reloads the certificate instead of
        // ending the process.
        let _reload = app.tls.as_ref().and_then(ReloadOnHangup::start);
        let local = listener.local_addr();
        let handle = lifecycle.handle().clone();
        let (delay, grace) = (app.drain_delay, app.shutdown_grace);
        // How startup ended, for the connections accepted meanwhile; then the drain delay, for
        // the server once shutdown begins.
        let (started, startup) = watch::channel(None);
        let (stop, stopping) = tokio::sync::oneshot::channel::<Duration>();
        let control = async {
            let mut shutdown = std::pin::pin!(shutdown);
            let outcome = lifecycle.start_unless(shutdown.as_mut()).await;
            started.send_replace(Some(matches!(outcome, Startup::Ready)));
            match outcome {
                Startup::Ready => {}
                // Never ready, never in a load balancer's pool: nothing to turn away slowly.
                Startup::Cancelled => {
                    let _ = stop.send(Duration::ZERO);
                    return Ok(());
                }
                Startup::Failed(error) => {
                    let _ = stop.send(Duration::ZERO);
                    return Err(ServeError::Startup(error));
                }
            }
            if let Ok(local) = local {
                ready(local);
            }
            shutdown.await;
            // `Draining` begins with the signal, before the drain delay: a readiness probe
            // fails at once, and streams awaiting the shutdown signal end while the
            // connections drain. Requests and tasks have the grace period after the delay.
            handle.begin_draining(delay.saturating_add(grace));
            let _ = stop.send(delay);
            Ok(())
        };
        // The sender is kept until serving ends: a request waiting for startup then sees it
        // ended either way.
        let stopped = async { stopping.await.unwrap_or(Duration::ZERO) };
        let (result, ()) = tokio::join!(
            control,
            server::serve(app, listener, startup, stopped, grace)
        );
        if result.is_ok() {
            lifecycle.stop().await;
        }
        result
    }

    /// Runs the app as a program: reads the command line, raises the soft limit on open files
    /// to the hard one, prints the log to stderr (`RUST_LOG`, default `info`) unless the
    /// program installed a `tracing` subscriber, builds a multi-threaded runtime
    /// (threads `oxapi-worker-N`), runs the startup hooks, serves until SIGINT or SIGTERM,
    /// drains, runs the shutdown hooks, and exits 0. If the app has errors, the address cannot
    /// be bound or a startup hook fails, it prints why and exits 1.
    ///
    /// ```text
    /// SERVICE [--bind ADDR] [--workers N] [--tls-cert PEM --tls-key PEM]
    ///                            serve (default 127.0.0.1:8000, or $OXAPI_BIND)
    /// SERVICE openapi [--yaml]   print the OpenAPI document and exit
    /// SERVICE --help             print usage
    /// ```
    ///
    /// Behind a proxy, `--root-path PATH` (or `$OXAPI_ROOT_PATH`) sets [`App::root_path`],
    /// for `openapi` too, and `--forwarded-allow-ips LIST` (or `$OXAPI_FORWARDED_ALLOW_IPS`,
    /// comma-separated) sets [`App::forwarded_allow_ips`]; either wins over the code's value.
    ///
    /// `--tls-cert PEM --tls-key PEM` (or `$OXAPI_TLS_CERT` and `$OXAPI_TLS_KEY`) serve HTTPS
    /// with that certificate chain and key, as [`App::tls`] with
    /// [`TlsConfig::from_pem_files`] (keeping the code's handshake timeout); a file that
    /// cannot be read or holds no valid certificate or key exits 1 before anything is bound.
    ///
    /// `--workers N` (or `$OXAPI_WORKERS`; Linux) serves from N worker processes sharing one
    /// listener: this process binds it, starts each worker by running the program again (each
    /// with its own runtime, startup hooks and state), restarts a worker that dies, after a
    /// delay that grows while they keep dying, and forwards SIGTERM and SIGINT (and SIGHUP,
    /// under TLS) to them. It prints the listening line once every worker serves, and exits 0
    /// once all have stopped cleanly; if a worker fails to start (a startup hook fails), it
    /// stops the others and exits 1. Without the option, one process serves.
    ///
    /// `--drain-delay SECONDS` (or `$OXAPI_DRAIN_DELAY`) sets [`App::drain_delay`], and
    /// `--shutdown-grace SECONDS` (or `$OXAPI_SHUTDOWN_GRACE`) [`App::shutdown_grace`]: whole
    /// or decimal seconds, as uvicorn's and gunicorn's shutdown timeouts; either wins over the
    /// code's value.
    ///
    /// `--metrics-path PATH` (or `$OXAPI_METRICS_PATH`) serves Prometheus metrics there, as
    /// [`App::metrics_path`].
    ///
    /// Every app serves the liveness and readiness probes (`/livez`, `/readyz`; see
    /// [`App::readiness_path`]) from the moment the address is bound, while the startup hooks
    /// run.
    ///
    /// A listener inherited by systemd's socket activation (`LISTEN_FDS`) is served instead
    /// of binding `--bind`'s address.
    pub fn run(self) -> ExitCode {
        self.run_with_args(std::env::args().skip(1))
    }

    /// [`App::run`] with explicit arguments (without the program name).
    pub fn run_with_args(self, args: impl IntoIterator<Item = String>) -> ExitCode {
        let program = std::env::args()
            .next()
            .and_then(|path| {
                std::path::Path::new(&path)
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "service".to_owned());
        let env = Env {
            bind: std::env::var("OXAPI_BIND").ok(),
            root_path: std::env::var("OXAPI_ROOT_PATH").ok(),
            forwarded_allow_ips: std::env::var("OXAPI_FORWARDED_ALLOW_IPS").ok(),
            tls_cert: std::env::var("OXAPI_TLS_CERT").ok(),
            tls_key: std::env::var("OXAPI_TLS_KEY").ok(),
            workers: std::env::var(workers::COUNT_VAR).ok(),
            drain_delay: std::env::var("OXAPI_DRAIN_DELAY").ok(),
            shutdown_grace: std::env::var("OXAPI_SHUTDOWN_GRACE").ok(),
            metrics_path: std::env::var("OXAPI_METRICS_PATH").ok(),
        };
        let command = match Command::parse(args, env) {
            Ok(command) => command,
            Err(message) => {
                eprintln!("error: {message}\n\n{}", usage(&program, &self.info.title));
                return ExitCode::from(2);
            }
        };
        match command {
            Command::Help => {
                println!("{}", usage(&program, &self.info.title));
                ExitCode::SUCCESS
            }
            Command::Serve {
                bind,
                deployment,
                tls,
                workers,
            } => {
                let app = self.deployed(deployment);
                let workers = workers.map(|count| workers::Plan {
                    count,
                    // The program's own command line, which its `main` reads again in each
                    // worker (it may differ from what it passed here).
                    args: without_workers(std::env::args_os().skip(1)),
                    forward_hangup: false,
                });
                match tls {
                    None => app.run_server(&bind, workers),
                    Some(files) => match app.with_tls_files(&files) {
                        Ok(app) => app.run_server(&bind, workers),
                        Err(error) => {
                            report(&error);
                            ExitCode::FAILURE
                        }
                    },
                }
            }
            Command::OpenApi { yaml, deployment } => self.deployed(deployment).print_openapi(yaml),
        }
    }

    /// The app with the settings the command line or environment gave.
    fn deployed(mut self, deployment: Deployment) -> Self {
        if let Some(root_path) = deployment.root_path {
            self = self.root_path(root_path);
        }
        if let Some(list) = deployment.forwarded_allow_ips {
            self = self.forwarded_allow_ips(list.split(','));
        }
        if let Some(delay) = deployment.drain_delay {
            self = self.drain_delay(delay);
        }
        if let Some(grace) = deployment.shutdown_grace {
            self = self.shutdown_grace(grace);
        }
        if let Some(path) = deployment.metrics_path {
            self = self.metrics_path(Some(&path));
        }
        self
    }

    /// The app serving TLS with the certificate and key of the command line, and the
    /// handshake timeout of the code's [`TlsConfig`], if it has one.
    fn with_tls_files(self, files: &TlsFiles) -> Result<Self, TlsError> {
        let mut config = TlsConfig::from_pem_files(&files.cert, &files.key)?;
        if let Some(code) = &self.tls {
            config = config.handshake_timeout(code.timeout());
        }
        Ok(self.tls(config))
    }

    /// Prints the document without binding anything.
    fn print_openapi(self, yaml: bool) -> ExitCode {
        let document = match self.openapi() {
            Ok(document) => document,
            Err(errors) => {
                eprintln!("error: {errors}");
                return ExitCode::FAILURE;
            }
        };
        let text = if yaml {
            serde_norway::to_string(&document).map_err(|e| e.to_string())
        } else {
            serde_json::to_string_pretty(&document)
                .map(|json| json + "\n")
                .map_err(|e| e.to_string())
        };
        match text {
            Ok(text) => {
                let mut stdout = std::io::stdout().lock();
                if stdout
                    .write_all(text.as_bytes())
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: the document does not serialize: {error}");
                ExitCode::FAILURE
            }
        }
    }

    /// Serves as one process, as the supervisor of `workers`, or as one of its workers.
    fn run_server(self, bind: &str, workers: Option<workers::Plan>) -> ExitCode {
        // First, while the process has one thread: taking inherited sockets edits the
        // environment.
        let inherited = match workers::take() {
            Ok(inherited) => inherited,
            Err(error) => {
                report(&error);
                return ExitCode::FAILURE;
            }
        };
        install_log();
        raise_open_files_limit();
        let addr = match resolve(bind) {
            Ok(addr) => addr,
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        };
        let title = self.info.title.clone();
        let version = self.info.version.clone();
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        // Printed once the app is ready: the line means requests are served.
        let announce = move |local: SocketAddr| {
            println!("oxapi: {title} {version} listening on {scheme}://{local}");
            let _ = std::io::stdout().flush();
        };
        if inherited.worker.is_none()
            && let Some(mut plan) = workers
        {
            plan.forward_hangup = self.tls.is_some();
            // The supervisor serves nothing: the app and its state are the workers' own.
            drop(self);
            return match workers::supervise(plan, addr, inherited.listener, announce) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    report(&error);
                    ExitCode::FAILURE
                }
            };
        }
        let runtime = match build_runtime() {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("error: cannot start the runtime: {error}");
                return ExitCode::FAILURE;
            }
        };
        let result = runtime.block_on(async move {
            // Bound before the startup hooks run, so a port in use fails before any hook has
            // side effects (a migration, a registration). A worker's listener, or systemd's,
            // is inherited instead.
            let listener = match inherited.listener {
                Some(listener) => listener
                    .set_nonblocking(true)
                    .and_then(|()| TcpListener::from_std(listener)),
                None => server::bind(addr),
            }
            .map_err(|source| ServeError::Bind { addr, source })?;
            // Signal handlers first, before the hooks run and the line below is printed: a
            // client that reads it, or a supervisor during startup, may signal at once.
            let shutdown = server::shutdown_signal();
            // A worker tells its supervisor, which prints the line once all are ready.
            let ready = move |local: SocketAddr| match &inherited.worker {
                Some(worker) => worker.ready(),
                None => announce(local),
            };
            self.serve_listener(listener, shutdown, ready).await
        });
        match result {
            Ok(()) => ExitCode::SUCCESS,
            // The build errors are listed in full already.
            Err(ServeError::Build(errors)) => {
                eprintln!("error: {errors}");
                ExitCode::FAILURE
            }
            Err(error) => {
                report(&error);
                ExitCode::FAILURE
            }
        }
    }
}

/// Prints `error` and its causes, one a line.
fn report(error: &dyn std::error::Error) {
    eprintln!("error: {error}");
    let mut cause = error.source();
    while let Some(source) = cause {
        eprintln!("  caused by: {source}");
        cause = source.source();
    }
}

/// Prints the app's log (oxapi's warnings among them: a stalled event loop, a failed
/// background task) to stderr, filtered by `RUST_LOG` (default `info`), unless the program
/// installed a subscriber of its own first.
fn install_log() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Fails only if a subscriber is already set: the program's, which wins.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Raises the soft limit on open files to the hard one, as Go's runtime does: the default
/// soft limit (1,024 on most Linux systems) is reached long before the server's connection
/// limit, and a server short of descriptors stops accepting until one is freed.
fn raise_open_files_limit() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        /// Linux's default `nr_open`: what "unlimited" is raised to.
        const CEILING: u64 = 1 << 20;
        let limit = getrlimit(Resource::Nofile);
        let target = limit.maximum.unwrap_or(CEILING);
        if limit.current.is_some_and(|current| current < target) {
            let raised = Rlimit {
                current: Some(target),
                maximum: limit.maximum,
            };
            if let Err(error) = setrlimit(Resource::Nofile, raised) {
                tracing::debug!(%error, "cannot raise the open-files limit");
            }
        }
    }
}

/// The multi-threaded runtime `App::run` serves on, with named threads.
fn build_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name_fn(|| {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            format!("oxapi-worker-{}", NEXT.fetch_add(1, Ordering::Relaxed))
        })
        .build()
}

fn resolve(bind: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    bind.to_socket_addrs()
        .map_err(|error| format!("invalid address `{bind}`: {error}"))?
        .next()
        .ok_or_else(|| format!("address `{bind}` resolves to nothing"))
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Serve {
        bind: String,
        deployment: Deployment,
        tls: Option<TlsFiles>,
        /// `--workers N`: a supervisor and N worker processes; `None`: one process.
        workers: Option<NonZeroUsize>,
    },
    OpenApi {
        yaml: bool,
        deployment: Deployment,
    },
    Help,
}

/// Settings a deployment gives the app on the command line or in the environment.
#[derive(Debug, Default, PartialEq, Eq)]
struct Deployment {
    root_path: Option<String>,
    forwarded_allow_ips: Option<String>,
    /// `--drain-delay`: [`App::drain_delay`].
    drain_delay: Option<Duration>,
    /// `--shutdown-grace`: [`App::shutdown_grace`].
    shutdown_grace: Option<Duration>,
    /// `--metrics-path`: [`App::metrics_path`].
    metrics_path: Option<String>,
}

/// The certificate chain and key files `--tls-cert` and `--tls-key` name.
#[derive(Debug, PartialEq, Eq)]
struct TlsFiles {
    cert: String,
    key: String,
}

/// The environment variables the command line falls back to.
#[derive(Debug, Default)]
struct Env {
    bind: Option<String>,
    root_path: Option<String>,
    forwarded_allow_ips: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    workers: Option<String>,
    drain_delay: Option<String>,
    shutdown_grace: Option<String>,
    metrics_path: Option<String>,
}

/// An empty variable counts as unset.
fn set(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.is_empty())
}

/// The value of the option `name` in `arg` (`--name=value`) or in the next argument.
fn option_value(
    arg: &str,
    name: &str,
    what: &str,
    args: &mut impl Iterator<Item = String>,
) -> Option<Result<String, String>> {
    let inline = arg.strip_prefix(name)?;
    if inline.is_empty() {
        return Some(args.next().ok_or_else(|| format!("`{name}` needs {what}")));
    }
    inline.strip_prefix('=').map(|value| Ok(value.to_owned()))
}

const ROOT_PATH_HINT: &str = "a path prefix, like /api";
const PEM_HINT: &str = "a PEM file";
const WORKERS_HINT: &str = "a number of processes, 1 or more";
const SECONDS_HINT: &str = "a number of seconds, like 5 or 0.5";

/// A duration given in seconds, as uvicorn and gunicorn take their shutdown timeouts: a
/// whole or decimal number, 0 or more.
fn seconds(value: &str, source: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("{source} needs {SECONDS_HINT}, not `{value}`"))
}

/// A worker count: a whole number, 1 or more.
fn worker_count(value: &str, source: &str) -> Result<NonZeroUsize, String> {
    value
        .parse()
        .map_err(|_| format!("{source} needs {WORKERS_HINT}, not `{value}`"))
}

/// The command line less `--workers N` / `--workers=N`: the workers' own. (A value of
/// another option spelled `--workers` would be taken for it; no address, path or file is
/// named so.)
fn without_workers(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut rest = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--workers") => {
                args.next();
            }
            Some(option) if option.starts_with("--workers=") => {}
            _ => rest.push(arg),
        }
    }
    rest
}

impl Command {
    fn parse(args: impl IntoIterator<Item = String>, env: Env) -> Result<Self, String> {
        let mut bind = None;
        let mut deployment = Deployment::default();
        let (mut tls_cert, mut tls_key) = (None, None);
        let mut workers = None;
        let mut args = args.into_iter().peekable();
        if args.peek().map(String::as_str) == Some("openapi") {
            args.next();
            let mut yaml = false;
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "--yaml" => yaml = true,
                    "--json" => yaml = false,
                    "-h" | "--help" => return Ok(Self::Help),
                    other => match option_value(other, "--root-path", ROOT_PATH_HINT, &mut args) {
                        Some(value) => deployment.root_path = Some(value?),
                        None => {
                            return Err(format!("unexpected argument `{other}` for `openapi`"));
                        }
                    },
                }
            }
            deployment.root_path = deployment.root_path.or(set(env.root_path));
            deployment.forwarded_allow_ips = set(env.forwarded_allow_ips);
            return Ok(Self::OpenApi { yaml, deployment });
        }
        while let Some(arg) = args.next() {
            let arg = arg.as_str();
            if matches!(arg, "-h" | "--help" | "help") {
                return Ok(Self::Help);
            }
            if let Some(value) =
                option_value(arg, "--bind", "an address, like 127.0.0.1:8000", &mut args)
            {
                bind = Some(value?);
            } else if let Some(value) = option_value(arg, "--root-path", ROOT_PATH_HINT, &mut args)
            {
                deployment.root_path = Some(value?);
            } else if let Some(value) = option_value(
                arg,
                "--forwarded-allow-ips",
                "a comma-separated list of addresses and CIDR ranges",
                &mut args,
            ) {
                deployment.forwarded_allow_ips = Some(value?);
            } else if let Some(value) = option_value(arg, "--tls-cert", PEM_HINT, &mut args) {
                tls_cert = Some(value?);
            } else if let Some(value) = option_value(arg, "--tls-key", PEM_HINT, &mut args) {
                tls_key = Some(value?);
            } else if let Some(value) = option_value(arg, "--workers", WORKERS_HINT, &mut args) {
                workers = Some(worker_count(&value?, "`--workers`")?);
            } else if let Some(value) = option_value(arg, "--drain-delay", SECONDS_HINT, &mut args)
            {
                deployment.drain_delay = Some(seconds(&value?, "`--drain-delay`")?);
            } else if let Some(value) =
                option_value(arg, "--shutdown-grace", SECONDS_HINT, &mut args)
            {
                deployment.shutdown_grace = Some(seconds(&value?, "`--shutdown-grace`")?);
            } else if let Some(value) =
                option_value(arg, "--metrics-path", "a path, like /metrics", &mut args)
            {
                deployment.metrics_path = Some(value?);
            } else {
                return Err(format!("unexpected argument `{arg}`"));
            }
        }
        let bind = bind
            .or(set(env.bind))
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        deployment.root_path = deployment.root_path.or(set(env.root_path));
        deployment.metrics_path = deployment.metrics_path.or(set(env.metrics_path));
        if let Some(path) = &deployment.metrics_path
            && !path.starts_with('/')
        {
            return Err(format!("the metrics path `{path}` must start with `/`"));
        }
        deployment.forwarded_allow_ips = deployment
            .forwarded_allow_ips
            .or(set(env.forwarded_allow_ips));
        if deployment.drain_delay.is_none()
            && let Some(value) = set(env.drain_delay)
        {
            deployment.drain_delay = Some(seconds(&value, "$OXAPI_DRAIN_DELAY")?);
        }
        if deployment.shutdown_grace.is_none()
            && let Some(value) = set(env.shutdown_grace)
        {
            deployment.shutdown_grace = Some(seconds(&value, "$OXAPI_SHUTDOWN_GRACE")?);
        }
        let tls = match (tls_cert.or(set(env.tls_cert)), tls_key.or(set(env.tls_key))) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(
                    "`--tls-cert` needs `--tls-key` (or $OXAPI_TLS_KEY): the certificate's private key"
                        .to_owned(),
                );
            }
            (None, Some(_)) => {
                return Err(
                    "`--tls-key` needs `--tls-cert` (or $OXAPI_TLS_CERT): the certificate chain"
                        .to_owned(),
                );
            }
        };
        let workers = match (workers, set(env.workers)) {
            (Some(count), _) => Some(count),
            (None, Some(value)) => Some(worker_count(&value, &format!("${}", workers::COUNT_VAR))?),
            (None, None) => None,
        };
        Ok(Self::Serve {
            bind,
            deployment,
            tls,
            workers,
        })
    }
}

fn usage(program: &str, title: &str) -> String {
    format!(
        "{title}\n\nUsage:\n  {program} [--bind ADDR] [--workers N] [--tls-cert PEM --tls-key PEM]\n                               serve HTTP/1.1 and HTTP/2 on ADDR (HTTPS with a certificate)\n  {program} openapi [--yaml]   print the OpenAPI document (JSON, or YAML) and exit\n  {program} --help             print this help\n\nOptions:\n  --bind ADDR                  address to listen on (default {DEFAULT_BIND}, or $OXAPI_BIND); port 0 picks a free port\n  --root-path PATH             the path prefix a proxy serves the app under, for the document and docs pages (or $OXAPI_ROOT_PATH)\n  --forwarded-allow-ips LIST   proxies whose X-Forwarded-For / Forwarded headers are believed: addresses and CIDR ranges, comma-separated (or $OXAPI_FORWARDED_ALLOW_IPS)\n  --tls-cert PEM               serve HTTPS (TLS only) with this certificate chain, server certificate first (or $OXAPI_TLS_CERT)\n  --tls-key PEM                the certificate's private key (or $OXAPI_TLS_KEY); both or neither\n  --workers N                  serve from N worker processes sharing the port, each restarted if it dies (or $OXAPI_WORKERS)\n  --drain-delay SECONDS        after SIGTERM, go on accepting for this long while closing each connection after its next response, so a load balancer stops sending (default 0, or $OXAPI_DRAIN_DELAY)\n  --shutdown-grace SECONDS     then, how long in-flight requests and background tasks may take (default 30, or $OXAPI_SHUTDOWN_GRACE)\n  --metrics-path PATH          serve Prometheus metrics at PATH, like /metrics (default: none, or $OXAPI_METRICS_PATH)\n\nStops on SIGINT or SIGTERM after finishing in-flight requests (with --workers, every worker does). Under TLS, SIGHUP reads the certificate and key again."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: Option<&str>) -> Result<Command, String> {
        let env = Env {
            bind: env.map(str::to_owned),
            ..Env::default()
        };
        Command::parse(args.iter().map(|s| (*s).to_owned()), env)
    }

    #[test]
    fn bind_comes_from_flag_then_env_then_default() {
        let serve = |bind: &str| {
            Ok(Command::Serve {
                bind: bind.to_owned(),
                deployment: Deployment::default(),
                tls: None,
                workers: None,
            })
        };
        assert_eq!(parse(&[], None), serve(DEFAULT_BIND));
        assert_eq!(parse(&[], Some("0.0.0.0:9")), serve("0.0.0.0:9"));
        assert_eq!(
            parse(&["--bind", "127.0.0.1:0"], Some("0.0.0.0:9")),
            serve("127.0.0.1:0")
        );
        assert_eq!(parse(&["--bind=[::1]:80"], None), serve("[::1]:80"));
    }

    #[test]
    fn openapi_subcommand() {
        assert_eq!(
            parse(&["openapi"], None),
            Ok(Command::OpenApi {
                yaml: false,
                deployment: Deployment::default()
            })
        );
        assert_eq!(
            parse(&["openapi", "--yaml"], None),
            Ok(Command::OpenApi {
                yaml: true,
                deployment: Deployment::default()
            })
        );
        assert!(parse(&["openapi", "--xml"], None).is_err());
    }

    #[test]
    fn proxy_settings_come_from_flags_then_env() {
        let env = |root: &str, ips: &str| Env {
            root_path: Some(root.to_owned()),
            forwarded_allow_ips: Some(ips.to_owned()),
            ..Env::default()
        };
        let parse_env =
            |args: &[&str], env: Env| Command::parse(args.iter().map(|s| (*s).to_owned()), env);
        let deployment = |root: Option<&str>, ips: Option<&str>| Deployment {
            root_path: root.map(str::to_owned),
            forwarded_allow_ips: ips.map(str::to_owned),
            ..Deployment::default()
        };
        let serve = |deployment| {
            Ok(Command::Serve {
                bind: DEFAULT_BIND.to_owned(),
                deployment,
                tls: None,
                workers: None,
            })
        };
        assert_eq!(
            parse_env(&[], env("/env", "10.0.0.0/8")),
            serve(deployment(Some("/env"), Some("10.0.0.0/8")))
        );
        assert_eq!(
            parse_env(
                &["--root-path", "/api", "--forwarded-allow-ips=127.0.0.1,::1"],
                env("/env", "10.0.0.0/8")
            ),
            serve(deployment(Some("/api"), Some("127.0.0.1,::1")))
        );
        assert_eq!(
            parse_env(&["--root-path=/api"], env("", "")),
            serve(deployment(Some("/api"), None))
        );
        assert_eq!(
            parse_env(&["openapi", "--root-path", "/api"], Env::default()),
            Ok(Command::OpenApi {
                yaml: false,
                deployment: deployment(Some("/api"), None)
            })
        );
        assert_eq!(
            parse_env(&["openapi"], env("/env", "")),
            Ok(Command::OpenApi {
                yaml: false,
                deployment: deployment(Some("/env"), None)
            })
        );
        assert!(
            parse(&["--root-path"], None)
                .unwrap_err()
                .contains("needs a path prefix")
        );
        assert!(
            parse(&["--root-pathx"], None)
                .unwrap_err()
                .contains("unexpected argument `--root-pathx`")
        );
    }

    #[test]
    fn tls_files_come_from_flags_then_env_both_or_neither() {
        let parse_env = |args: &[&str], cert: Option<&str>, key: Option<&str>| {
            let env = Env {
                tls_cert: cert.map(str::to_owned),
                tls_key: key.map(str::to_owned),
                ..Env::default()
            };
            Command::parse(args.iter().map(|s| (*s).to_owned()), env)
        };
        let serve = |files: Option<(&str, &str)>| {
            Ok(Command::Serve {
                bind: DEFAULT_BIND.to_owned(),
                deployment: Deployment::default(),
                tls: files.map(|(cert, key)| TlsFiles {
                    cert: cert.to_owned(),
                    key: key.to_owned(),
                }),
                workers: None,
            })
        };
        assert_eq!(parse_env(&[], None, None), serve(None));
        assert_eq!(
            parse_env(&["--tls-cert", "c.pem", "--tls-key=k.pem"], None, None),
            serve(Some(("c.pem", "k.pem")))
        );
        assert_eq!(
            parse_env(&[], Some("env-c.pem"), Some("env-k.pem")),
            serve(Some(("env-c.pem", "env-k.pem")))
        );
        assert_eq!(
            parse_env(&["--tls-cert=c.pem"], Some("env-c.pem"), Some("env-k.pem")),
            serve(Some(("c.pem", "env-k.pem")))
        );
        // An empty variable is unset.
        assert_eq!(parse_env(&[], Some(""), Some("")), serve(None));
        let error = parse_env(&["--tls-cert", "c.pem"], None, None).unwrap_err();
        assert!(error.contains("`--tls-cert` needs `--tls-key`"), "{error}");
        let error = parse_env(&[], None, Some("k.pem")).unwrap_err();
        assert!(error.contains("`--tls-key` needs `--tls-cert`"), "{error}");
        let error = parse_env(&["--tls-key"], None, None).unwrap_err();
        assert!(error.contains("`--tls-key` needs a PEM file"), "{error}");
        // Not an option of `openapi`.
        assert!(parse_env(&["openapi", "--tls-cert", "c.pem"], None, None).is_err());
    }

    #[test]
    fn shutdown_timings_come_from_flags_then_env_in_seconds() {
        let parse_env = |args: &[&str], delay: Option<&str>, grace: Option<&str>| {
            let env = Env {
                drain_delay: delay.map(str::to_owned),
                shutdown_grace: grace.map(str::to_owned),
                ..Env::default()
            };
            Command::parse(args.iter().map(|s| (*s).to_owned()), env).map(|command| match command {
                Command::Serve { deployment, .. } => {
                    (deployment.drain_delay, deployment.shutdown_grace)
                }
                other => panic!("{other:?}"),
            })
        };
        let ms = |ms| Some(Duration::from_millis(ms));
        assert_eq!(parse_env(&[], None, None), Ok((None, None)));
        assert_eq!(
            parse_env(&["--drain-delay", "5", "--shutdown-grace=0.5"], None, None),
            Ok((ms(5_000), ms(500)))
        );
        assert_eq!(
            parse_env(&[], Some("2.5"), Some("0")),
            Ok((ms(2_500), ms(0)))
        );
        assert_eq!(
            parse_env(&["--drain-delay=1"], Some("9"), Some("")),
            Ok((ms(1_000), None))
        );
        for bad in ["-1", "5s", "NaN", "inf", ""] {
            let error = parse_env(&["--drain-delay", bad], None, None).unwrap_err();
            assert!(
                error.contains("`--drain-delay` needs a number of seconds"),
                "{error}"
            );
        }
        let error = parse_env(&[], None, Some("soon")).unwrap_err();
        assert!(
            error.contains("$OXAPI_SHUTDOWN_GRACE needs a number of seconds"),
            "{error}"
        );
    }

    #[test]
    fn usage_names_every_option() {
        let text = usage("service", "Title");
        for option in [
            "--bind",
            "--root-path",
            "--forwarded-allow-ips",
            "--tls-cert",
            "--tls-key",
            "$OXAPI_TLS_CERT",
            "$OXAPI_TLS_KEY",
            "--drain-delay",
            "--shutdown-grace",
            "$OXAPI_DRAIN_DELAY",
            "$OXAPI_SHUTDOWN_GRACE",
            "--workers N",
            "$OXAPI_WORKERS",
        ] {
            assert!(text.contains(option), "{option} in {text}");
        }
    }

    #[test]
    fn workers_come_from_the_flag_then_the_env_and_are_at_least_1() {
        let parse_env = |args: &[&str], workers: Option<&str>| {
            let env = Env {
                workers: workers.map(str::to_owned),
                ..Env::default()
            };
            Command::parse(args.iter().map(|s| (*s).to_owned()), env)
        };
        let serve = |workers: Option<usize>| {
            Ok(Command::Serve {
                bind: DEFAULT_BIND.to_owned(),
                deployment: Deployment::default(),
                tls: None,
                workers: workers.and_then(NonZeroUsize::new),
            })
        };
        assert_eq!(parse_env(&[], None), serve(None));
        assert_eq!(parse_env(&["--workers", "3"], None), serve(Some(3)));
        assert_eq!(parse_env(&["--workers=1"], None), serve(Some(1)));
        assert_eq!(parse_env(&[], Some("4")), serve(Some(4)));
        assert_eq!(parse_env(&["--workers", "2"], Some("4")), serve(Some(2)));
        // An empty variable is unset.
        assert_eq!(parse_env(&[], Some("")), serve(None));
        for (args, env, message) in [
            (
                &["--workers", "0"][..],
                None,
                "`--workers` needs a number of processes, 1 or more, not `0`",
            ),
            (
                &["--workers=-2"][..],
                None,
                "`--workers` needs a number of processes, 1 or more, not `-2`",
            ),
            (&["--workers", "many"][..], None, "not `many`"),
            (
                &["--workers"][..],
                None,
                "`--workers` needs a number of processes",
            ),
            (
                &[][..],
                Some("0"),
                "$OXAPI_WORKERS needs a number of processes, 1 or more, not `0`",
            ),
        ] {
            let error = parse_env(args, env).unwrap_err();
            assert!(error.contains(message), "{args:?} {env:?}: {error}");
        }
        // Not an option of `openapi`, which ignores the variable.
        assert!(parse_env(&["openapi", "--workers", "2"], None).is_err());
        assert_eq!(
            parse_env(&["openapi"], Some("2")),
            Ok(Command::OpenApi {
                yaml: false,
                deployment: Deployment::default()
            })
        );
    }

    #[test]
    fn workers_get_the_command_line_less_workers() {
        let args = |args: &[&str]| args.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            without_workers(args(&[
                "--bind",
                "0.0.0.0:80",
                "--workers",
                "3",
                "--root-path=/api"
            ])),
            args(&["--bind", "0.0.0.0:80", "--root-path=/api"])
        );
        // Options of the program's own are kept.
        assert_eq!(
            without_workers(args(&["--workers=2", "--tls-cert", "c.pem", "--config"])),
            args(&["--tls-cert", "c.pem", "--config"])
        );
        assert_eq!(without_workers(args(&[])), args(&[]));
    }

    #[test]
    fn help_and_mistakes() {
        assert_eq!(parse(&["--help"], None), Ok(Command::Help));
        assert!(
            parse(&["--bind"], None)
                .unwrap_err()
                .contains("needs an address")
        );
        assert!(
            parse(&["--port", "1"], None)
                .unwrap_err()
                .contains("unexpected argument `--port`")
        );
    }
}
