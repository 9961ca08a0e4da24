//! The stall detector's counts, for a metrics or health route.

use std::sync::Arc;

use http::request::Parts;

use super::{FromRequestParts, RequestContext};
use crate::stall::{AppStalls, StallStats};

impl FromRequestParts for StallStats {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, Self::Rejection> {
        // The app's counts are a state when the detector is on.
        Ok(ctx
            .state::<Arc<AppStalls>>()
            .map_or_else(StallStats::default, |stalls| stalls.stats()))
    }
}
