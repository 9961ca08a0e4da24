//! `#[oxapi::test]` and `#[oxapi::main]`: tokio's attributes, pointed at the tokio that
//! `oxapi` re-exports, so a service's tests need no dependency but `oxapi`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `#[oxapi::tokio::{which}(crate = "oxapi::tokio", ..)]` on `item`, with the user's options.
pub(crate) fn expand(which: &str, attr: TokenStream, item: TokenStream) -> TokenStream {
    let which = format_ident!("{}", which);
    let options = if attr.is_empty() {
        quote!(crate = "::oxapi::tokio")
    } else {
        quote!(crate = "::oxapi::tokio", #attr)
    };
    quote! {
        #[::oxapi::tokio::#which(#options)]
        #item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_options_follow_the_crate_path() {
        let expanded = expand(
            "test",
            quote!(flavor = "multi_thread"),
            quote!(
                async fn it_works() {}
            ),
        );
        assert_eq!(
            expanded.to_string(),
            quote! {
                #[::oxapi::tokio::test(crate = "::oxapi::tokio", flavor = "multi_thread")]
                async fn it_works() {}
            }
            .to_string()
        );
    }
}
