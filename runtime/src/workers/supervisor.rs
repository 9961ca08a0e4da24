//! The parent process of `SERVICE --workers N`: it binds the listener once, starts N workers
//! that inherit it, restarts those that die, forwards signals, and runs no app itself.
//!
//! Everything happens on the thread that called `App::run`, on a current-thread runtime: the
//! workers' parent-death signal is tied to the thread that started them (see `inherit`), and
//! a worker is reaped only inside this loop, so the loop never signals a pid already reused.

use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd as _;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};

use command_fds::{CommandFdExt as _, FdMapping};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use rustix::process::{Pid, Signal, kill_process};
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::Instant;

use super::backoff::Backoff;
use super::error::SupervisorError;
use super::exit::{Ending, Exit, Next};
use super::{COUNT_VAR, Plan, SUPERVISOR_VAR, WORKER_VAR};
use crate::server;

/// Runs the workers until SIGTERM or SIGINT and they have all exited, or until one fails to
/// start. Binds `addr` unless a listener was inherited. Calls `announce` with the listener's
/// address once every worker serves.
pub(crate) fn supervise(
    plan: Plan,
    addr: SocketAddr,
    inherited: Option<TcpListener>,
    announce: impl FnOnce(SocketAddr),
) -> Result<(), SupervisorError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SupervisorError::Runtime)?;
    runtime.block_on(async move {
        let listener = match inherited {
            Some(listener) => listener,
            None => server::bind(addr)
                .and_then(tokio::net::TcpListener::into_std)
                .map_err(|source| SupervisorError::Bind { addr, source })?,
        };
        let local = listener.local_addr().unwrap_or(addr);
        let mut supervisor = Supervisor::new(plan, listener)?;
        supervisor.run(|| announce(local)).await
    })
}

/// A worker slot, numbered from 1, and the process in it.
#[derive(Debug)]
struct Slot {
    state: SlotState,
    backoff: Backoff,
}

#[derive(Debug, Clone, Copy)]
enum SlotState {
    /// A worker runs; `ready` once it said it serves.
    Running {
        pid: u32,
        started: Instant,
        ready: bool,
    },
    /// The worker died; another starts at `at`.
    Waiting { at: Instant },
    /// No worker: not started yet, or none is to start again (the supervisor is stopping).
    Done,
}

/// Why the supervisor is stopping.
#[derive(Debug)]
enum Stop {
    /// SIGTERM or SIGINT.
    Asked,
    /// A worker failed to start, or another could not be started.
    Failed(SupervisorError),
}

type Waits =
    FuturesUnordered<Pin<Box<dyn Future<Output = (usize, u32, std::io::Result<ExitStatus>)>>>>;

struct Supervisor {
    plan: Plan,
    exe: PathBuf,
    /// The listener every worker inherits; dropped when the workers are told to stop, so that
    /// the socket closes with the last worker's copy and no connection waits in a queue
    /// nobody accepts from.
    listener: Option<TcpListener>,
    /// The workers' end of the ready channel, which each inherits.
    their_end: UnixDatagram,
    /// Our end: each worker sends its pid once it serves.
    our_end: tokio::net::UnixDatagram,
    slots: Vec<Slot>,
    /// Each running worker's exit; a worker is reaped only when this is polled.
    waits: Waits,
    stop: Option<Stop>,
    /// Workers that did not exit 0 after the stop.
    unclean: usize,
}

impl Supervisor {
    fn new(plan: Plan, listener: TcpListener) -> Result<Self, SupervisorError> {
        let exe = std::env::current_exe().map_err(SupervisorError::Executable)?;
        let (ours, theirs) = UnixDatagram::pair().map_err(SupervisorError::Runtime)?;
        ours.set_nonblocking(true)
            .map_err(SupervisorError::Runtime)?;
        let our_end = tokio::net::UnixDatagram::from_std(ours).map_err(SupervisorError::Runtime)?;
        let slots = (0..plan.count.get())
            .map(|_| Slot {
                state: SlotState::Done,
                backoff: Backoff::default(),
            })
            .collect();
        Ok(Self {
            plan,
            exe,
            listener: Some(listener),
            their_end: theirs,
            our_end,
            slots,
            waits: FuturesUnordered::new(),
            stop: None,
            unclean: 0,
        })
    }

    async fn run(&mut self, announce: impl FnOnce()) -> Result<(), SupervisorError> {
        // Before the first worker starts: a signal during startup is a stop, not an end.
        let signals = || -> std::io::Result<_> {
            Ok((
                signal(SignalKind::terminate())?,
                signal(SignalKind::interrupt())?,
                signal(SignalKind::hangup())?,
            ))
        };
        let (mut terminate, mut interrupt, mut hangup) =
            signals().map_err(SupervisorError::Signals)?;
        for index in 0..self.slots.len() {
            // A worker that cannot be started stops the rest from starting.
            if self.stop.is_none() {
                self.start(index);
            }
        }
        let mut announce = Some(announce);
        let mut buffer = [0_u8; 32];
        while self.running() > 0 {
            let restart = self.next_restart();
            let restart_due = async {
                match restart {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some((index, pid, status)) = self.waits.next() => self.exited(index, pid, status),
                received = self.our_end.recv(&mut buffer) => {
                    if let Ok(length) = received {
                        self.on_ready(&buffer[..length]);
                    }
                }
                _ = terminate.recv() => self.stop_all(Stop::Asked),
                _ = interrupt.recv() => self.stop_all(Stop::Asked),
                _ = hangup.recv() => self.hangup(),
                () = restart_due => self.restart_due(),
            }
            if self.stop.is_none()
                && self.ready_count() == self.slots.len()
                && let Some(announce) = announce.take()
            {
                tracing::info!("{} workers ready", self.slots.len());
                announce();
            }
        }
        match self.stop.take() {
            Some(Stop::Failed(error)) => Err(error),
            _ if self.unclean > 0 => Err(SupervisorError::Unclean(self.unclean)),
            _ => Ok(()),
        }
    }

    /// Workers running, and slots waiting to start one (they count until the stop).
    fn running(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| !matches!(slot.state, SlotState::Done))
            .count()
    }

    fn ready_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| matches!(slot.state, SlotState::Running { ready: true, .. }))
            .count()
    }

    fn next_restart(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|slot| match slot.state {
                SlotState::Waiting { at } => Some(at),
                _ => None,
            })
            .min()
    }

    /// Starts a worker in slot `index`; if it cannot be started, everything stops.
    fn start(&mut self, index: usize) {
        let number = index + 1;
        let child = self.command(number).and_then(|mut command| command.spawn());
        let mut child = match child {
            Ok(child) => child,
            Err(source) => {
                self.slots[index].state = SlotState::Done;
                self.stop_all(Stop::Failed(SupervisorError::Spawn { number, source }));
                return;
            }
        };
        // Set until the child is reaped, which only the wait below does.
        let pid = child.id().unwrap_or_default();
        tracing::info!("worker {number} started (pid {pid})");
        self.slots[index].state = SlotState::Running {
            pid,
            started: Instant::now(),
            ready: false,
        };
        self.waits
            .push(Box::pin(async move { (index, pid, child.wait().await) }));
    }

    /// The command starting worker `number`: this program, the service's arguments, the
    /// listener as descriptor 3 and the ready channel as 4 (systemd's `LISTEN_FDS` layout).
    fn command(&self, number: usize) -> std::io::Result<tokio::process::Command> {
        let mut command = std::process::Command::new(&self.exe);
        command
            .args(&self.plan.args)
            .env(WORKER_VAR, number.to_string())
            .env(SUPERVISOR_VAR, std::process::id().to_string())
            .env("LISTEN_FDS", "2")
            .env_remove("LISTEN_PID")
            .env_remove("LISTEN_FDNAMES")
            .env_remove("LISTEN_FDS_FIRST_FD")
            .env_remove(COUNT_VAR)
            .stdin(Stdio::null());
        command
            .fd_mappings(vec![
                FdMapping {
                    parent_fd: self
                        .listener
                        .as_ref()
                        .ok_or_else(|| std::io::Error::other("the workers are stopping"))?
                        .as_fd()
                        .try_clone_to_owned()?,
                    child_fd: 3,
                },
                FdMapping {
                    parent_fd: self.their_end.as_fd().try_clone_to_owned()?,
                    child_fd: 4,
                },
            ])
            .map_err(std::io::Error::other)?;
        Ok(command.into())
    }

    fn exited(&mut self, index: usize, pid: u32, status: std::io::Result<ExitStatus>) {
        // A worker that said it was ready and then died: its message is queued, and must
        // count before its exit does (a failure after serving is no boot failure).
        self.read_queued_ready();
        let number = index + 1;
        let ending = match status {
            Ok(status) => Ending::of(status),
            Err(error) => {
                tracing::error!(%error, "cannot wait for worker {number} (pid {pid})");
                Ending::Unknown
            }
        };
        let SlotState::Running { started, ready, .. } = self.slots[index].state else {
            return;
        };
        let exit = Exit {
            ending,
            was_ready: ready,
            stopping: self.stop.is_some(),
            lived: started.elapsed(),
        };
        match exit.next(&mut self.slots[index].backoff) {
            Next::Restart(delay) => {
                tracing::warn!(
                    "worker {number} (pid {pid}) exited: {ending}; restarting in {} ms",
                    delay.as_millis()
                );
                self.slots[index].state = SlotState::Waiting {
                    at: Instant::now() + delay,
                };
            }
            Next::BootFailed => {
                tracing::error!("worker {number} (pid {pid}) failed to start: {ending}");
                self.slots[index].state = SlotState::Done;
                self.stop_all(Stop::Failed(SupervisorError::BootFailed {
                    number,
                    pid,
                    ending: ending.to_string(),
                }));
            }
            Next::Stopped { clean } => {
                if clean {
                    tracing::info!("worker {number} (pid {pid}) stopped: {ending}");
                } else {
                    tracing::warn!("worker {number} (pid {pid}) stopped: {ending}");
                    self.unclean += 1;
                }
                self.slots[index].state = SlotState::Done;
            }
        }
    }

    /// Takes every ready message already received, without waiting.
    fn read_queued_ready(&mut self) {
        let mut buffer = [0_u8; 32];
        while let Ok(length) = self.our_end.try_recv(&mut buffer) {
            self.on_ready(&buffer[..length]);
        }
    }

    /// A worker said it serves.
    fn on_ready(&mut self, message: &[u8]) {
        let Some(sender) = std::str::from_utf8(message)
            .ok()
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            return;
        };
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let SlotState::Running { pid, ready, .. } = &mut slot.state
                && *pid == sender
            {
                *ready = true;
                tracing::info!("worker {} (pid {pid}) ready", index + 1);
            }
        }
    }

    fn restart_due(&mut self) {
        let now = Instant::now();
        for index in 0..self.slots.len() {
            if self.stop.is_none()
                && matches!(self.slots[index].state, SlotState::Waiting { at } if at <= now)
            {
                self.start(index);
            }
        }
    }

    /// Stops restarting and sends SIGTERM to every worker: each drains as a single process
    /// does. The first reason is kept; a second SIGTERM or SIGINT sends it again.
    fn stop_all(&mut self, reason: Stop) {
        if self.stop.is_none() {
            match &reason {
                Stop::Asked => tracing::info!("stopping: SIGTERM to every worker"),
                Stop::Failed(error) => tracing::error!("stopping every worker: {error}"),
            }
            self.stop = Some(reason);
        }
        self.listener = None;
        for slot in &mut self.slots {
            match slot.state {
                SlotState::Running { pid, .. } => send(pid, Signal::TERM),
                SlotState::Waiting { .. } => slot.state = SlotState::Done,
                SlotState::Done => {}
            }
        }
    }

    /// SIGHUP: every serving worker reloads its TLS certificate. A worker still starting read
    /// the files as it started.
    fn hangup(&self) {
        if !self.plan.forward_hangup {
            tracing::info!("SIGHUP ignored: no TLS certificate to reload");
            return;
        }
        let mut forwarded = 0;
        for slot in &self.slots {
            if let SlotState::Running {
                pid, ready: true, ..
            } = slot.state
            {
                send(pid, Signal::HUP);
                forwarded += 1;
            }
        }
        tracing::info!("SIGHUP forwarded to {forwarded} workers");
    }
}

/// Signals a worker that has not been reaped (so its pid is still its own).
fn send(pid: u32, signal: Signal) {
    let Some(target) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    if let Err(error) = kill_process(target, signal) {
        tracing::debug!(%error, pid, "cannot signal a worker");
    }
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("plan", &self.plan)
            .field("slots", &self.slots)
            .field("stop", &self.stop)
            .finish_non_exhaustive()
    }
}
