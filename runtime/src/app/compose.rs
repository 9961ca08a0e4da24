//! Composing an app: routes, routers, mounted services, tower layers and dependencies.

use bytes::Bytes;
use tower_layer::Layer;
use tower_service::Service;

use super::App;
use crate::body::BoxError;
use crate::context::Override;
use crate::dependency::{Teardown, override_with};
use crate::extract::FromRequestParts;
use crate::handler::Request;
use crate::middleware::{Inner, LayerErrorHandler, layer_fn};
use crate::route::RouteDef;
use crate::routing::Router;

impl App {
    /// Adds routes, usually `routes![a, b, c]`.
    #[must_use]
    pub fn routes(mut self, routes: impl IntoIterator<Item = RouteDef>) -> Self {
        self.root = self.root.routes(routes);
        self
    }

    /// Adds a [`Router`]: its routes under its prefix, with its tags, dependencies,
    /// responses and layers. Two routes of any routers with the same method and path are an
    /// error when the app is built, naming both.
    #[must_use]
    pub fn router(mut self, router: Router) -> Self {
        self.root = self.root.nest(router);
        self
    }

    /// Serves every request under `prefix` with a tower service, outside the document. See
    /// [`Router::mount`].
    #[must_use]
    pub fn mount<S, B>(mut self, prefix: impl Into<String>, service: S) -> Self
    where
        S: Service<Request, Response = http::Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.root = self.root.mount(prefix, service);
        self
    }

    /// Serves the files under `dir` at `prefix` ([`StaticFiles`](crate::StaticFiles): content
    /// types, `ETag`, 304, ranges, `HEAD`; no path leaves `dir`), outside the document.
    ///
    /// ```
    /// use oxapi::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let dir = std::env::temp_dir().join("oxapi-doctest-static");
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("hello.txt"), "hello").unwrap();
    /// let client = App::new().static_files("/static", &dir).test_client();
    /// let response = client.get("/static/hello.txt").send().await;
    /// assert_eq!(response.text(), "hello");
    /// assert_eq!(response.header("content-type"), Some("text/plain"));
    /// assert_eq!(client.get("/static/%2e%2e/etc/passwd").send().await.status(), 404);
    /// # }
    /// ```
    #[must_use]
    pub fn static_files(
        self,
        prefix: impl Into<String>,
        dir: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.mount(prefix, crate::StaticFiles::new(dir))
    }

    /// Wraps the whole app in a tower layer: it sees every request before routing, so also
    /// those answered 404 or 405 (CORS preflights, compression, tracing, request ids).
    /// Layers added later wrap the earlier ones.
    ///
    /// Any layer whose service takes `http::Request<B>` and returns `http::Response<B2>` with
    /// bytes bodies works, tower-http's included; an error it returns becomes a response
    /// through [`App::layer_error_handler`]. Without layers, requests go straight to routing.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::middleware::from_fn;
    ///
    /// #[get("/hello")]
    /// async fn hello() -> &'static str {
    ///     "hello"
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().routes(routes![hello]).layer(from_fn(
    ///     |request: oxapi::Request, next: oxapi::middleware::Next| async move {
    ///         if request.headers().contains_key("x-block") {
    ///             return StatusCode::FORBIDDEN.into_response();
    ///         }
    ///         next.run(request).await
    ///     },
    /// ));
    /// let client = app.test_client();
    /// assert_eq!(client.get("/hello").header("x-block", "1").send().await.status(), 403);
    /// assert_eq!(client.get("/hello").send().await.status(), 200);
    /// # }
    /// ```
    #[must_use]
    pub fn layer<L, B, E>(mut self, layer: L) -> Self
    where
        L: Layer<Inner> + Send + Sync + 'static,
        L::Service: Service<Request, Response = http::Response<B>, Error = E>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
        E: Into<BoxError>,
    {
        self.layers.push(layer_fn(layer));
        self
    }

    /// Wraps every route in a tower layer, but not routing: only requests that matched a
    /// route reach it, and it can read the route's [`MatchedPath`](crate::MatchedPath). The
    /// bounds are [`App::layer`]'s.
    #[must_use]
    pub fn route_layer<L, B, E>(mut self, layer: L) -> Self
    where
        L: Layer<Inner> + Send + Sync + 'static,
        L::Service: Service<Request, Response = http::Response<B>, Error = E>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
        E: Into<BoxError>,
    {
        self.root = self.root.layer(layer);
        self
    }

    /// How an error returned by a layer's service becomes a response (default:
    /// [`default_layer_error`](crate::middleware::default_layer_error), a `504` for tower's
    /// timeout and a `500` otherwise).
    #[must_use]
    pub fn layer_error_handler(mut self, handler: LayerErrorHandler) -> Self {
        self.layer_error = handler;
        self
    }

    /// Runs the extractor `T` before every route of the app (not the docs routes). See
    /// [`Router::dependency`].
    #[must_use]
    pub fn dependency<T>(mut self) -> Self
    where
        T: FromRequestParts + Clone + Sync + 'static,
    {
        self.root = self.root.dependency::<T>();
        self
    }

    /// As [`App::dependency`], and runs `T`'s [`Teardown`] after the handler.
    #[must_use]
    pub fn dependency_with_teardown<T>(mut self) -> Self
    where
        T: FromRequestParts + Clone + Sync + Teardown,
    {
        self.root = self.root.dependency_with_teardown::<T>();
        self
    }

    /// Documents a response every route may give, as problem details. See
    /// [`Router::response`].
    #[must_use]
    pub fn response(mut self, status: u16, description: impl Into<String>) -> Self {
        self.root = self.root.response(status, description);
        self
    }

    /// Replaces the dependency `T` by what the extractor `F` gives, converted: FastAPI's
    /// `dependency_overrides`, for tests. It applies wherever `T` is a dependency: a
    /// [`Depends<T>`](crate::Depends) parameter, or a router's or the app's
    /// `dependency::<T>()`.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::{Depends, FromRequestParts, RequestContext};
    /// use oxapi::http::request::Parts;
    ///
    /// #[derive(Debug, Clone)]
    /// struct User(String);
    ///
    /// impl FromRequestParts for User {
    ///     type Rejection = ApiError;
    ///     async fn from_request_parts(_: &mut Parts, _: &RequestContext<'_>) -> Result<Self, ApiError> {
    ///         Err(ApiError::unauthorized("log in first"))
    ///     }
    /// }
    ///
    /// #[get("/me")]
    /// async fn me(Depends(user): Depends<User>) -> String {
    ///     user.0
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().routes(routes![me]).override_dependency_value(User("test".into()));
    /// assert_eq!(app.test_client().get("/me").send().await.text(), "test");
    /// # }
    /// ```
    #[must_use]
    pub fn override_dependency<T, F>(mut self) -> Self
    where
        T: Send + Sync + 'static,
        F: FromRequestParts + Into<T>,
    {
        self.overrides.insert(override_with::<T, F>());
        self
    }

    /// Replaces the dependency `T` by a clone of `value`. See [`App::override_dependency`].
    #[must_use]
    pub fn override_dependency_value<T>(mut self, value: T) -> Self
    where
        T: Clone + Send + Sync + 'static,
    {
        self.overrides.insert(Override::Value(value));
        self
    }

    /// Answers a path that matches no route, but would with a trailing slash added or
    /// removed, with `307 Temporary Redirect` there (Starlette's `redirect_slashes`). Off by
    /// default: a path is then matched exactly.
    #[must_use]
    pub fn redirect_trailing_slash(mut self, redirect: bool) -> Self {
        self.redirect_trailing_slash = redirect;
        self
    }

    /// The app's own routes added so far (not those of its routers).
    pub fn route_defs(&self) -> &[RouteDef] {
        self.root.route_defs()
    }
}
