//! How the blocking pool's threads are scheduled against the event loop.

/// How the blocking pool's threads are scheduled against the event loop, on a core both want.
///
/// The choice matters only when the cores are contended: a plain `fn` that computes while
/// async routes are busy. Blocking calls (a sync database driver, a file, a sleep) use little
/// CPU and run the same under every policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BlockingPriority {
    /// Below the event loop, never starved (the default). On Linux the pool's threads run at
    /// nice level 15 — against an event loop that wants the whole core, each computing plain
    /// fn gets 3.4% of it, eight get 22% — and, on kernels that allow it (6.12 and later), in
    /// time slices of 0.1 ms, the shortest there is, so the event loop gets its core back
    /// soon. A plain fn that holds a lock an async route waits for still finishes, at that
    /// share.
    #[default]
    Low,
    /// Isolation first: the pool's threads run only on CPU the event loop leaves
    /// (`SCHED_IDLE` on Linux, the lowest priority elsewhere). Async routes keep their latency
    /// whatever plain fns compute, but a plain fn can starve while the event loop is
    /// saturated, and so can an async route waiting for a `std::sync::Mutex` such a plain fn
    /// holds: the kernel gives a lock holder no priority boost.
    Background,
    /// The event loop's own priority: plain fns and async routes share a contended core
    /// equally.
    Normal,
}

/// The nice level of [`BlockingPriority::Low`]: weight 36 against the event loop's 1024.
/// Measured in `bench/run.py isolation`: nice 10 gave the slow route more but cost the fast
/// route's p99 3 ms; nice 19 gave little more isolation than 15 and a smaller share.
pub(crate) const LOW_NICE: i32 = 15;

/// The time slice of [`BlockingPriority::Low`]'s threads, in nanoseconds: the kernel's
/// smallest (0.1 ms).
pub(crate) const LOW_SLICE_NS: u64 = 100_000;

impl BlockingPriority {
    /// Applies the policy to the calling thread. Failing to is not fatal: the pool works, with
    /// less isolation, and says so once.
    pub(crate) fn apply_to_current_thread(self) {
        if let Err(error) = self.apply() {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                tracing::warn!(
                    %error,
                    priority = ?self,
                    "could not set the blocking pool's thread priority"
                );
            });
        }
    }

    #[cfg(target_os = "linux")]
    fn apply(self) -> Result<(), String> {
        match self {
            Self::Normal => Ok(()),
            Self::Low => linux::set_nice_and_slice(LOW_NICE, LOW_SLICE_NS),
            Self::Background => thread_priority::set_thread_priority_and_policy(
                thread_priority::thread_native_id(),
                thread_priority::ThreadPriority::Min,
                thread_priority::ThreadSchedulePolicy::Normal(
                    thread_priority::NormalThreadSchedulePolicy::Idle,
                ),
            )
            .map_err(|error| format!("{error:?}")),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn apply(self) -> Result<(), String> {
        match self {
            Self::Normal => Ok(()),
            Self::Low | Self::Background => {
                thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
                    .map_err(|error| format!("{error:?}"))
            }
        }
    }
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // Two system calls with no safe wrapper in our dependencies.
mod linux {
    /// Sets the calling thread's nice level and, where the kernel takes one for a normal
    /// thread, its time slice; on older kernels, the nice level alone.
    pub(super) fn set_nice_and_slice(nice: i32, slice_ns: u64) -> Result<(), String> {
        let attr = libc::sched_attr {
            size: size_of::<libc::sched_attr>() as u32,
            sched_policy: libc::SCHED_OTHER as u32,
            sched_flags: 0,
            sched_nice: nice,
            sched_priority: 0,
            sched_runtime: slice_ns,
            sched_deadline: 0,
            sched_period: 0,
        };
        // SAFETY: `sched_setattr(2)` with pid 0 acts on the calling thread and only reads the
        // `size` bytes of `attr`, a fully initialised `sched_attr` that outlives the call; the
        // flags argument must be 0. No memory of ours is written.
        let set = unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &raw const attr, 0) };
        if set == 0 {
            return Ok(());
        }
        // Raising the nice level needs no privilege; a kernel without custom slices may
        // refuse `sched_runtime` for a normal thread, so set the nice level alone.
        // SAFETY: `setpriority(2)` takes plain integers; `PRIO_PROCESS` with id 0 is the
        // calling thread on Linux.
        let set = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
        if set == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().to_string())
        }
    }
}
