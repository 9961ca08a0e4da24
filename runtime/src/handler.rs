//! The handler ABI: what generated code targets. It names no app type, so the router, the
//! app and the server can change without touching generated code, and a handler can be
//! called with nothing but a request and a [`RouteContext`].
//!
//! Every item here is reachable from generated code through `oxapi::__private`; changing a
//! signature here changes what the route macros must emit (see ARCHITECTURE.md).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::body::Body;
use crate::body::Response;
use crate::context::RouteContext;

/// An HTTP request with oxapi's [`Body`].
pub type Request = http::Request<Body>;

/// The future of a generated handler: the one allocation a request's dispatch makes.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// A generated handler: extracts parameters and calls the user's function.
///
/// It takes the request, where the router found the path parameters, and the route's
/// context, which it clones into its future.
pub type HandlerFn = fn(Request, PathParams, &Arc<RouteContext>) -> HandlerFuture;

/// Where each placeholder's value lies in the request path, as byte ranges.
///
/// Ranges, not `&str`s, so the request can move into the handler's future while the values
/// are still found without copying.
///
/// A request that passes through middleware first keeps a copy of the path it was routed by,
/// since a layer may rewrite the URI before the handler reads its parameters.
#[derive(Debug, Default, Clone)]
pub struct PathParams {
    ranges: SmallVec<[(u32, u32); 4]>,
    routed: Option<Box<str>>,
}

impl PathParams {
    /// Records the values matched in `path`, in template order.
    pub(crate) fn from_match(path: &str, params: &matchit::Params<'_, '_>) -> Self {
        let base = path.as_ptr() as usize;
        // Pushed one by one: `collect` reserved from a size hint first, which cost more than
        // the one or two values a path has.
        let mut ranges = SmallVec::new();
        for (_, value) in params.iter() {
            // matchit's values are slices of `path`: their offset is the pointer distance.
            let start = (value.as_ptr() as usize).saturating_sub(base);
            ranges.push((start as u32, (start + value.len()) as u32));
        }
        Self {
            ranges,
            routed: None,
        }
    }

    /// Keeps a copy of `path`, the one these ranges index, for a request that goes through
    /// middleware before its handler.
    pub(crate) fn detach(mut self, path: &str) -> Self {
        self.routed = Some(path.into());
        self
    }

    /// The raw (still percent-encoded) value of the `index`-th placeholder.
    pub(crate) fn raw<'p>(&'p self, path: &'p str, index: usize) -> Option<&'p str> {
        let (start, end) = *self.ranges.get(index)?;
        self.routed
            .as_deref()
            .unwrap_or(path)
            .get(start as usize..end as usize)
    }
}

#[cfg(test)]
impl PathParams {
    /// Every raw value, in template order.
    pub(crate) fn values<'p>(&self, path: &'p str) -> Vec<&'p str> {
        self.ranges
            .iter()
            .filter_map(|&(start, end)| path.get(start as usize..end as usize))
            .collect()
    }
}
