//! The routes the stall detector can name, and each app's counts.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use super::StallStats;

/// A route as the polling thread's slot holds it: an index into the registry, plus one;
/// `0` when the detector is off for the route's app.
pub(crate) type RouteId = u32;

/// One app's threshold and counts, shared by its routes' registry entries.
#[derive(Debug)]
pub(crate) struct AppStalls {
    threshold: Duration,
    slow_polls: AtomicU64,
    longest_micros: AtomicU64,
}

impl AppStalls {
    pub(crate) fn new(threshold: Duration) -> Arc<Self> {
        let app = Arc::new(Self {
            threshold,
            slow_polls: AtomicU64::new(0),
            longest_micros: AtomicU64::new(0),
        });
        let mut apps = APPS.write().unwrap_or_else(PoisonError::into_inner);
        apps.retain(|app| app.strong_count() > 0);
        apps.push(Arc::downgrade(&app));
        drop(apps);
        APPS_CHANGED.fetch_add(1, Relaxed);
        super::watchdog::start();
        app
    }

    pub(crate) fn threshold(&self) -> Duration {
        self.threshold
    }

    /// Registers a route named `name` (`GET /items/{id}`) and returns its id.
    pub(crate) fn register(self: &Arc<Self>, name: String) -> RouteId {
        let mut routes = ROUTES.write().unwrap_or_else(PoisonError::into_inner);
        routes.push(Entry {
            name: name.into(),
            app: Arc::downgrade(self),
        });
        // An app is built once per process, in practice; four billion routes is no limit.
        RouteId::try_from(routes.len()).unwrap_or(0)
    }

    pub(crate) fn stats(&self) -> StallStats {
        StallStats {
            slow_polls: self.slow_polls.load(Relaxed),
            longest: Duration::from_micros(self.longest_micros.load(Relaxed)),
            threshold: Some(self.threshold),
        }
    }

    pub(super) fn count_slow(&self) {
        self.slow_polls.fetch_add(1, Relaxed);
    }

    pub(super) fn saw(&self, blocked: Duration) {
        let micros = u64::try_from(blocked.as_micros()).unwrap_or(u64::MAX);
        self.longest_micros.fetch_max(micros, Relaxed);
    }
}

/// A registered route.
#[derive(Debug)]
struct Entry {
    name: Box<str>,
    app: Weak<AppStalls>,
}

static ROUTES: RwLock<Vec<Entry>> = RwLock::new(Vec::new());

/// The apps with the detector on, for the watchdog's tick.
static APPS: RwLock<Vec<Weak<AppStalls>>> = RwLock::new(Vec::new());

/// Counts the apps registered, so that the watchdog reads `APPS` only when it changed.
static APPS_CHANGED: AtomicU64 = AtomicU64::new(0);

/// How many times apps were registered: the watchdog recomputes its tick when this moves.
pub(super) fn apps_changed() -> u64 {
    APPS_CHANGED.load(Relaxed)
}

/// The name and app of route `id`, if its app is alive.
pub(super) fn lookup(id: RouteId) -> Option<(Box<str>, Arc<AppStalls>)> {
    let index = usize::try_from(id.checked_sub(1)?).ok()?;
    let routes = ROUTES.read().unwrap_or_else(PoisonError::into_inner);
    let entry = routes.get(index)?;
    Some((entry.name.clone(), entry.app.upgrade()?))
}

/// The shortest threshold of the apps alive, if any.
pub(super) fn shortest_threshold() -> Option<Duration> {
    let apps = APPS.read().unwrap_or_else(PoisonError::into_inner);
    apps.iter()
        .filter_map(|app| app.upgrade().map(|app| app.threshold))
        .min()
}
