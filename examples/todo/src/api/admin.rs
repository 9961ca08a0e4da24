//! `/v1/admin`: operating the service, behind the admin token.
//!
//! The routes take `Authorization: Bearer <--admin-token>`, compared in constant time
//! ([`secrets_match`]). A request without a bearer token gets 401. Without `--admin-token` (or
//! `$TODO_ADMIN_TOKEN`) a request with one gets 404, as from routes that are not there: an
//! instance nobody configured to be administered shows nothing of it, and no token can be
//! guessed.

use oxapi::Router;
use oxapi::http::request::Parts;
use oxapi::prelude::*;
use oxapi::security::{AuthError, HttpBearer, secrets_match};
use oxapi::{FromRequestParts, OperationDoc, RequestContext};

use crate::Store;
use crate::jobs::JobCounts;

/// The admin routes' token, from the configuration: app state.
#[derive(Debug, Clone)]
pub struct AdminToken(pub Option<String>);

/// The admin routes.
pub fn router() -> Router {
    Router::new()
        .prefix("/admin")
        .tag("admin")
        .routes(routes![job_counts])
}

/// A request carrying the admin token.
#[derive(Debug)]
pub struct Admin;

/// Why a request is not an admin's.
#[derive(Debug)]
pub enum NotAdmin {
    /// No admin token is configured: the routes are off.
    Off,
    /// No token, or another one.
    Auth(AuthError),
}

impl IntoResponse for NotAdmin {
    fn into_response(self) -> oxapi::Response {
        match self {
            Self::Off => {
                ApiError::not_found("the admin routes are off (no --admin-token)").into_response()
            }
            Self::Auth(error) => error.into_response(),
        }
    }
}

impl FromRequestParts for Admin {
    type Rejection = NotAdmin;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, NotAdmin> {
        // Credentials first: a request without any is refused with 401 as the document
        // says, whether or not the routes are on.
        let bearer = HttpBearer::from_request_parts(parts, ctx)
            .await
            .map_err(NotAdmin::Auth)?;
        let configured = State::<AdminToken>::from_request_parts(parts, ctx)
            .await
            .ok()
            .and_then(|token| token.0.0.clone());
        let Some(expected) = configured else {
            return Err(NotAdmin::Off);
        };
        if secrets_match(bearer.token().as_bytes(), expected.as_bytes()) {
            Ok(Admin)
        } else {
            Err(NotAdmin::Auth(AuthError::invalid_token(
                "the token is not the admin token",
            )))
        }
    }

    fn describe(op: &mut OperationDoc<'_>) {
        State::<AdminToken>::describe(op);
        HttpBearer::describe(op);
    }
}

/// Count the webhook deliveries by state.
///
/// `pending` (waiting for a worker), `running`, `done`, `failed` (to be tried again) and
/// `dead` (no attempts left), over every instance: the queue is in the database.
#[get(
    "/jobs",
    responses(404 = "The admin routes are off: no `--admin-token` is configured")
)]
pub async fn job_counts(store: State<Store>, _admin: Admin) -> Result<Json<JobCounts>, ApiError> {
    Ok(Json(store.job_counts().await?))
}
