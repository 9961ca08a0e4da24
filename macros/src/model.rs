//! `#[model]`: serialization, JSON Schema and validation for a type, through `oxapi` alone.
//!
//! The derives are named through `::oxapi::__private` and told where their crates live
//! (`#[serde(crate = ..)]` and friends), so a service's `Cargo.toml` needs only `oxapi`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;
use syn::{Data, DeriveInput, Path, Token};

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let krate = match parse_crate_option(attr) {
        Ok(krate) => krate,
        Err(error) => {
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut input: DeriveInput = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(_) => {
            // Underline the item's head (`fn name`), not the whole item.
            let (head, what) = match syn::parse2::<syn::Item>(item.clone()) {
                Ok(syn::Item::Fn(f)) => {
                    let (fn_token, ident) = (&f.sig.fn_token, &f.sig.ident);
                    (quote!(#fn_token #ident), ", not a function")
                }
                Ok(syn::Item::Union(u)) => {
                    let (union_token, ident) = (&u.union_token, &u.ident);
                    (quote!(#union_token #ident), ", not a union")
                }
                Ok(syn::Item::Impl(i)) => {
                    let (impl_token, ty) = (&i.impl_token, &i.self_ty);
                    (quote!(#impl_token #ty), ", not an impl block")
                }
                _ => (item.clone(), ""),
            };
            let error = syn::Error::new_spanned(
                head,
                format!("`#[model]` applies to a struct or an enum{what}"),
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };
    crate::model_schema::add_exclusive_bounds(&mut input);
    let ox = quote!(#krate::__private);
    let crate_string =
        |name: &str| format!("{}::__private::{name}", quote!(#krate)).replace(' ', "");
    let serde_path = crate_string("serde");
    let schemars_path = crate_string("schemars");
    let validator_path = crate_string("validator");

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // validator derives for structs only; enums are checked by serde alone.
    let (validate_derive, validate_attr, validate_body) = match &input.data {
        Data::Struct(_) => (
            quote!(, #ox::validator::Validate),
            // validator's `nested` rule calls `.validate()` as a method, so its trait must be in
            // scope where the struct is; an anonymous import adds no name.
            quote! {
                #[validate(crate = #validator_path)]
            },
            quote!(#ox::validation_result(#ox::validator::Validate::validate(self))),
        ),
        _ => (quote!(), quote!(), quote!(::core::result::Result::Ok(()))),
    };

    // Models are data: give them `Debug` and `Clone` unless the user derives those already.
    let derived = user_derives(&input);
    let mut extra = Vec::new();
    if !derived.iter().any(|name| name == "Debug") {
        extra.push(quote!(::core::fmt::Debug));
    }
    if !derived.iter().any(|name| name == "Clone") {
        extra.push(quote!(::core::clone::Clone));
    }

    let trait_import = match &input.data {
        Data::Struct(_) => quote! {
            #[allow(unused_imports)]
            use #ox::validator::Validate as _;
        },
        _ => quote!(),
    };

    quote! {
        #trait_import

        #[derive(#(#extra,)* #ox::serde::Serialize, #ox::serde::Deserialize, #ox::schemars::JsonSchema #validate_derive)]
        #[serde(crate = #serde_path)]
        #[schemars(crate = #schemars_path)]
        #validate_attr
        #input

        impl #impl_generics #ox::Validate for #ident #ty_generics #where_clause {
            fn validate(&self) -> ::core::result::Result<(), #ox::ValidationErrors> {
                #validate_body
            }
        }
    }
}

/// The last path segment of every derive the user wrote, like `Debug` or `PartialEq`.
fn user_derives(input: &DeriveInput) -> Vec<String> {
    let mut names = Vec::new();
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("derive"))
    {
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(last) = meta.path.segments.last() {
                names.push(last.ident.to_string());
            }
            Ok(())
        });
    }
    names
}

/// `#[model]` takes one optional option: `crate = path` for a renamed `oxapi`.
fn parse_crate_option(attr: TokenStream) -> syn::Result<Path> {
    if attr.is_empty() {
        return Ok(syn::parse_quote!(::oxapi));
    }
    let parser = |input: syn::parse::ParseStream<'_>| {
        input.parse::<Token![crate]>()?;
        input.parse::<Token![=]>()?;
        let path: Path = input.parse()?;
        Ok(path)
    };
    parser.parse2(attr.clone()).map_err(|_| {
        let first = attr.clone().into_iter().next();
        let serde_hint = match &first {
            Some(proc_macro2::TokenTree::Ident(ident))
                if [
                    "rename_all",
                    "deny_unknown_fields",
                    "tag",
                    "untagged",
                    "default",
                ]
                .contains(&ident.to_string().as_str()) =>
            {
                format!("; for serde's `{ident}`, write `#[serde({ident} ..)]` under `#[model]`")
            }
            _ => String::new(),
        };
        syn::Error::new_spanned(
            attr,
            format!("`#[model]` takes no options except `crate = path`{serde_hint}"),
        )
    })
}
