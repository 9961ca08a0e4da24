//! The blocking pool's counts, for a metrics or health route.

use http::request::Parts;

use super::{FromRequestParts, RequestContext};
use crate::pool::BlockingPoolStats;

/// The blocking pool's counts when the request arrived: threads, busy threads, queued calls
/// and refusals, for a metrics route to export.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::BlockingPoolStats;
///
/// #[get("/metrics/pool")]
/// async fn pool(stats: BlockingPoolStats) -> String {
///     format!("threads {} busy {} queued {} refused {}", stats.threads, stats.busy, stats.queued, stats.refused)
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![pool]).test_client();
/// assert_eq!(client.get("/metrics/pool").send().await.text(), "threads 0 busy 0 queued 0 refused 0");
/// # }
/// ```
impl FromRequestParts for BlockingPoolStats {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        Ok(ctx.pool().stats())
    }
}
