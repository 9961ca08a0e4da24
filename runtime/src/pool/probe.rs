//! A look at a pool thread's scheduler state, so the pool can tell a job that computes from
//! one that is blocked.

use std::fs::File;

/// A look at one pool thread: whether it is computing (running, or ready to run and waiting
/// for a core) or blocked (sleeping, waiting on I/O or a lock).
#[derive(Debug)]
pub(crate) struct Probe {
    /// The thread's `/proc` status, opened by the thread itself: the file stays bound to it.
    stat: Option<File>,
}

impl Probe {
    pub(crate) fn of_current_thread() -> Self {
        #[cfg(target_os = "linux")]
        let stat = File::open("/proc/thread-self/stat").ok();
        #[cfg(not(target_os = "linux"))]
        let stat = None;
        Self { stat }
    }

    /// Without a way to look, a busy thread counts as blocked: the monitor then adds a thread
    /// per tick of backlog, like a plain pool a tick late.
    pub(crate) fn computing(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(stat) = &self.stat {
            use std::os::unix::fs::FileExt;
            // `pid (comm) S ...`: the state follows the last `)`; the comm may hold one.
            let mut buf = [0; 256];
            let Ok(read) = stat.read_at(&mut buf, 0) else {
                return false;
            };
            let text = &buf[..read];
            return text
                .iter()
                .rposition(|&byte| byte == b')')
                .and_then(|end| text.get(end + 2))
                .is_some_and(|&state| state == b'R');
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_probe_tells_computing_from_blocked() {
        let (probe_tx, probe_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let blocked = std::thread::spawn(move || {
            probe_tx.send(Probe::of_current_thread()).unwrap();
            release_rx.recv().unwrap();
        });
        let probe = probe_rx.recv().unwrap();
        assert!(probe.stat.is_some(), "/proc/thread-self/stat opens");
        // Not a timing assertion: look until the thread has gone to sleep on the channel.
        let mut saw_blocked = false;
        for _ in 0..1000 {
            if !probe.computing() {
                saw_blocked = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(saw_blocked, "a thread waiting on a channel is blocked");
        release_tx.send(()).unwrap();
        blocked.join().unwrap();

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (probe_tx, probe_rx) = mpsc::channel();
        let spinning = std::thread::spawn({
            let stop = Arc::clone(&stop);
            move || {
                probe_tx.send(Probe::of_current_thread()).unwrap();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            }
        });
        let probe = probe_rx.recv().unwrap();
        assert!(probe.computing(), "a spinning thread computes");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        spinning.join().unwrap();
    }
}
