//! OpenAPI 3.1 documents and docs pages for oxapi.
//!
//! The route attributes describe every operation at compile time; at startup the runtime
//! hands those descriptions to [`DocumentBuilder`], which assembles one document with
//! utoipa's `openapi` model, keeping type schemas as schemars wrote them (JSON Schema
//! 2020-12 under `#/components/schemas`). The docs pages (Swagger UI, Scalar) are served from
//! assets shipped inside crates, so they work with no network.
#![deny(missing_docs)]

mod document;
mod pages;

pub use document::*;
pub use pages::*;

/// The OpenAPI version of the documents this crate builds.
pub const OPENAPI_VERSION: &str = "3.1.0";
