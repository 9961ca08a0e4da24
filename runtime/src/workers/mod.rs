//! Worker processes: `SERVICE --workers N` runs N copies of the service that share one
//! listener, under a supervisor process, as gunicorn and uvicorn do.
//!
//! The supervisor (`supervisor`) binds the listener once and starts each worker by running its
//! own program again, the listener inherited; the kernel hands each connection to one of the
//! workers accepting on it. Being one socket (not one per worker under `SO_REUSEPORT`), its
//! queue of connections not yet accepted outlives any worker. A worker (`inherit`) serves as
//! a single process does, but tells the supervisor when it is ready instead of printing the
//! listening line. A worker that dies is restarted after a delay (`backoff`) decided with how
//! it ended (`exit`).

mod error;

#[cfg(target_os = "linux")]
mod backoff;
#[cfg(target_os = "linux")]
mod exit;
#[cfg(target_os = "linux")]
mod inherit;
#[cfg(target_os = "linux")]
mod supervisor;

use std::num::NonZeroUsize;

#[cfg(target_os = "linux")]
pub(crate) use inherit::take;
#[cfg(target_os = "linux")]
pub(crate) use supervisor::supervise;

/// The environment variable `--workers` falls back to.
pub(crate) const COUNT_VAR: &str = "OXAPI_WORKERS";
/// Set in a worker's environment: its slot, from 1 to N.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const WORKER_VAR: &str = "OXAPI_WORKER";
/// Set in a worker's environment: its supervisor's pid.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const SUPERVISOR_VAR: &str = "OXAPI_SUPERVISOR";

/// What the supervisor runs.
#[derive(Debug)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) struct Plan {
    /// How many workers serve at once.
    pub(crate) count: NonZeroUsize,
    /// The workers' command line: the program's own, less `--workers`.
    pub(crate) args: Vec<std::ffi::OsString>,
    /// Whether SIGHUP is forwarded: the workers serve TLS and reload their certificate on it.
    /// Without TLS a worker has no handler for it, and SIGHUP would end it.
    pub(crate) forward_hangup: bool,
}

#[cfg(not(target_os = "linux"))]
pub(crate) use unsupported::{supervise, take};

/// Elsewhere than on Linux: nothing is inherited, and `--workers` is an error.
#[cfg(not(target_os = "linux"))]
mod unsupported {
    use std::net::{SocketAddr, TcpListener};

    use super::Plan;
    use super::error::SupervisorError;

    /// Nothing, ever.
    #[derive(Debug, Default)]
    pub(crate) struct Inherited {
        pub(crate) listener: Option<TcpListener>,
        pub(crate) worker: Option<WorkerLink>,
    }

    /// Never made.
    #[derive(Debug)]
    pub(crate) enum WorkerLink {}

    impl WorkerLink {
        pub(crate) fn ready(&self) {
            match *self {}
        }
    }

    /// Never made.
    #[derive(Debug)]
    pub(crate) enum InheritError {}

    impl std::fmt::Display for InheritError {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match *self {}
        }
    }

    impl std::error::Error for InheritError {}

    pub(crate) fn take() -> Result<Inherited, InheritError> {
        Ok(Inherited::default())
    }

    pub(crate) fn supervise(
        _: Plan,
        _: SocketAddr,
        _: Option<TcpListener>,
        _: impl FnOnce(SocketAddr),
    ) -> Result<(), SupervisorError> {
        Err(SupervisorError::Unsupported)
    }
}
