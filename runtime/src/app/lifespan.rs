//! The app's lifespan hooks: [`App::on_startup`], [`App::on_shutdown`], [`App::lifespan`].

use std::future::Future;

use super::App;
use crate::lifespan::{HookOutput, Lifecycle, Lifespan, LifespanHandle};

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
        let slot = self.states.provide();
        self.lifespan.add_startup(hook, slot);
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
        self.lifespan.add_shutdown(hook);
        self
    }

    /// Registers a [`Lifespan`]: its `startup` runs with the startup hooks (its state becomes
    /// app state), its `shutdown` with the shutdown hooks, receiving that state. In the order
    /// of hooks it stands where it was registered.
    #[must_use]
    pub fn lifespan<L: Lifespan>(mut self, lifespan: L) -> Self {
        let slot = self.states.provide();
        self.lifespan.add_lifespan(lifespan, slot);
        self
    }

    /// A handle to this app's [`LifespanState`](crate::LifespanState), to watch it start and
    /// stop from outside (a test, a supervisor). Handlers get the same handle as
    /// `State<LifespanHandle>`.
    pub fn lifespan_handle(&self) -> LifespanHandle {
        self.lifespan.handle().clone()
    }

    /// Takes the hooks out of the app, to run them around serving what it builds.
    pub(crate) fn take_lifecycle(&mut self) -> Lifecycle {
        Lifecycle::new(std::mem::take(&mut self.lifespan), self.shutdown_grace)
    }
}
