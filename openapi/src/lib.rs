//! OpenAPI 3.1 documents and docs pages for oxapi.
//!
//! The route attributes describe every operation at compile time; at startup the runtime
//! hands those descriptions to [`DocumentBuilder`], which assembles one document with
//! utoipa's `openapi` model, keeping type schemas as schemars wrote them (JSON Schema
//! 2020-12 under `#/components/schemas`). The docs pages (Swagger UI, Scalar) are served from
//! assets shipped inside crates, so they work with no network.
//!
//! # Framework errors
//!
//! The errors oxapi itself sends are declared once, in [`FrameworkError`]'s catalogue: the
//! runtime renders them from it and the document describes them from it. Each has a
//! component under `#/components/responses` whose schema states its problem `type` as a
//! `const`. An operation references the ones it can produce; 404, 405 and 431 answer requests
//! that match no operation, so they are components only, not repeated on every operation.
//!
//! When an operation documents a status the framework also uses (`responses(500 = "..")`, or
//! an error type's `describe`), the document shows one response with the operation's
//! description, and a problem schema that is `anyOf` the operation's and the framework's:
//! both can be sent, and the operation's author knows best how to describe it.
//!
//! An app that renders a framework error itself (a FastAPI-shaped 422, a plain-text 404)
//! declares what it sends with [`DocumentBuilder::framework_error_response`]; the component
//! and every merged response then show that content instead of problem details.
#![deny(missing_docs)]

mod catalogue;
mod document;
mod framework;
mod info;
mod operation_id;
mod pages;
mod responses;
mod rules;
mod webhook;

pub use catalogue::*;
pub use document::*;
pub use info::*;
pub use operation_id::*;
pub use pages::*;
pub use rules::{Number, ParamRules};
pub use webhook::Webhook;

/// The OpenAPI version of the documents this crate builds.
pub const OPENAPI_VERSION: &str = "3.1.0";
