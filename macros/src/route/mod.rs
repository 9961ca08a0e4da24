//! The route attributes: `#[get("/path")]`, ..., `#[route(method = .., path = ..)]`.
//!
//! Three phases: [`args`], [`signature`] and [`template`] parse, [`check`] checks what they
//! read into a [`check::Route`] ([`blocking`] reads an `async fn`'s body for calls that
//! block the event loop), [`expand`] generates code from a valid route only.

mod args;
mod blocking;
mod check;
mod expand;
mod param_options;
mod signature;
mod template;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

/// What a route attribute declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An HTTP operation: `#[get]`, ..., `#[route]`.
    Http,
    /// A WebSocket: `#[websocket]`, a `GET` whose handler runs after the upgrade with one
    /// socket parameter.
    WebSocket,
}

/// Expands one HTTP route attribute. `method` is `None` for `#[route(...)]`.
pub(crate) fn expand(method: Option<&str>, attr: TokenStream, item: TokenStream) -> TokenStream {
    expand_with(Kind::Http, method, attr, item)
}

/// Expands one route attribute of `kind`.
///
/// The user's function is always emitted (without oxapi's parameter attributes), also when
/// there are errors, so that a mistake in the attribute does not cascade into "cannot find
/// function" errors everywhere the function is used.
pub(crate) fn expand_with(
    kind: Kind,
    method: Option<&str>,
    attr: TokenStream,
    item: TokenStream,
) -> TokenStream {
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
    // Blocking calls say nothing against the route itself: it is still generated, so that
    // they are all the user reads, without errors where the route is used.
    let mut blocking = Errors::default();
    if handler.sig.asyncness.is_some() && args.allow_blocking.is_none() {
        blocking::check(kind, &handler.body, &mut blocking);
    }
    let blocking = blocking.to_compile_errors();
    let route = check::Route::check(kind, method, args, &handler, param_attrs, &mut errors);
    match route {
        Some(route) if errors.is_empty() => {
            let code = expand::generate(&route, &handler);
            quote! { #code #blocking }
        }
        _ => {
            let errors = errors.to_compile_errors();
            quote! { #handler #errors #blocking }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
