//! App-wide error handling: framework errors rendered the app's way.

use std::sync::Arc;

use oxapi_openapi::FrameworkError;

use super::App;
use crate::error_handlers::FrameworkHook;
use crate::report::FrameworkErrorReport;
use crate::response::IntoResponse;

impl App {
    /// Renders the framework errors `errors` with `handler` instead of as problem details:
    /// FastAPI's `@app.exception_handler(RequestValidationError)`.
    ///
    /// `handler` is told the error's kind, status, detail and, for a validation failure,
    /// every invalid input ([`FrameworkErrorReport`]). What it returns is sent as it is, with
    /// two adjustments: a plain success (`Json(..)`, a `String`) gets the error's status, and
    /// the headers the framework set and the handler did not (`Allow` on a 405,
    /// `Retry-After` on a 503, a layer's CORS headers) are kept.
    ///
    /// The error is rendered where it is made: the handler's response future, routing (404,
    /// 405), a layer's error answer; so route and app layers see the rendered response. The
    /// document follows: each of `errors`' component under `#/components/responses` (and any
    /// operation response that merges it) shows what `R` documents, with its media type, in
    /// place of problem details. A handler returning [`Response`](crate::Response) documents
    /// no content. Registering a renderer for an error again replaces the earlier one.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::{FrameworkError, FrameworkErrorReport};
    ///
    /// /// The body of a FastAPI validation error.
    /// #[model]
    /// struct HttpValidationError {
    ///     detail: Vec<ValidationError>,
    /// }
    ///
    /// /// One invalid input.
    /// #[model]
    /// struct ValidationError {
    ///     loc: Vec<String>,
    ///     msg: String,
    ///     #[serde(rename = "type")]
    ///     kind: String,
    /// }
    ///
    /// fn fastapi_422(report: &FrameworkErrorReport) -> Json<HttpValidationError> {
    ///     let detail = report.errors().iter().map(|error| ValidationError {
    ///         loc: error.location.split('.').map(str::to_owned).collect(),
    ///         msg: error.message.clone(),
    ///         kind: error.code.to_string(),
    ///     });
    ///     Json(HttpValidationError { detail: detail.collect() })
    /// }
    ///
    /// #[get("/items/{id}")]
    /// async fn read_item(id: u32, #[query] limit: u8) -> String {
    ///     format!("item {id}, limit {limit}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .routes(routes![read_item])
    ///     .framework_error_handler(&[FrameworkError::Validation], fastapi_422)
    ///     .framework_error_handler(&[FrameworkError::NotFound], |_: &FrameworkErrorReport| {
    ///         "nothing here"
    ///     });
    /// let client = app.test_client();
    ///
    /// let response = client.get("/items/x?limit=300").send().await;
    /// assert_eq!(response.status(), 422);
    /// let body: oxapi::__private::serde_json::Value = response.json();
    /// assert_eq!(body["detail"][0]["loc"][0], "path");
    /// assert_eq!(body["detail"][0]["loc"][1], "id");
    /// assert_eq!(body["detail"][1]["loc"][1], "limit");
    ///
    /// let response = client.get("/nowhere").send().await;
    /// assert_eq!((response.status().as_u16(), response.text()), (404, "nothing here".into()));
    /// # }
    /// ```
    #[must_use]
    pub fn framework_error_handler<F, R>(mut self, errors: &[FrameworkError], handler: F) -> Self
    where
        F: Fn(&FrameworkErrorReport) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        let hook = FrameworkHook {
            render: Arc::new(move |report| handler(report).into_response()),
            describe: R::describe,
        };
        self.errors.set_framework(errors, &hook);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Json, get, model, routes};

    /// What the app sends for a validation failure.
    #[model(crate = crate)]
    struct Rejected {
        detail: Vec<String>,
    }

    #[get("/items/{id}", crate = crate)]
    async fn item(id: u32) -> String {
        id.to_string()
    }

    #[test]
    fn the_document_shows_what_the_handler_returns() {
        let document = App::new()
            .routes(routes![item])
            .framework_error_handler(
                &[FrameworkError::Validation],
                |report: &FrameworkErrorReport| {
                    Json(Rejected {
                        detail: report.errors().iter().map(|e| e.message.clone()).collect(),
                    })
                },
            )
            .framework_error_handler(
                &[FrameworkError::NotFound],
                |_: &FrameworkErrorReport| "not here",
            )
            .openapi()
            .unwrap();
        let responses = &document["components"]["responses"];
        assert_eq!(
            responses["ValidationFailed"]["content"],
            serde_json::json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Rejected" } } })
        );
        assert!(document["components"]["schemas"]["Rejected"]["properties"]["detail"].is_object());
        assert_eq!(
            responses["NotFound"]["content"]["text/plain"]["schema"]["type"],
            "string"
        );
        // The operation still refers to the component.
        assert_eq!(
            document["paths"]["/items/{id}"]["get"]["responses"]["422"]["$ref"],
            "#/components/responses/ValidationFailed"
        );
    }
}
