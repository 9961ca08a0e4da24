//! What a route attribute generates: a [`RouteDef`] with the handler and its description.

use oxapi_openapi::{OperationDoc, OperationMeta};

use crate::handler::HandlerFn;

/// Describes the operation; called once, at startup.
pub type DescribeFn = fn(&mut OperationDoc<'_>);

/// What the route attribute knew about the operation.
#[derive(Debug, Clone, Copy)]
pub struct RouteMeta {
    /// The handler function's name.
    pub fn_name: &'static str,
    /// The module the handler is in.
    pub module_path: &'static str,
    /// `hidden`: left out of the documentation.
    pub hidden: bool,
    /// `body_limit = ..`: this route's body limit in bytes.
    pub body_limit: Option<u64>,
    /// `timeout = ".."`: this route's request timeout in milliseconds, over its routers' and
    /// the app's.
    pub timeout_ms: Option<u64>,
    /// What the document says of the operation: id, doc comment, tags, dispatch, statuses.
    pub operation: OperationMeta<'static>,
}

/// One route: method, path template, handler and description. Made by the route attributes
/// and collected with [`routes!`](crate::routes).
#[derive(Debug, Clone, Copy)]
pub struct RouteDef {
    /// The method, uppercase.
    pub method: &'static str,
    /// The path template, `/items/{id}`.
    pub path: &'static str,
    #[doc(hidden)]
    pub handler: HandlerFn,
    #[doc(hidden)]
    pub describe: DescribeFn,
    /// What the attribute knew about the operation.
    pub meta: RouteMeta,
}

impl RouteDef {
    /// `GET /items/{id} (read_item)`, for messages.
    pub fn display_name(&self) -> String {
        format!(
            "{} {} ({}::{})",
            self.method, self.path, self.meta.module_path, self.meta.fn_name
        )
    }
}

/// Implemented by the type a route attribute generates beside the function.
///
/// In `routes![f]`, the error "expected type, found function `f`" means that `f` has no
/// route attribute: the attribute is what adds the route type of the same name.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route",
    label = "`{Self}` has no route attribute",
    note = "annotate the function with `#[get(\"/path\")]`, `#[post(..)]`, ... to make it a route"
)]
pub trait Route {
    /// The route.
    const ROUTE: RouteDef;
}
