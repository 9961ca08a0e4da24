//! How long the supervisor waits before it restarts a worker that died: a pure state machine,
//! given the times, so that its tests need no clock.

use std::time::Duration;

/// The first delay, and the one after a worker that lived long enough.
pub(crate) const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest delay: a worker that keeps dying is restarted at this pace.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(10);
/// A worker that lived this long was healthy: the next delay starts from [`FIRST_DELAY`] again.
pub(crate) const HEALTHY_AFTER: Duration = Duration::from_secs(10);

/// The restart delay of one worker slot: [`FIRST_DELAY`], doubled each time a worker of the
/// slot dies within [`HEALTHY_AFTER`] of starting, up to [`MAX_DELAY`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Backoff {
    /// Deaths in a row of workers that had not lived long enough.
    quick_deaths: u32,
}

impl Backoff {
    /// A worker of this slot died after living `lived`: how long to wait before starting the
    /// next one.
    pub(crate) fn died(&mut self, lived: Duration) -> Duration {
        if lived >= HEALTHY_AFTER {
            self.quick_deaths = 0;
            return FIRST_DELAY;
        }
        let doublings = self.quick_deaths;
        self.quick_deaths = self.quick_deaths.saturating_add(1);
        // 2^doublings past the cap is the cap; `checked_shl` keeps the shift defined.
        1_u32
            .checked_shl(doublings)
            .and_then(|factor| FIRST_DELAY.checked_mul(factor))
            .map_or(MAX_DELAY, |delay| delay.min(MAX_DELAY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Duration = Duration::from_millis(50);

    fn ms(delay: Duration) -> u128 {
        delay.as_millis()
    }

    #[test]
    fn quick_deaths_double_the_delay_up_to_the_cap() {
        let mut backoff = Backoff::default();
        let delays: Vec<u128> = (0..10).map(|_| ms(backoff.died(QUICK))).collect();
        assert_eq!(
            delays,
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]
        );
    }

    #[test]
    fn the_cap_holds_for_ever() {
        let mut backoff = Backoff::default();
        for _ in 0..100 {
            backoff.died(Duration::ZERO);
        }
        assert_eq!(backoff.died(Duration::ZERO), MAX_DELAY);
    }

    #[test]
    fn a_worker_that_lived_long_enough_resets_the_delay() {
        let mut backoff = Backoff::default();
        for _ in 0..5 {
            backoff.died(QUICK);
        }
        assert_eq!(ms(backoff.died(HEALTHY_AFTER)), 100);
        // And the doubling starts over after it.
        assert_eq!(ms(backoff.died(QUICK)), 100);
        assert_eq!(ms(backoff.died(QUICK)), 200);
    }

    #[test]
    fn a_first_death_after_a_long_life_waits_the_first_delay() {
        let mut backoff = Backoff::default();
        assert_eq!(backoff.died(Duration::from_secs(3600)), FIRST_DELAY);
        assert_eq!(backoff.died(HEALTHY_AFTER - QUICK), FIRST_DELAY);
        assert_eq!(ms(backoff.died(QUICK)), 200);
    }
}
