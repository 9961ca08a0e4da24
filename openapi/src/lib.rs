//! OpenAPI 3.1 document assembly for oxapi.
//!
//! The route attributes describe every operation at compile time; this crate turns those
//! descriptions into one document at startup. It is filled in by the OpenAPI work; for now it
//! only names the document's version.
#![deny(missing_docs)]

/// The OpenAPI version of the documents this crate builds.
pub const OPENAPI_VERSION: &str = "3.1.0";
