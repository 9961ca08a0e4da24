//! `GET /v1/suggestion`: something to do, from another service.

use oxapi::prelude::*;
use oxapi::{RequestId, Router};

use crate::auth::Reader;
use crate::upstream::{Suggestion, Suggestions};

/// The suggestion's route.
pub fn router() -> Router {
    Router::new().tag("lists").routes(routes![suggest])
}

/// Suggest something to do, asked of an activity service with an async HTTP client: the
/// request waits for it without holding the event loop, up to the configured timeout. The
/// call carries this request's `X-Request-Id`.
#[get(
    "/suggestion",
    responses(
        502 = "The suggestion service failed, could not be reached, or answered nonsense",
        503 = "No suggestion service is configured",
        504 = "The suggestion service did not answer in time"
    )
)]
pub async fn suggest(
    suggestions: State<Suggestions>,
    _user: Reader,
    request: RequestId,
) -> Result<Json<Suggestion>, ApiError> {
    Ok(Json(suggestions.suggest(&request).await?))
}
