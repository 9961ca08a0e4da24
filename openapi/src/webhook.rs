//! Requests the API sends rather than receives: webhooks (the document's `webhooks`) and
//! callbacks (an operation's `callbacks`), described with one builder.

use schemars::JsonSchema;

use crate::document::OperationDoc;

/// A request the API sends to its users' servers, documented under the document's
/// `webhooks` (with `App::webhook`) or under one operation's `callbacks` (with
/// `App::callback`).
///
/// ```
/// use oxapi_openapi::Webhook;
/// # #[derive(schemars::JsonSchema)] struct Order { id: u64 }
///
/// let webhook = Webhook::post()
///     .summary("An order was paid.")
///     .description("Sent once per order, after the payment clears.")
///     .body::<Order>();
/// ```
#[derive(Debug, Clone)]
pub struct Webhook {
    pub(crate) method: String,
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) operation_id: Option<String>,
    pub(crate) describe: Vec<fn(&mut OperationDoc<'_>)>,
}

impl Webhook {
    /// A webhook sent with `method` (`"POST"`, `"PUT"`, ...).
    pub fn new(method: &str) -> Self {
        Self {
            method: method.to_ascii_lowercase(),
            summary: None,
            description: None,
            tags: Vec::new(),
            operation_id: None,
            describe: Vec::new(),
        }
    }

    /// A webhook sent with `POST`, the usual method.
    pub fn post() -> Self {
        Self::new("POST")
    }

    /// A one-line summary.
    #[must_use]
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// A longer description (CommonMark).
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a tag.
    #[must_use]
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The operation's `operationId` (none by default).
    #[must_use]
    pub fn operation_id(mut self, id: impl Into<String>) -> Self {
        self.operation_id = Some(id.into());
        self
    }

    /// The JSON body sent: the schema of `T`.
    #[must_use]
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.describe.push(json_body::<T>);
        self
    }

    /// Anything else the request or the expected answer has, documented by `describe`:
    /// headers, other media types, the statuses the receiver answers with. Without it, the
    /// receiver is expected to answer `200`.
    ///
    /// ```
    /// use oxapi_openapi::{ParamLocation, Webhook};
    ///
    /// let webhook = Webhook::post().describe_with(|op| {
    ///     op.param::<String>(ParamLocation::Header, "x-signature", true);
    ///     op.response_empty(204, None);
    /// });
    /// ```
    #[must_use]
    pub fn describe_with(mut self, describe: fn(&mut OperationDoc<'_>)) -> Self {
        self.describe.push(describe);
        self
    }
}

fn json_body<T: JsonSchema>(op: &mut OperationDoc<'_>) {
    op.request_body::<T>("application/json", true);
}
