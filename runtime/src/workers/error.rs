//! Why the supervisor of `--workers` stopped with an error.

use std::fmt;
use std::net::SocketAddr;

/// Why the supervisor failed.
#[derive(Debug)]
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) enum SupervisorError {
    /// `--workers` needs a platform this build has no worker processes for.
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    Unsupported,
    /// The address could not be bound.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The supervisor's runtime or its ready channel could not be made.
    Runtime(std::io::Error),
    /// The signal handlers could not be installed.
    Signals(std::io::Error),
    /// The program's own path, to start workers from, is unknown.
    Executable(std::io::Error),
    /// A worker could not be started.
    Spawn {
        /// Its slot.
        number: usize,
        /// Why.
        source: std::io::Error,
    },
    /// A worker exited with an error status before it served (it printed why).
    BootFailed {
        /// Its slot.
        number: usize,
        /// Its pid.
        pid: u32,
        /// How it ended.
        ending: String,
    },
    /// This many workers did not exit 0 after the stop.
    Unclean(usize),
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported => f.write_str("`--workers` needs Linux"),
            Self::Bind { addr, .. } => write!(f, "cannot listen on {addr}"),
            Self::Runtime(_) => f.write_str("cannot start the supervisor's runtime"),
            Self::Signals(_) => f.write_str("cannot handle signals"),
            Self::Executable(_) => f.write_str("cannot find this program's path to start workers"),
            Self::Spawn { number, .. } => write!(f, "cannot start worker {number}"),
            Self::BootFailed {
                number,
                pid,
                ending,
            } => write!(
                f,
                "worker {number} (pid {pid}) failed to start ({ending}); its error is above"
            ),
            Self::Unclean(count) => write!(f, "{count} workers did not stop cleanly"),
        }
    }
}

impl std::error::Error for SupervisorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind { source, .. } | Self::Spawn { source, .. } => Some(source),
            Self::Runtime(error) | Self::Signals(error) | Self::Executable(error) => Some(error),
            Self::Unsupported | Self::BootFailed { .. } | Self::Unclean(_) => None,
        }
    }
}
