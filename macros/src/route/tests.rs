//! Expansion snapshots: each case feeds a route attribute to [`super::expand`] and compares
//! the pretty-printed output with `macros/tests/expand/<case>.rs`.
//!
//! The snapshots pin the generated code as a reviewer reads it. After a deliberate change,
//! regenerate them and review the diff like code:
//!
//! ```sh
//! OXAPI_SNAPSHOTS=overwrite cargo test -p oxapi-macros
//! ```

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;

/// Expands `attr` on `item` and compares the result with the case's snapshot.
#[track_caller]
fn assert_expansion(case: &str, method: Option<&str>, attr: TokenStream, item: TokenStream) {
    assert_snapshot(case, super::expand(method, attr, item));
}

/// Compares `tokens`, pretty-printed, with the snapshot `macros/tests/expand/<case>.rs`.
#[track_caller]
pub(crate) fn assert_snapshot(case: &str, tokens: TokenStream) {
    let file: syn::File = match syn::parse2(tokens.clone()) {
        Ok(file) => file,
        Err(error) => panic!("{case}: the expansion does not parse as Rust ({error}):\n{tokens}"),
    };
    let actual = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expand")
        .join(format!("{case}.rs"));
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if std::env::var_os("OXAPI_SNAPSHOTS").is_some_and(|mode| mode == "overwrite") {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let diff = similar::TextDiff::from_lines(&expected, &actual)
        .unified_diff()
        .context_radius(3)
        .header("snapshot", "expansion")
        .to_string();
    panic!(
        "the expansion of `{case}` differs from {}:\n{diff}\nif the change is meant, \
         regenerate with `OXAPI_SNAPSHOTS=overwrite cargo test -p oxapi-macros` and review \
         the diff",
        path.display()
    );
}

#[test]
fn async_fn_with_path_query_header_and_body() {
    assert_expansion(
        "async_fn_with_path_query_header_and_body",
        Some("PUT"),
        quote!("/items/{id}"),
        quote!(
            /// Replace one item.
            ///
            /// The whole item is replaced.
            pub async fn replace_item(
                id: u64,
                #[query] dry_run: Option<bool>,
                #[header("x-request-id")] request_id: Option<String>,
                page: Query<Page>,
                item: Json<Item>,
            ) -> Json<Item> {
                item
            }
        ),
    );
}

#[test]
fn plain_fn_runs_on_the_blocking_pool() {
    assert_expansion(
        "plain_fn_runs_on_the_blocking_pool",
        Some("POST"),
        quote!("/hash"),
        quote!(
            fn hash(#[cookie] session: String, body: Bytes) -> String {
                digest(&session, &body)
            }
        ),
    );
}

#[test]
fn parameter_rules_defaults_and_docs() {
    assert_expansion(
        "parameter_rules_defaults_and_docs",
        Some("GET"),
        quote!("/items/{item_id}"),
        quote!(
            async fn read_item(
                #[path(range(min = 1, max = 1000))] item_id: u32,
                #[query(
                    default = 10,
                    range(min = 1, exclusive_max = 100.5),
                    description = "Page size."
                )]
                limit: u32,
                #[query(
                    length(max = 50),
                    pattern = "^[a-z]+$",
                    alias = "item-query",
                    deprecated
                )]
                q: Option<String>,
            ) -> String {
                format!("{item_id} {limit} {q:?}")
            }
        ),
    );
}

#[test]
fn options_status_tags_hidden_body_limit() {
    assert_expansion(
        "options_status_tags_hidden_body_limit",
        Some("POST"),
        quote!(
            "/uploads",
            status = 201,
            tags = ["files", "uploads"],
            hidden,
            body_limit = 1_048_576,
            timeout = "2m",
            operation_id = "createUpload",
            responses(409 = "Already exists")
        ),
        quote!(
            #[deprecated]
            async fn upload(#[body] data: Bytes) -> StatusCode {
                StatusCode::CREATED
            }
        ),
    );
}

#[test]
fn no_params_and_no_return_type() {
    assert_expansion(
        "no_params_and_no_return_type",
        Some("DELETE"),
        quote!("/cache"),
        quote!(
            async fn clear_cache() {}
        ),
    );
}

#[test]
fn result_return_type() {
    assert_expansion(
        "result_return_type",
        Some("GET"),
        quote!("/items/{id}"),
        quote!(
            async fn read_item(id: u64, db: State<Db>) -> Result<Json<Item>, ApiError> {
                db.find(id)
            }
        ),
    );
}

#[test]
fn document_options_responses_with_models_description_and_extra() {
    assert_expansion(
        "document_options_responses_with_models_description_and_extra",
        Some("POST"),
        quote!(
            "/items",
            status = 201,
            operation_id = "createItem",
            response_description = "The stored item.",
            responses(
                404 = Message,
                409 = ("Already there.", Conflict),
                410 = "Gone."
            ),
            openapi_extra = r#"{"x-internal": true}"#
        ),
        quote!(
            async fn create_item(item: Json<Item>) -> Json<Item> {
                item
            }
        ),
    );
}

#[test]
fn impl_trait_return_type() {
    assert_expansion(
        "impl_trait_return_type",
        Some("GET"),
        quote!("/opaque"),
        quote!(
            fn opaque() -> impl IntoResponse {
                "opaque"
            }
        ),
    );
}

#[test]
fn renamed_crate() {
    assert_expansion(
        "renamed_crate",
        Some("GET"),
        quote!("/health", crate = ::my_oxapi),
        quote!(
            async fn health() -> &'static str {
                "ok"
            }
        ),
    );
}

#[test]
fn route_attribute_with_any_method() {
    assert_expansion(
        "route_attribute_with_any_method",
        None,
        quote!(method = "PURGE", path = "/cache/{*key}"),
        quote!(
            async fn purge(key: String) -> StatusCode {
                StatusCode::NO_CONTENT
            }
        ),
    );
}

#[test]
fn route_attribute_without_method_keeps_the_function() {
    assert_expansion(
        "route_attribute_without_method_keeps_the_function",
        None,
        quote!(path = "/x"),
        quote!(
            fn f() {}
        ),
    );
}

#[test]
fn every_error_is_reported_at_once() {
    assert_expansion(
        "every_error_is_reported_at_once",
        Some("GET"),
        quote!("/items/{id}", stauts = 201),
        quote!(
            fn f<T>(#[body] a: Json<A>, #[body] b: Json<B>) {}
        ),
    );
}

#[test]
fn every_malformed_option_is_reported() {
    assert_expansion(
        "every_malformed_option_is_reported",
        Some("GET"),
        quote!("/x", status = "abc", tags = 5, unknown = 1),
        quote!(
            async fn x() {}
        ),
    );
}

#[test]
fn an_unparsable_option_does_not_hide_the_others() {
    assert_expansion(
        "an_unparsable_option_does_not_hide_the_others",
        Some("GET"),
        quote!("/x", tags = [1], hidden = true, status = 2 0 1, responses(404 = 5), stauts = 1),
        quote!(
            async fn x() {}
        ),
    );
}

#[test]
fn a_missing_comma_is_reported_where_it_is_missing() {
    assert_expansion(
        "a_missing_comma_is_reported_where_it_is_missing",
        Some("GET"),
        quote!("/x" tags = ["a"], hidden status = 201, status = 202,, body_limit = 1),
        quote!(
            async fn x() {}
        ),
    );
}

#[test]
fn a_method_attribute_needs_a_path_first() {
    assert_expansion(
        "a_method_attribute_needs_a_path_first",
        Some("GET"),
        quote!(status = 201, tags = 5),
        quote!(
            async fn x() {}
        ),
    );
}

#[test]
fn websocket_with_path_extractor_and_typed_socket() {
    let tokens = super::expand_with(
        super::Kind::WebSocket,
        Some("GET"),
        quote!("/ws/{room}"),
        quote!(
            /// Chat in a room.
            async fn chat(
                room: String,
                user: User,
                socket: WebSocket<ClientMsg, ServerMsg>,
            ) -> Result<(), ApiError> {
                serve(room, user, socket).await
            }
        ),
    );
    assert_snapshot("websocket_with_path_extractor_and_typed_socket", tokens);
}

#[test]
fn a_blocking_call_is_reported_beside_the_generated_route() {
    let body = quote!(
        async fn report() -> String {
            std::thread::sleep(delay);
            std::fs::read_to_string(path).unwrap()
        }
    );
    let checked = super::expand(Some("GET"), quote!("/report"), body.clone()).to_string();
    let allowed = super::expand(Some("GET"), quote!("/report", allow_blocking), body).to_string();
    // `allow_blocking` changes nothing but the check: the same route, without errors.
    assert!(!allowed.contains("compile_error"));
    let errors = checked.strip_prefix(&allowed).unwrap();
    assert_eq!(errors.matches("compile_error").count(), 2, "{errors}");
}

#[test]
fn a_plain_fn_body_is_not_read_for_blocking_calls() {
    let expansion = super::expand(
        Some("GET"),
        quote!("/report"),
        quote!(
            fn report() -> String {
                std::fs::read_to_string(path).unwrap()
            }
        ),
    );
    assert!(!expansion.to_string().contains("compile_error"));
}
