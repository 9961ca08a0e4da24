//! What the supervisor does when a worker exits: restart it, stop everything (it failed to
//! start), or count it stopped. Pure, given how the worker ended and what the supervisor knew.

use std::fmt;
use std::time::Duration;

use super::backoff::Backoff;

/// How a worker process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// It exited with this status.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
    /// Waiting for it failed, so how it ended is unknown.
    Unknown,
}

impl Ending {
    /// How a reaped process ended.
    pub(crate) fn of(status: std::process::ExitStatus) -> Self {
        use std::os::unix::process::ExitStatusExt as _;
        match (status.code(), status.signal()) {
            (Some(code), _) => Self::Code(code),
            (None, Some(signal)) => Self::Signal(signal),
            (None, None) => Self::Unknown,
        }
    }

    /// Whether the worker ended as one told to stop does: it drained and exited 0, or our
    /// SIGTERM (or the terminal's SIGINT) ended it before it had installed its handlers.
    fn stopped_cleanly(self) -> bool {
        matches!(
            self,
            Self::Code(0) | Self::Signal(libc::SIGTERM | libc::SIGINT)
        )
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Code(code) => write!(f, "exit status {code}"),
            Self::Signal(signal) => {
                let name = match signal {
                    libc::SIGKILL => " (SIGKILL)",
                    libc::SIGTERM => " (SIGTERM)",
                    libc::SIGINT => " (SIGINT)",
                    libc::SIGSEGV => " (SIGSEGV)",
                    libc::SIGABRT => " (SIGABRT)",
                    libc::SIGHUP => " (SIGHUP)",
                    _ => "",
                };
                write!(f, "killed by signal {signal}{name}")
            }
            Self::Unknown => f.write_str("an unknown status"),
        }
    }
}

/// What the supervisor knew of a worker when it exited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exit {
    /// How it ended.
    pub(crate) ending: Ending,
    /// Whether it had told the supervisor it was serving.
    pub(crate) was_ready: bool,
    /// Whether the supervisor had told every worker to stop.
    pub(crate) stopping: bool,
    /// How long it ran.
    pub(crate) lived: Duration,
}

/// What to do about a worker that exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// It died while it should serve: start another in its slot after this delay.
    Restart(Duration),
    /// It failed before it ever served (a startup hook failed, the app has errors, it
    /// panicked): starting it again would fail again, so every worker stops and the
    /// supervisor exits non-zero, as gunicorn does on a worker boot error.
    BootFailed,
    /// It ended after the supervisor told it to stop; `clean` unless it failed doing so.
    Stopped {
        /// Whether it exited 0 (or died of the stop signal before it could drain).
        clean: bool,
    },
}

impl Exit {
    /// Decides, and advances the slot's backoff when the worker is restarted.
    pub(crate) fn next(self, backoff: &mut Backoff) -> Next {
        if self.stopping {
            return Next::Stopped {
                clean: self.ending.stopped_cleanly(),
            };
        }
        match self.ending {
            // An error status before it served: the worker's own failure, which it printed.
            // Exit 0 before it served means a signal stopped its startup: restart.
            Ending::Code(code) if code != 0 && !self.was_ready => Next::BootFailed,
            _ => Next::Restart(backoff.died(self.lived)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workers::backoff::FIRST_DELAY;

    fn exit(ending: Ending, was_ready: bool, stopping: bool) -> Exit {
        Exit {
            ending,
            was_ready,
            stopping,
            lived: Duration::from_millis(5),
        }
    }

    #[test]
    fn a_worker_that_dies_while_serving_is_restarted_with_backoff() {
        let mut backoff = Backoff::default();
        for ending in [
            Ending::Signal(libc::SIGKILL),
            Ending::Code(1),
            Ending::Code(101),
            Ending::Code(0),
            Ending::Unknown,
        ] {
            assert!(
                matches!(
                    exit(ending, true, false).next(&mut backoff),
                    Next::Restart(_)
                ),
                "{ending}"
            );
        }
        // Five quick deaths in a row: the delay has doubled four times.
        assert_eq!(backoff.died(Duration::ZERO), FIRST_DELAY * 32);
    }

    #[test]
    fn an_error_status_before_serving_is_a_boot_failure() {
        let mut backoff = Backoff::default();
        assert_eq!(
            exit(Ending::Code(1), false, false).next(&mut backoff),
            Next::BootFailed
        );
        assert_eq!(
            exit(Ending::Code(101), false, false).next(&mut backoff),
            Next::BootFailed
        );
        // Killed, or stopped by a signal, while starting: not its own failure.
        assert!(matches!(
            exit(Ending::Signal(libc::SIGKILL), false, false).next(&mut backoff),
            Next::Restart(_)
        ));
        assert!(matches!(
            exit(Ending::Code(0), false, false).next(&mut backoff),
            Next::Restart(_)
        ));
        // The failures did not advance the backoff; the two restarts did.
        assert_eq!(backoff.died(Duration::ZERO), FIRST_DELAY * 4);
    }

    #[test]
    fn after_the_stop_nothing_restarts_and_only_failures_are_unclean() {
        let clean = |ending, was_ready| exit(ending, was_ready, true).next(&mut Backoff::default());
        assert_eq!(clean(Ending::Code(0), true), Next::Stopped { clean: true });
        assert_eq!(
            clean(Ending::Signal(libc::SIGTERM), false),
            Next::Stopped { clean: true }
        );
        assert_eq!(
            clean(Ending::Signal(libc::SIGINT), false),
            Next::Stopped { clean: true }
        );
        assert_eq!(clean(Ending::Code(1), true), Next::Stopped { clean: false });
        assert_eq!(
            clean(Ending::Code(1), false),
            Next::Stopped { clean: false }
        );
        assert_eq!(
            clean(Ending::Signal(libc::SIGKILL), true),
            Next::Stopped { clean: false }
        );
        assert_eq!(clean(Ending::Unknown, true), Next::Stopped { clean: false });
    }

    #[test]
    fn endings_say_how() {
        assert_eq!(Ending::Code(1).to_string(), "exit status 1");
        assert_eq!(
            Ending::Signal(libc::SIGKILL).to_string(),
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(Ending::Signal(64).to_string(), "killed by signal 64");
    }
}
