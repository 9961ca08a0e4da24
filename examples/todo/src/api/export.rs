//! `GET /v1/export.csv`: every item of the user's lists as CSV, built by a plain `fn`.
//!
//! The two halves of the work run where each belongs: the database read is async I/O, done
//! by the [`Everything`] extractor on the event loop before the handler; building the CSV is
//! CPU work that grows with the data, done by the handler, a plain `fn`, on the blocking
//! pool, where a large export cannot hold the event loop.

use oxapi::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use oxapi::http::request::Parts;
use oxapi::prelude::*;
use oxapi::{FromRequestParts, IntoResponse, OperationDoc, RequestContext, Response, Router};

use crate::Store;
use crate::auth::Reader;
use crate::repo::ExportedItem;

/// The export's route.
pub fn router() -> Router {
    Router::new().tag("lists").routes(routes![export_csv])
}

/// Every item of the user's lists, read before the handler runs.
#[derive(Debug)]
pub struct Everything(pub Vec<ExportedItem>);

impl FromRequestParts for Everything {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, ApiError> {
        let user = Reader::from_request_parts(parts, ctx).await?;
        let store = State::<Store>::from_request_parts(parts, ctx)
            .await
            .map_err(ApiError::internal)?;
        Ok(Self(store.export_items(user.owner()).await?))
    }

    fn describe(op: &mut OperationDoc<'_>) {
        Reader::describe(op);
        State::<Store>::describe(op);
    }
}

/// A CSV file to download, as `todo.csv`: `text/csv` on the wire and in the document.
#[derive(Debug)]
pub struct CsvFile(String);

impl IntoResponse for CsvFile {
    fn describe(op: &mut OperationDoc<'_>) {
        op.success_schema("text/csv", serde_json::json!({ "type": "string" }));
    }

    fn into_response(self) -> Response {
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (CONTENT_DISPOSITION, "attachment; filename=\"todo.csv\""),
            ],
            self.0,
        )
            .into_response()
    }
}

/// Download every item of your lists as CSV (RFC 4180): list, item, done, created, updated.
#[get("/export.csv")]
pub fn export_csv(everything: Everything) -> Result<CsvFile, ApiError> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write = |csv: &mut csv::Writer<Vec<u8>>| -> Result<(), csv::Error> {
        csv.write_record(["list", "item", "done", "created_at", "updated_at"])?;
        for ExportedItem { list_title, item } in &everything.0 {
            csv.write_record([
                list_title.as_str(),
                item.title.as_str(),
                if item.done { "true" } else { "false" },
                &item.created_at.to_string(),
                &item.updated_at.to_string(),
            ])?;
        }
        Ok(())
    };
    write(&mut csv).map_err(ApiError::internal)?;
    let bytes = csv
        .into_inner()
        .map_err(|error| ApiError::internal(error.to_string()))?;
    // Every field came from a `String`: the CSV is UTF-8.
    let text = String::from_utf8(bytes).map_err(ApiError::internal)?;
    Ok(CsvFile(text))
}
