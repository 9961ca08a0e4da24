//! What a handler and its extractors may know besides the request: the app's state, the
//! blocking pool, and the route's own limits — and nothing else of the app.
//!
//! A [`RouteContext`] is made once per route when the app is built; each request's handler
//! holds it by `Arc` and lends its extractors a [`RequestContext`]. Because neither names the
//! app, an extractor can be unit-tested with [`RouteContext::detached`].

mod overrides;
mod states;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

pub(crate) use overrides::{Override, Overrides};
pub(crate) use states::{StateMap, StateSlot};

/// A boxed future that may borrow.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

use crate::pool::{BlockingPool, PoolConfig};
use crate::proxy::ProxyConfig;

/// What every route of one built app shares.
#[derive(Debug)]
pub(crate) struct Resources {
    pub(crate) states: StateMap,
    pub(crate) pool: BlockingPool,
    pub(crate) overrides: Overrides,
    pub(crate) proxies: ProxyConfig,
}

/// One route's context: the app's state and blocking pool, and the route's settings.
///
/// Made by the app for each route; outside an app, [`RouteContext::detached`] makes one for
/// unit tests of extractors.
///
/// ```
/// use oxapi::{FromRequestParts, RouteContext, State};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let route = RouteContext::detached().with_state(7_u32);
/// let (mut parts, ()) = oxapi::http::Request::new(()).into_parts();
/// let State(value) = State::<u32>::from_request_parts(&mut parts, &route.request()).await.unwrap();
/// assert_eq!(*value, 7);
/// # }
/// ```
#[derive(Debug)]
pub struct RouteContext {
    resources: Arc<Resources>,
    body_limit: usize,
    matched_path: Box<str>,
    /// The route as the stall detector names it; `0` if the detector is off.
    stall: crate::stall::RouteId,
}

impl RouteContext {
    pub(crate) fn new(resources: Arc<Resources>, body_limit: usize, matched_path: &str) -> Self {
        Self {
            resources,
            body_limit,
            matched_path: matched_path.into(),
            stall: 0,
        }
    }

    /// The context, its route named `stall` to the stall detector.
    pub(crate) fn with_stall(mut self, stall: crate::stall::RouteId) -> Self {
        self.stall = stall;
        self
    }

    /// The route as the stall detector names it; `0` if the detector is off.
    pub(crate) fn stall(&self) -> crate::stall::RouteId {
        self.stall
    }

    /// A context outside any app, for unit tests of extractors: no state, the default body
    /// limit, the matched path `/`, no trusted proxy, and a blocking pool of its own (its
    /// threads start only if a job is run).
    pub fn detached() -> Self {
        let resources = Resources {
            states: StateMap::default(),
            pool: BlockingPool::new(PoolConfig::default()),
            overrides: Overrides::default(),
            proxies: ProxyConfig::default(),
        };
        Self::new(Arc::new(resources), crate::DEFAULT_BODY_LIMIT, "/")
    }

    /// Adds a state value, as [`App::state`](crate::App::state) does.
    #[must_use]
    pub fn with_state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        // A detached context is the only one a user holds by value, and nothing else shares
        // its resources, so the `Arc` is unique here.
        if let Some(resources) = Arc::get_mut(&mut self.resources) {
            resources.states.insert(value);
        }
        self
    }

    /// Sets the largest request body, in bytes.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Sets the route template reported by [`RequestContext::matched_path`].
    #[must_use]
    pub fn with_matched_path(mut self, template: &str) -> Self {
        self.matched_path = template.into();
        self
    }

    /// The context one request's extractors see.
    pub fn request(&self) -> RequestContext<'_> {
        RequestContext {
            route: self,
            background: OnceLock::new(),
        }
    }

    pub(crate) fn resources(&self) -> &Resources {
        &self.resources
    }
}

/// What an extractor may know besides the request: the app's state and the route's limits.
#[derive(Debug)]
pub struct RequestContext<'a> {
    route: &'a RouteContext,
    /// The request's background tasks, once a `BackgroundTasks` parameter asked for them;
    /// the response's body releases them. Empty (one word, never touched) on other routes.
    background: OnceLock<Arc<crate::background::Queue>>,
}

/// A clone shares the request's background tasks if a parameter had asked for them already;
/// tasks asked for through a clone made before then stay with that clone.
impl Clone for RequestContext<'_> {
    fn clone(&self) -> Self {
        let background = OnceLock::new();
        if let Some(queue) = self.background.get() {
            let _ = background.set(Arc::clone(queue));
        }
        Self {
            route: self.route,
            background,
        }
    }
}

impl<'a> RequestContext<'a> {
    /// The state of type `T` registered with [`App::state`](crate::App::state).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&'a Arc<T>> {
        self.route.resources.states.get::<T>()
    }

    /// The largest request body this route accepts, in bytes.
    pub fn body_limit(&self) -> usize {
        self.route.body_limit
    }

    /// The template of the route serving this request, with any router prefix:
    /// `/v1/items/{id}`.
    pub fn matched_path(&self) -> &'a str {
        &self.route.matched_path
    }

    pub(crate) fn resources_arc(&self) -> Arc<Resources> {
        Arc::clone(&self.route.resources)
    }

    /// The route as the stall detector names it.
    pub(crate) fn stall(&self) -> crate::stall::RouteId {
        self.route.stall
    }

    /// This request's background-task queue, made by `init` the first time.
    pub(crate) fn background_queue(
        &self,
        init: impl FnOnce() -> Arc<crate::background::Queue>,
    ) -> Arc<crate::background::Queue> {
        Arc::clone(self.background.get_or_init(init))
    }

    /// The background-task queue, if a parameter asked for one.
    pub(crate) fn background(&self) -> Option<&Arc<crate::background::Queue>> {
        self.background.get()
    }

    pub(crate) fn pool(&self) -> &'a BlockingPool {
        &self.route.resources.pool
    }

    pub(crate) fn overrides(&self) -> &'a Overrides {
        &self.route.resources.overrides
    }

    pub(crate) fn proxies(&self) -> &'a ProxyConfig {
        &self.route.resources.proxies
    }
}
