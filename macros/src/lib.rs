//! Procedural macros behind oxapi's route attributes and `#[model]`.
//!
//! Depend on `oxapi` rather than on this crate: it re-exports these macros with their
//! documentation, and the code they generate names only `::oxapi::__private`.
//! Every entry point here is a shim that converts token streams and calls one function
//! working on `proc_macro2` types, so the expansion can be unit-tested.

use proc_macro::TokenStream;

mod errors;
mod model;
mod model_schema;
mod multipart_form;
mod route;
mod runtime;

macro_rules! method_attributes {
    ($($name:ident => $method:literal),* $(,)?) => {
        $(
            #[doc = concat!("Declares a `", $method, "` route. Documented on the `oxapi` re-export.")]
            #[proc_macro_attribute]
            pub fn $name(attr: TokenStream, item: TokenStream) -> TokenStream {
                route::expand(Some($method), attr.into(), item.into()).into()
            }
        )*
    };
}

method_attributes! {
    get => "GET",
    post => "POST",
    put => "PUT",
    patch => "PATCH",
    delete => "DELETE",
    head => "HEAD",
    options => "OPTIONS",
}

/// Declares a route with any method: `#[route(method = "PURGE", path = "/cache")]`.
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(None, attr.into(), item.into()).into()
}

/// Declares a WebSocket route: `#[websocket("/ws/{room}")]`. Documented on the `oxapi`
/// re-export.
#[proc_macro_attribute]
pub fn websocket(attr: TokenStream, item: TokenStream) -> TokenStream {
    route::expand_with(
        route::Kind::WebSocket,
        Some("GET"),
        attr.into(),
        item.into(),
    )
    .into()
}

/// `#[oxapi::test]`: tokio's test attribute, through `oxapi`. Documented on the re-export.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    runtime::expand("test", attr.into(), item.into()).into()
}

/// `#[oxapi::main]`: tokio's main attribute, through `oxapi`. Documented on the re-export.
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    runtime::expand("main", attr.into(), item.into()).into()
}

/// Derives serialization, JSON Schema and validation for a request or response type.
#[proc_macro_attribute]
pub fn model(attr: TokenStream, item: TokenStream) -> TokenStream {
    model::expand(attr.into(), item.into()).into()
}

/// Reads a `multipart/form-data` body into a struct (see `oxapi::MultipartForm`).
#[proc_macro_derive(FromMultipart)]
pub fn from_multipart(item: TokenStream) -> TokenStream {
    multipart_form::expand(item.into()).into()
}
