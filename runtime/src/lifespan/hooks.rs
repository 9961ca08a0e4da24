//! Startup and shutdown hooks, kept in order of registration.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::LifespanHandle;
use crate::body::BoxError;
use crate::context::StateSlot;

/// A hook's future, boxed: hooks of every type wait in one list.
pub(super) type HookFuture = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// A hook, boxed.
pub(super) type Hook = Box<dyn FnOnce() -> HookFuture + Send>;

/// One registration: a startup hook, a shutdown hook, or both (a [`Lifespan`]).
pub(super) struct Stage {
    /// The hook's type name, for messages: a function's path, or the closure's place.
    pub(super) name: &'static str,
    pub(super) startup: Option<Hook>,
    pub(super) shutdown: Option<Hook>,
}

/// The hooks registered on an app, in order, and the handle to the app's lifespan.
pub(crate) struct Hooks {
    pub(super) stages: Vec<Stage>,
    pub(super) handle: LifespanHandle,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.stages.iter().map(|stage| stage.name).collect();
        f.debug_struct("Hooks")
            .field("stages", &names)
            .field("state", &self.handle.state())
            .finish()
    }
}

impl Default for Hooks {
    fn default() -> Self {
        Self {
            stages: Vec::new(),
            handle: LifespanHandle::new(),
        }
    }
}

impl Hooks {
    pub(crate) fn handle(&self) -> &LifespanHandle {
        &self.handle
    }

    /// Whether any startup or shutdown hook is registered.
    pub(crate) fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }
}

/// What a lifespan hook returns: `()`, or `Result<T, E>` where `E` converts into a boxed error
/// (any `std::error::Error + Send + Sync`, `String`, `&str`, `anyhow::Error`, ...; for another
/// type, `.map_err(|e| e.to_string())`).
///
/// A startup hook's `T` becomes app state; `()` registers none. A shutdown hook returns `()`
/// or `Result<(), E>`.
pub trait HookOutput {
    /// The value on success: app state, for a startup hook.
    type Value: Send + Sync + 'static;

    /// The value, or the hook's error.
    ///
    /// # Errors
    ///
    /// The hook's error, boxed.
    fn into_result(self) -> Result<Self::Value, BoxError>;
}

impl HookOutput for () {
    type Value = ();

    fn into_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<T, E> HookOutput for Result<T, E>
where
    T: Send + Sync + 'static,
    E: Into<BoxError>,
{
    type Value = T;

    fn into_result(self) -> Result<T, BoxError> {
        self.map_err(Into::into)
    }
}

/// A resource with setup and teardown, like FastAPI's `lifespan` context manager: `startup`
/// runs before the first request and its value becomes app state; `shutdown` gets that value
/// back after the last request. Register it with [`App::lifespan`](crate::App::lifespan).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// use oxapi::prelude::*;
/// use oxapi::{BoxError, Lifespan};
///
/// /// A connection pool, opened at startup and closed at shutdown.
/// struct Pool {
///     open: AtomicBool,
/// }
///
/// /// How to open and close it.
/// struct Database {
///     url: String,
/// }
///
/// impl Lifespan for Database {
///     type State = Pool;
///     type Error = BoxError;
///
///     async fn startup(&self) -> Result<Pool, BoxError> {
///         assert!(self.url.starts_with("postgres://"));
///         Ok(Pool { open: AtomicBool::new(true) })
///     }
///
///     async fn shutdown(&self, pool: Arc<Pool>) -> Result<(), BoxError> {
///         pool.open.store(false, Ordering::SeqCst);
///         Ok(())
///     }
/// }
///
/// #[get("/open")]
/// async fn open(pool: State<Pool>) -> String {
///     pool.open.load(Ordering::SeqCst).to_string()
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new()
///     .lifespan(Database { url: "postgres://localhost/shop".into() })
///     .routes(routes![open])
///     .test_client();
/// assert_eq!(client.get("/open").send().await.text(), "true");
/// client.shutdown().await;
/// # }
/// ```
pub trait Lifespan: Send + Sync + 'static {
    /// The state `startup` makes, read by handlers as `State<Self::State>`; `()` for none.
    type State: Send + Sync + 'static;

    /// Why startup or shutdown failed: any type that converts into a boxed error.
    type Error: Into<BoxError>;

    /// Sets the resource up, before the first request. An error stops the app from starting.
    fn startup(&self) -> impl Future<Output = Result<Self::State, Self::Error>> + Send;

    /// Tears it down, after the last request (and only if `startup` succeeded). An error is
    /// logged.
    fn shutdown(
        &self,
        state: Arc<Self::State>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl Hooks {
    /// Adds a startup hook whose value fills `slot`.
    pub(crate) fn add_startup<F, Fut>(
        &mut self,
        hook: F,
        slot: StateSlot<<Fut::Output as HookOutput>::Value>,
    ) where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HookOutput,
    {
        let startup: Hook = Box::new(move || {
            Box::pin(async move {
                let value = hook().await.into_result()?;
                let _ = slot.set(Arc::new(value));
                Ok(())
            })
        });
        self.stages.push(Stage {
            name: type_name::<F>(),
            startup: Some(startup),
            shutdown: None,
        });
    }

    /// Adds a shutdown hook.
    pub(crate) fn add_shutdown<F, Fut>(&mut self, hook: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HookOutput<Value = ()>,
    {
        let shutdown: Hook = Box::new(move || Box::pin(async move { hook().await.into_result() }));
        self.stages.push(Stage {
            name: type_name::<F>(),
            startup: None,
            shutdown: Some(shutdown),
        });
    }

    /// Adds a [`Lifespan`]: one stage whose startup fills `slot` and whose shutdown reads it.
    pub(crate) fn add_lifespan<L: Lifespan>(&mut self, lifespan: L, slot: StateSlot<L::State>) {
        let filled = Arc::clone(&slot);
        let lifespan = Arc::new(lifespan);
        let tear_down = Arc::clone(&lifespan);
        let startup: Hook = Box::new(move || {
            Box::pin(async move {
                let state = lifespan.startup().await.map_err(Into::into)?;
                let _ = filled.set(Arc::new(state));
                Ok(())
            })
        });
        let shutdown: Hook = Box::new(move || {
            Box::pin(async move {
                // The stage's shutdown runs only after its startup succeeded, which filled
                // the slot; an empty slot would be a bug here, so it is reported, not unwrapped.
                let state = slot
                    .get()
                    .cloned()
                    .ok_or("the lifespan's state is missing")?;
                tear_down.shutdown(state).await.map_err(Into::into)
            })
        });
        self.stages.push(Stage {
            name: type_name::<L>(),
            startup: Some(startup),
            shutdown: Some(shutdown),
        });
    }
}
