//! The route attributes: `#[get("/path")]`, ..., `#[route(method = .., path = ..)]`.
//!
//! Three phases: [`args`], [`signature`] and [`template`] parse, [`check`] checks what they
//! read into a [`check::Route`], [`expand`] generates code from a valid route only.

mod args;
mod check;
mod expand;
mod signature;
mod template;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

/// Expands one route attribute. `method` is `None` for `#[route(...)]`.
///
/// The user's function is always emitted (without oxapi's parameter attributes), also when
/// there are errors, so that a mistake in the attribute does not cascade into "cannot find
/// function" errors everywhere the function is used.
pub(crate) fn expand(method: Option<&str>, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = args::RouteArgs::parse(method, attr, &mut errors);
    let mut handler: signature::HandlerFn = match syn::parse2(item.clone()) {
        Ok(handler) => handler,
        Err(error) => {
            let error = syn::Error::new(
                error.span(),
                "route attributes apply to functions: `async fn name(..) -> T { .. }` or `fn name(..) -> T { .. }`",
            )
            .to_compile_error();
            return quote! { #error #item };
        }
    };
    let param_attrs = signature::take_param_attrs(&mut handler, &mut errors);
    let route = check::Route::check(method, args, &handler, param_attrs, &mut errors);
    match route {
        Some(route) if errors.is_empty() => expand::generate(&route, &handler),
        _ => {
            let errors = errors.to_compile_errors();
            quote! { #handler #errors }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(method: Option<&str>, attr: TokenStream, item: TokenStream) -> String {
        expand(method, attr, item).to_string()
    }

    #[test]
    fn keeps_the_function_and_adds_a_route_type() {
        let out = expand_str(
            Some("GET"),
            quote!("/items/{id}"),
            quote!(
                async fn read_item(id: u64) -> String {
                    id.to_string()
                }
            ),
        );
        assert!(
            out.contains("async fn read_item (id : u64) -> String"),
            "{out}"
        );
        assert!(out.contains("struct read_item { }"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn reports_every_error_at_once() {
        let out = expand_str(
            Some("GET"),
            quote!("/items/{id}", stauts = 201),
            quote!(
                fn f<T>(a: Json<A>, b: Json<B>) {}
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
        assert!(out.contains("did you mean `status`"), "{out}");
        assert!(out.contains("cannot be generic"), "{out}");
        assert!(
            out.contains("two parameters read the request body"),
            "{out}"
        );
        assert!(
            out.contains("placeholder `{id}` has no matching parameter"),
            "{out}"
        );
        assert!(
            out.contains("fn f < T >"),
            "the function is still emitted: {out}"
        );
    }

    #[test]
    fn strips_parameter_attributes_from_the_emitted_function() {
        let out = expand_str(
            Some("GET"),
            quote!("/search"),
            quote!(
                async fn search(#[query] q: String, #[header("x-id")] id: Option<String>) {}
            ),
        );
        assert!(!out.contains("# [query]"), "{out}");
        assert!(!out.contains("# [header"), "{out}");
    }

    #[test]
    fn route_attribute_needs_method_and_path() {
        let out = expand_str(
            None,
            quote!(path = "/x"),
            quote!(
                fn f() {}
            ),
        );
        assert!(out.contains("needs a method and a path"), "{out}");
        let out = expand_str(
            None,
            quote!(method = "PURGE", path = "/x"),
            quote!(
                fn f() {}
            ),
        );
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("\"PURGE\""), "{out}");
    }
}
