//! Common field types, usable in `#[model]` with `oxapi` as the only dependency, each with
//! its JSON Schema format in the document.
//!
//! | type | JSON | schema |
//! |---|---|---|
//! | [`Timestamp`] | `"2026-12-01T17:00:00Z"` (RFC 3339) | `string`, `format: date-time` |
//! | [`Date`] | `"2026-12-01"` | `string`, `format: date` |
//! | [`Time`] | `"17:00:00"` | `string`, `format: partial-time` |
//! | [`DateTime`] | `"2026-12-01T17:00:00"` (no offset) | `string`, `format: partial-date-time` |
//! | [`Zoned`] | `"2026-12-01T18:00:00+01:00[Europe/Paris]"` (RFC 9557) | `string`, `format: zoned-date-time` |
//! | [`SignedDuration`], [`Span`] | `"PT1H30M"` (ISO 8601) | `string`, `format: duration` |
//! | [`Uuid`] | `"67e55044-10b1-426f-9247-bb680e5fe0c8"` | `string`, `format: uuid` |
//! | [`Url`] | `"https://example.com/a"` | `string`, `format: uri` |
//! | [`Decimal`] | `"12.50"` (sent as a string, so no digit is lost; read from a string or a number) | `string` or `number`, with a `pattern` |
//!
//! Dates and times are [jiff]'s: every type, durations included, reads and writes ISO 8601
//! / RFC 3339 strings through serde, which is what the JSON Schema formats name; chrono has
//! no serde form for its durations, and `std::time::Duration` serializes as an object of
//! seconds and nanoseconds. For the types' own APIs, use the crates re-exported here
//! ([`jiff`], [`uuid`], [`url`], [`rust_decimal`]).
//!
//! ```
//! use oxapi::prelude::*;
//! use oxapi::types::{Decimal, Timestamp, Uuid};
//!
//! #[model]
//! struct Payment {
//!     id: Uuid,
//!     at: Timestamp,
//!     amount: Decimal,
//! }
//!
//! #[post("/payments")]
//! async fn pay(payment: Json<Payment>) -> String {
//!     format!("{} at {}", payment.amount, payment.at)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = App::new().routes(routes![pay]).test_client();
//! let body = oxapi::json!({
//!     "id": "67e55044-10b1-426f-9247-bb680e5fe0c8",
//!     "at": "2026-12-01T17:00:00Z",
//!     "amount": "12.50",
//! });
//! let response = client.post("/payments").json(&body).send().await;
//! assert_eq!(response.text(), "12.50 at 2026-12-01T17:00:00Z");
//! # }
//! ```

pub use jiff::civil::{Date, DateTime, Time};
pub use jiff::{SignedDuration, Span, Timestamp, Zoned};
pub use rust_decimal::Decimal;
pub use url::Url;
pub use uuid::Uuid;

pub use {jiff, rust_decimal, url, uuid};

use crate::validate::Validate;

// A request value of these types is valid once it parses; rules on them go on the field.
impl Validate for Timestamp {}
impl Validate for Date {}
impl Validate for Time {}
impl Validate for DateTime {}
impl Validate for Zoned {}
impl Validate for SignedDuration {}
impl Validate for Span {}
impl Validate for Decimal {}
impl Validate for Url {}
impl Validate for Uuid {}
