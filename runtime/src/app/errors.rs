//! App-wide error handling: framework errors rendered the app's way, and handler errors
//! answered by type.

use std::any::TypeId;
use std::sync::Arc;

use http::StatusCode;
use oxapi_openapi::FrameworkError;

use super::App;
use crate::error::HttpError;
use crate::error_handlers::{FrameworkHook, TypeHook};
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
    /// A problem made from the catalogue is that framework error whoever made it: a
    /// handler's `Problem::from(FrameworkError::NotFound)` or
    /// [`ApiError::internal`](crate::ApiError::internal) is rendered too, so that the client
    /// sees one format for one error.
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

    /// Answers every [`oxapi::Error`](crate::Error) holding an `E` with what `handler` returns,
    /// for the whole app: FastAPI's `@app.exception_handler(MyError)`.
    ///
    /// A plain success (`Json(..)`, a `String`) is sent with `status`; a response with a
    /// status of its own keeps it. The error's type must be the one the handler's `?`
    /// converted (no look through `source()`). An error of a type no mapping takes is a `500`
    /// whose problem details say nothing of it, logged with the route and the error's
    /// `Display`. A layer's error of type `E` is answered by the mapping too, before the
    /// [`layer_error_handler`](App::layer_error_handler). Mapping a type again replaces the
    /// earlier mapping.
    ///
    /// Every operation whose return type holds `oxapi::Error` (`Result<T, oxapi::Error>`)
    /// documents each mapping: `R`'s content at `status`. The app cannot know which types a
    /// handler's `?` may convert, so it documents all of them, as FastAPI's handlers apply to
    /// every route.
    ///
    /// ```
    /// use oxapi::prelude::*;
    ///
    /// #[derive(Debug)]
    /// struct OutOfStock(String);
    ///
    /// impl std::fmt::Display for OutOfStock {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         write!(f, "{} is out of stock", self.0)
    ///     }
    /// }
    ///
    /// impl std::error::Error for OutOfStock {}
    ///
    /// #[post("/orders/{item}")]
    /// async fn order(item: String) -> Result<String, oxapi::Error> {
    ///     Err(OutOfStock(item))?
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new()
    ///     .routes(routes![order])
    ///     .error_handler(StatusCode::CONFLICT, |error: &OutOfStock| error.to_string());
    /// let response = app.test_client().post("/orders/pen").send().await;
    /// assert_eq!(response.status(), 409);
    /// assert_eq!(response.text(), "pen is out of stock");
    /// # }
    /// ```
    #[must_use]
    pub fn error_handler<E, F, R>(mut self, status: StatusCode, handler: F) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(&E) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        self.errors.set_type(TypeHook {
            type_id: TypeId::of::<E>(),
            type_name: std::any::type_name::<E>(),
            map: Arc::new(move |error| {
                let error = error.downcast_ref::<E>()?;
                Some(handler(error).into_response_with_status(status))
            }),
            status: Some(status.as_u16()),
            describe: R::describe,
        });
        self
    }

    /// Answers every [`oxapi::Error`](crate::Error) holding an `E` as `E`'s [`HttpError`]
    /// implementation says: its status and problem details, documented by its
    /// [`describe`](HttpError::describe). For an error type that is both a
    /// `std::error::Error` (so `?` converts it into `oxapi::Error`) and an `HttpError`; else
    /// as [`App::error_handler`].
    #[must_use]
    pub fn http_error<E>(mut self) -> Self
    where
        E: HttpError + std::error::Error + Send + Sync + 'static,
    {
        self.errors.set_type(TypeHook {
            type_id: TypeId::of::<E>(),
            type_name: std::any::type_name::<E>(),
            map: Arc::new(|error| {
                let error = error.downcast_ref::<E>()?;
                Some(crate::error::http_error_response(error))
            }),
            status: None,
            describe: <E as HttpError>::describe,
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::{self, Write as _};
    use std::sync::Mutex;

    use tracing::field::{Field, Visit};
    use tracing::{Event, Metadata, Subscriber, span};

    use super::*;
    use crate::{ApiError, Json, Problem, get, model, routes};

    /// Records every event's fields, one line each.
    #[derive(Clone, Default)]
    struct Logs(Arc<Mutex<Vec<String>>>);

    impl Logs {
        fn lines(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    struct Line<'a>(&'a mut String);

    impl Visit for Line<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            let _ = write!(self.0, "{}={value:?} ", field.name());
        }
    }

    impl Subscriber for Logs {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = String::new();
            event.record(&mut Line(&mut line));
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }

    #[derive(Debug)]
    struct Missing(u32);

    impl fmt::Display for Missing {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "no item {}", self.0)
        }
    }

    impl std::error::Error for Missing {}

    impl HttpError for Missing {
        fn status(&self) -> StatusCode {
            StatusCode::NOT_FOUND
        }
        fn problem(&self) -> Problem {
            Problem::new(self.status()).with_detail(self.to_string())
        }
        fn describe(op: &mut oxapi_openapi::OperationDoc<'_>) {
            op.problem_response(404, "No such item.");
        }
    }

    /// A mapped error, an unmapped one, or an error that says what to send.
    #[get("/fails/{how}", crate = crate)]
    async fn fails(how: String) -> Result<String, crate::Error> {
        match how.as_str() {
            "mapped" => Err(Missing(7))?,
            "api" => Err(ApiError::conflict("taken"))?,
            _ => Err(std::io::Error::other("disk /dev/sda1 failed"))?,
        }
    }

    /// Fails the same way, on the blocking pool.
    #[get("/sync/fails/{how}", crate = crate)]
    fn fails_sync(how: String) -> Result<String, crate::Error> {
        Err(std::io::Error::other(format!("sync {how} failed")))?
    }

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

    #[tokio::test(flavor = "current_thread")]
    async fn an_unmapped_error_is_a_bare_500_logged_with_its_route() {
        let logs = Logs::default();
        let _guard = tracing::subscriber::set_default(logs.clone());
        let client = App::new()
            .routes(routes![fails, fails_sync])
            .error_handler(StatusCode::NOT_FOUND, |error: &Missing| error.to_string())
            .test_client();

        let response = client.get("/fails/io").send().await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!response.text().contains("sda1"), "{}", response.text());
        let response = client.get("/sync/fails/io").send().await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

        let lines = logs.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains(r#"method="GET""#), "{lines:?}");
        assert!(lines[0].contains(r#"route="/fails/{how}""#), "{lines:?}");
        assert!(
            lines[0].contains("error=disk /dev/sda1 failed"),
            "{lines:?}"
        );
        assert!(
            lines[1].contains(r#"route="/sync/fails/{how}""#),
            "{lines:?}"
        );
        assert!(lines[1].contains("error=sync io failed"), "{lines:?}");

        // A mapped error is the mapping's business: nothing more is logged.
        let response = client.get("/fails/mapped").send().await;
        assert_eq!(
            (response.status(), response.text()),
            (StatusCode::NOT_FOUND, "no item 7".into())
        );
        assert_eq!(logs.lines().len(), 2, "{:?}", logs.lines());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_any_handler_an_error_is_still_logged() {
        let logs = Logs::default();
        let _guard = tracing::subscriber::set_default(logs.clone());
        let client = App::new().routes(routes![fails]).test_client();
        let response = client.get("/fails/io").send().await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(logs.lines().len(), 1, "{:?}", logs.lines());
        let response = client.get("/fails/api").send().await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_middlewares_error_is_logged_too_without_a_route() {
        let logs = Logs::default();
        let _guard = tracing::subscriber::set_default(logs.clone());
        let client = App::new()
            .routes(routes![item])
            .layer(crate::middleware::from_fn(
                |_: crate::Request, _: crate::middleware::Next| async {
                    Err::<String, _>(crate::Error::new(std::io::Error::other("cache down")))
                },
            ))
            .test_client();
        let response = client.get("/items/1").send().await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!response.text().contains("cache"));
        let lines = logs.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("error=cache down"), "{lines:?}");
        assert!(!lines[0].contains("route="), "{lines:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_http_error_type_is_answered_as_it_says() {
        let client = App::new()
            .routes(routes![fails])
            .http_error::<Missing>()
            .test_client();
        let response = client.get("/fails/mapped").send().await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let problem: serde_json::Value = response.json();
        assert_eq!(problem["detail"], "no item 7");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_layers_error_of_a_mapped_type_is_answered_by_the_mapping() {
        let client = App::new()
            .routes(routes![item])
            .error_handler(StatusCode::SERVICE_UNAVAILABLE, |_: &Missing| "try later")
            .layer(tower::layer::layer_fn(|_inner| {
                tower::service_fn(|_request: crate::Request| async {
                    Err::<crate::Response, _>(Missing(1))
                })
            }))
            .test_client();
        let response = client.get("/items/1").send().await;
        assert_eq!(
            (response.status(), response.text()),
            (StatusCode::SERVICE_UNAVAILABLE, "try later".into())
        );
    }

    #[test]
    fn operations_returning_errors_document_every_mapping() {
        let document = App::new()
            .routes(routes![fails, item])
            .error_handler(StatusCode::CONFLICT, |error: &std::io::Error| {
                Json(Rejected {
                    detail: vec![error.to_string()],
                })
            })
            .http_error::<Missing>()
            .openapi()
            .unwrap();
        let fails = &document["paths"]["/fails/{how}"]["get"]["responses"];
        assert_eq!(
            fails["409"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Rejected"
        );
        assert_eq!(fails["404"]["description"], "No such item.");
        // An operation that cannot return `oxapi::Error` lists none of them.
        let item = &document["paths"]["/items/{id}"]["get"]["responses"];
        assert!(
            item.get("409").is_none() && item.get("404").is_none(),
            "{item}"
        );
    }
}
