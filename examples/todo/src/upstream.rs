//! The one call to another service: a suggestion of something to do, from an activity API
//! (the shape of the Bored API: `{"activity": "…"}`), with reqwest's async client.
//!
//! The call awaits on the event loop like a database query: while it waits, the thread serves
//! other requests. It is bounded by a timeout, and each way it can fail is a clear problem:
//! 504 when the service is too slow, 502 when it cannot be reached or answers something
//! unusable, 503 when no service is configured.

use std::time::Duration;

use oxapi::prelude::*;
use oxapi::{ApiError, RequestId, StatusCode};
use serde::Deserialize;

/// How long a call may take, connection included, when the configuration does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where suggestions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamConfig {
    /// The URL answering `GET` with `{"activity": "…"}`; none, no suggestions.
    pub suggestions_url: Option<String>,
    /// How long a call may take.
    pub timeout: Duration,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            suggestions_url: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Something to do, as suggested.
#[model]
pub struct Suggestion {
    /// What to do: a title for a new item.
    pub title: String,
}

/// The activity service's answer.
#[derive(Debug, Deserialize)]
struct Activity {
    activity: String,
}

/// The client of the activity service: app state. One `reqwest::Client` for the app, so its
/// connections are pooled and kept alive between calls.
#[derive(Debug)]
pub struct Suggestions {
    client: reqwest::Client,
    url: Option<String>,
}

impl Suggestions {
    /// The client `config` describes.
    ///
    /// # Errors
    ///
    /// If the TLS stack cannot be set up.
    pub fn new(config: &UpstreamConfig) -> Result<Self, reqwest::Error> {
        // reqwest runs on rustls with the process's crypto provider: the ring one oxapi's
        // TLS uses. Installing it twice is refused, harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("oxapi-todo/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            url: config.suggestions_url.clone(),
        })
    }

    /// A suggestion from the service.
    ///
    /// # Errors
    ///
    /// 503 with no service configured, 504 if it did not answer in time, 502 if it could not
    /// be reached, failed, or answered something that is not a suggestion.
    ///
    /// The call carries `request`'s id (`X-Request-Id`) and, when spans are exported, its
    /// trace context, so the two services' logs and traces join.
    pub async fn suggest(&self, request: &RequestId) -> Result<Suggestion, ApiError> {
        let url = self.url.as_deref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no suggestion service is configured (--suggestions-url)",
            )
        })?;
        let answer = self
            .client
            .get(url)
            .headers(request.headers())
            .send()
            .await
            .map_err(upstream_error)?
            .error_for_status()
            .map_err(upstream_error)?;
        let activity: Activity = answer.json().await.map_err(upstream_error)?;
        let title = activity.activity.trim();
        if title.is_empty() || title.chars().count() > 500 {
            return Err(bad_gateway(
                "the suggestion service answered no usable activity",
            ));
        }
        Ok(Suggestion {
            title: title.to_owned(),
        })
    }
}

/// The problem a failed call answers: 504 for a timeout, else 502. The cause is logged, not
/// sent: it may name internal hosts.
fn upstream_error(error: reqwest::Error) -> ApiError {
    tracing::warn!(%error, "the suggestion service call failed");
    if error.is_timeout() {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "the suggestion service did not answer in time",
        )
    } else if let Some(status) = error.status() {
        bad_gateway(format!(
            "the suggestion service failed ({})",
            status.as_u16()
        ))
    } else if error.is_decode() {
        bad_gateway("the suggestion service answered something that is not a suggestion")
    } else {
        bad_gateway("the suggestion service could not be reached")
    }
}

fn bad_gateway(detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_GATEWAY, detail)
}
