//! A process's side of inherited sockets: a worker's listener and its line to the supervisor,
//! or the listener systemd's socket activation hands a service.
//!
//! Both follow systemd's `LISTEN_FDS` protocol (read by `listenfd`): the sockets are the
//! descriptors from 3 on. A worker, marked by [`WORKER_VAR`], gets two: the shared listener
//! (3) and a datagram socket (4) on which it tells the supervisor it serves.

use std::fmt;
use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;

use super::{SUPERVISOR_VAR, WORKER_VAR};

/// What the process was handed when it started.
#[derive(Debug, Default)]
pub(crate) struct Inherited {
    /// A listener to serve instead of binding one.
    pub(crate) listener: Option<TcpListener>,
    /// Set in a worker started by the supervisor.
    pub(crate) worker: Option<WorkerLink>,
}

/// A worker's line to its supervisor.
#[derive(Debug)]
pub(crate) struct WorkerLink {
    number: usize,
    channel: UnixDatagram,
}

impl WorkerLink {
    /// Tells the supervisor that this worker serves: its startup hooks have run and it
    /// accepts connections.
    pub(crate) fn ready(&self) {
        let pid = std::process::id().to_string();
        if let Err(error) = self.channel.send(pid.as_bytes()) {
            // The supervisor is gone: the parent-death signal stops this worker.
            tracing::warn!(%error, worker = self.number, "cannot tell the supervisor this worker is ready");
        }
    }
}

/// Why the inherited sockets cannot be used.
#[derive(Debug)]
pub(crate) enum InheritError {
    /// An environment variable holds something else than it should.
    Variable {
        /// Its name.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// A worker was started without its sockets.
    Missing,
    /// An inherited descriptor is not the socket it should be.
    Socket(std::io::Error),
    /// The supervisor died before this worker could arrange to die with it.
    SupervisorGone,
}

impl fmt::Display for InheritError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Variable { name, value } => write!(f, "invalid ${name}: `{value}`"),
            Self::Missing => write!(
                f,
                "${WORKER_VAR} is set but no listener was inherited ($LISTEN_FDS)"
            ),
            Self::Socket(_) => f.write_str("cannot use the inherited listener"),
            Self::SupervisorGone => f.write_str("the supervisor exited while this worker started"),
        }
    }
}

impl std::error::Error for InheritError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Socket(error) => Some(error),
            _ => None,
        }
    }
}

/// Takes the sockets the process inherited, if any.
///
/// Call it while the process has one thread: `listenfd` removes `LISTEN_FDS` and
/// `LISTEN_PID` from the environment, so that processes this one starts do not take them too.
pub(crate) fn take() -> Result<Inherited, InheritError> {
    let worker = match std::env::var(WORKER_VAR) {
        Ok(value) => Some((number(WORKER_VAR, &value)?, supervisor()?)),
        Err(_) => None,
    };
    let mut fds = listenfd::ListenFd::from_env();
    let listener = fds.take_tcp_listener(0).map_err(InheritError::Socket)?;
    let Some((number, supervisor)) = worker else {
        return Ok(Inherited {
            listener,
            worker: None,
        });
    };
    let (Some(listener), Some(channel)) = (
        listener,
        fds.take_unix_datagram(1).map_err(InheritError::Socket)?,
    ) else {
        return Err(InheritError::Missing);
    };
    die_with(supervisor)?;
    Ok(Inherited {
        listener: Some(listener),
        worker: Some(WorkerLink { number, channel }),
    })
}

fn number(name: &'static str, value: &str) -> Result<usize, InheritError> {
    value
        .parse()
        .ok()
        .filter(|&number| number > 0)
        .ok_or_else(|| InheritError::Variable {
            name,
            value: value.to_owned(),
        })
}

/// The supervisor's pid, which the worker's parent must be.
fn supervisor() -> Result<u32, InheritError> {
    let value = std::env::var(SUPERVISOR_VAR).unwrap_or_default();
    value.parse().map_err(|_| InheritError::Variable {
        name: SUPERVISOR_VAR,
        value,
    })
}

/// Arranges for SIGTERM when the supervisor dies (even of SIGKILL), so that a worker never
/// lives on as an orphan: it drains its requests and exits as on a stop. The kernel sends it
/// when the thread that started the worker ends; the supervisor starts every worker from the
/// thread that called `App::run`, which lives as long as the supervisor. A supervisor that died
/// before the signal was set is seen as a parent that is no longer it.
fn die_with(supervisor: u32) -> Result<(), InheritError> {
    use rustix::process::{Signal, set_parent_process_death_signal};
    if let Err(error) = set_parent_process_death_signal(Some(Signal::TERM)) {
        tracing::warn!(%error, "cannot ask for a signal when the supervisor dies");
    }
    if std::os::unix::process::parent_id() == supervisor {
        Ok(())
    } else {
        Err(InheritError::SupervisorGone)
    }
}
