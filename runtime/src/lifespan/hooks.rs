//! Registering startup and shutdown hooks on an [`App`].

use std::any::{TypeId, type_name};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::LifespanHandle;
use crate::app::App;
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
/// back after the last request. Register it with [`App::lifespan`].
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

impl App {
    /// Runs `hook` before the server accepts its first connection; its `Ok` value becomes app
    /// state, read with [`State<T>`](crate::State) (a hook returning `()` or `Ok(())` adds none).
    ///
    /// Startup hooks run one after another, in order of registration. If one fails, the app
    /// does not serve: [`App::serve`] returns [`ServeError::Startup`](crate::ServeError::Startup)
    /// naming the hook, [`App::run`] prints it and exits non-zero. A route may take `State<T>`
    /// for a `T` a hook provides: the build check counts it. As with [`App::state`], the last
    /// registration of a type wins. The test client runs startup hooks on its first request, or
    /// on [`TestClient::start`](crate::TestClient::start).
    ///
    /// ```
    /// use oxapi::prelude::*;
    ///
    /// /// Settings loaded at startup.
    /// struct Config {
    ///     greeting: String,
    /// }
    ///
    /// async fn load_config() -> Result<Config, std::io::Error> {
    ///     Ok(Config { greeting: "Hello".into() })
    /// }
    ///
    /// #[get("/hello/{name}")]
    /// async fn hello(name: String, config: State<Config>) -> String {
    ///     format!("{}, {name}!", config.greeting)
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = App::new()
    ///     .on_startup(load_config)
    ///     .on_startup(|| async { println!("starting") })
    ///     .routes(routes![hello])
    ///     .test_client();
    /// assert_eq!(client.get("/hello/Ada").send().await.text(), "Hello, Ada!");
    /// # }
    /// ```
    #[must_use]
    pub fn on_startup<F, Fut>(mut self, hook: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HookOutput,
    {
        let slot = self.provide::<<Fut::Output as HookOutput>::Value>();
        let startup: Hook = Box::new(move || {
            Box::pin(async move {
                let value = hook().await.into_result()?;
                let _ = slot.set(Arc::new(value));
                Ok(())
            })
        });
        self.lifespan.stages.push(Stage {
            name: type_name::<F>(),
            startup: Some(startup),
            shutdown: None,
        });
        self
    }

    /// Runs `hook` once at shutdown, after the last in-flight request and background task
    /// finished (or the grace period ran out); also on SIGINT and SIGTERM. Shutdown hooks run
    /// in reverse order of registration; an error or panic is logged (`tracing`) and the
    /// others still run. If startup fails, only the shutdown hooks registered before the
    /// failing startup hook run, as a `defer` would. The grace period does not bound the
    /// hooks themselves: wrap a slow one in `tokio::time::timeout`.
    ///
    /// The test client runs them on [`TestClient::shutdown`](crate::TestClient::shutdown), not
    /// on drop.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// use oxapi::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let flushed = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&flushed);
    /// let client = App::new()
    ///     .on_shutdown(move || async move { flag.store(true, Ordering::SeqCst) })
    ///     .test_client();
    /// client.start().await.unwrap(); // or any request
    /// client.shutdown().await;
    /// assert!(flushed.load(Ordering::SeqCst));
    /// # }
    /// ```
    #[must_use]
    pub fn on_shutdown<F, Fut>(mut self, hook: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HookOutput<Value = ()>,
    {
        let shutdown: Hook = Box::new(move || Box::pin(async move { hook().await.into_result() }));
        self.lifespan.stages.push(Stage {
            name: type_name::<F>(),
            startup: None,
            shutdown: Some(shutdown),
        });
        self
    }

    /// Registers a [`Lifespan`]: its `startup` runs with the startup hooks (its state becomes
    /// app state), its `shutdown` with the shutdown hooks, receiving that state. In the order
    /// of hooks it stands where it was registered.
    #[must_use]
    pub fn lifespan<L: Lifespan>(mut self, lifespan: L) -> Self {
        let slot = self.provide::<L::State>();
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
        self.lifespan.stages.push(Stage {
            name: type_name::<L>(),
            startup: Some(startup),
            shutdown: Some(shutdown),
        });
        self
    }

    /// A handle to this app's [`LifespanState`](crate::LifespanState), to watch it start and
    /// stop from outside (a test, a supervisor). Handlers get the same handle as
    /// `State<LifespanHandle>`.
    pub fn lifespan_handle(&self) -> LifespanHandle {
        self.lifespan.handle.clone()
    }

    /// The slot a startup hook fills with its `T`, registered as app state unless `T` is `()`.
    fn provide<T: Send + Sync + 'static>(&mut self) -> StateSlot<T> {
        if TypeId::of::<T>() == TypeId::of::<()>() {
            StateSlot::default()
        } else {
            self.states.provide::<T>()
        }
    }
}
