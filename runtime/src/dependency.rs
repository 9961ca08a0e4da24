//! Dependencies, FastAPI's `Depends`: extractors that run once per request, whether a
//! handler, a router or the app asks for them, that can reject the request, that may clean up
//! after the handler, and whose implementation tests can swap.
//!
//! A value is computed at most once per request: [`Depends<T>`] keeps it in the request's
//! extensions, and every later `Depends<T>` of the same request (a router's dependency and the
//! handler's parameter, say) gets a clone.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::StatusCode;
use http::request::Parts;
use oxapi_openapi::OperationDoc;
use tower_service::Service;

use crate::background::BackgroundTasks;
use crate::context::{Override, RequestContext, RouteContext};
use crate::extract::FromRequestParts;
use crate::handler::Request;
use crate::middleware::{RouteService, call_once};
use crate::response::{IntoResponse, Response};

use crate::context::BoxFuture;

/// A dependency: the extractor `T`, computed once per request and shared.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::{Depends, FromRequestParts, RequestContext};
/// use oxapi::http::request::Parts;
///
/// /// The caller, from the `x-user` header.
/// #[derive(Debug, Clone)]
/// struct User(String);
///
/// impl FromRequestParts for User {
///     type Rejection = ApiError;
///
///     async fn from_request_parts(parts: &mut Parts, _: &RequestContext<'_>) -> Result<Self, ApiError> {
///         let name = parts.headers.get("x-user").and_then(|v| v.to_str().ok());
///         name.map(|name| User(name.to_owned())).ok_or_else(|| ApiError::unauthorized("who are you?"))
///     }
/// }
///
/// #[get("/me")]
/// async fn me(Depends(user): Depends<User>) -> String {
///     user.0
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![me]).test_client();
/// assert_eq!(client.get("/me").header("x-user", "ada").send().await.text(), "ada");
/// assert_eq!(client.get("/me").send().await.status(), 401);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Depends<T>(pub T);

impl<T> std::ops::Deref for Depends<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The value a request computed for `T`, kept for the rest of the request.
#[derive(Clone)]
struct Computed<T>(T);

impl<T> Depends<T>
where
    T: FromRequestParts + Clone + Sync + 'static,
{
    /// The request's value of `T`: the one already computed, or the override's, or `T`'s
    /// own extraction; kept for the rest of the request.
    async fn resolve(parts: &mut Parts, ctx: &RequestContext<'_>) -> Result<T, Response> {
        if let Some(Computed(value)) = parts.extensions.get::<Computed<T>>() {
            return Ok(value.clone());
        }
        let value = match ctx.overrides().get::<T>() {
            Some(Override::Value(value)) => value.clone(),
            Some(Override::Extractor(extract)) => extract(parts, ctx.clone()).await?,
            None => T::from_request_parts(parts, ctx)
                .await
                .map_err(IntoResponse::into_response)?,
        };
        parts.extensions.insert(Computed(value.clone()));
        Ok(value)
    }
}

impl<T> FromRequestParts for Depends<T>
where
    T: FromRequestParts + Clone + Sync + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Response> {
        Self::resolve(parts, ctx).await.map(Depends)
    }

    fn describe(op: &mut OperationDoc<'_>) {
        T::describe(op);
    }
}

/// How a request ended, as a dependency's [`Teardown`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    status: StatusCode,
}

impl Outcome {
    /// The response's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether the handler succeeded: a status below 400.
    pub fn is_success(&self) -> bool {
        self.status.as_u16() < 400
    }
}

/// Cleanup a dependency runs after the handler returns and before the response is sent
/// (FastAPI's code after `yield`): commit a transaction on success, roll it back on failure.
///
/// Register the dependency with [`Router::dependency_with_teardown`](crate::Router::dependency_with_teardown)
/// or [`App::dependency_with_teardown`](crate::App::dependency_with_teardown). It also runs
/// when a later dependency or the handler rejects the request, and when the handler panics
/// (with a 500 outcome). An `Err` replaces the response: a commit that failed is not a success.
pub trait Teardown: Send + 'static {
    /// Cleans up after the request.
    fn teardown(self, outcome: Outcome) -> impl Future<Output = Result<(), Response>> + Send;
}

/// A pending teardown.
type PendingTeardown = Box<dyn FnOnce(Outcome) -> BoxFuture<'static, Result<(), Response>> + Send>;

/// Runs one dependency for a request: its rejection, or the teardown it leaves.
type RunFn = for<'a> fn(
    &'a mut Parts,
    RequestContext<'a>,
) -> BoxFuture<'a, Result<Option<PendingTeardown>, Response>>;

/// A dependency a router or the app runs for each of its routes.
#[derive(Clone, Copy)]
pub(crate) struct Dependency {
    run: RunFn,
    pub(crate) describe: fn(&mut OperationDoc<'_>),
}

impl std::fmt::Debug for Dependency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dependency").finish_non_exhaustive()
    }
}

impl Dependency {
    pub(crate) fn of<T>() -> Self
    where
        T: FromRequestParts + Clone + Sync + 'static,
    {
        fn run<'a, T: FromRequestParts + Clone + Sync + 'static>(
            parts: &'a mut Parts,
            ctx: RequestContext<'a>,
        ) -> BoxFuture<'a, Result<Option<PendingTeardown>, Response>> {
            Box::pin(async move { Depends::<T>::resolve(parts, &ctx).await.map(|_| None) })
        }
        Self {
            run: run::<T>,
            describe: T::describe,
        }
    }

    pub(crate) fn with_teardown<T>() -> Self
    where
        T: FromRequestParts + Clone + Sync + Teardown,
    {
        fn run<'a, T: FromRequestParts + Clone + Sync + Teardown>(
            parts: &'a mut Parts,
            ctx: RequestContext<'a>,
        ) -> BoxFuture<'a, Result<Option<PendingTeardown>, Response>> {
            Box::pin(async move {
                let value = Depends::<T>::resolve(parts, &ctx).await?;
                let teardown: PendingTeardown =
                    Box::new(move |outcome| Box::pin(value.teardown(outcome)));
                Ok(Some(teardown))
            })
        }
        Self {
            run: run::<T>,
            describe: T::describe,
        }
    }
}

/// Runs a route's dependencies, in order, before the route; then their teardowns, in reverse.
#[derive(Clone)]
pub(crate) struct DependencyService {
    pub(crate) dependencies: Arc<[Dependency]>,
    pub(crate) context: Arc<RouteContext>,
    pub(crate) inner: RouteService,
}

impl Service<Request> for DependencyService {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let ctx = this.context.request();
            let mut teardowns = Vec::new();
            for dependency in this.dependencies.iter() {
                match (dependency.run)(&mut parts, ctx.clone()).await {
                    Ok(Some(teardown)) => teardowns.push(teardown),
                    Ok(None) => {}
                    Err(rejection) => return Ok(tear_down(teardowns, rejection).await),
                }
            }
            // Tasks a dependency queued are released with the body, as the route's own are.
            let background = BackgroundTasks::of(&parts);
            let response = call_once(this.inner, Request::from_parts(parts, body)).await;
            let response = tear_down(teardowns, response).await;
            Ok(match background {
                Some(queue) => crate::background::release_after(response, queue),
                None => response,
            })
        })
    }
}

/// Runs `teardowns` in reverse order; an error replaces the response.
async fn tear_down(teardowns: Vec<PendingTeardown>, mut response: Response) -> Response {
    let outcome = Outcome {
        status: response.status(),
    };
    for teardown in teardowns.into_iter().rev() {
        if let Err(replacement) = teardown(outcome).await {
            response = replacement;
        }
    }
    response
}

/// An override that extracts `F` and converts it into `T`.
pub(crate) fn override_with<T, F>() -> Override<T>
where
    T: Send + Sync + 'static,
    F: FromRequestParts + Into<T>,
{
    fn extract<'a, T: 'static, F: FromRequestParts + Into<T>>(
        parts: &'a mut Parts,
        ctx: RequestContext<'a>,
    ) -> BoxFuture<'a, Result<T, Response>> {
        Box::pin(async move {
            F::from_request_parts(parts, &ctx)
                .await
                .map(Into::into)
                .map_err(IntoResponse::into_response)
        })
    }
    Override::Extractor(extract::<T, F>)
}
