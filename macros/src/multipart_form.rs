//! `#[derive(FromMultipart)]`: reads a `multipart/form-data` body into a struct whose fields
//! are each a `FormPart` (an `UploadFile`, a scalar, an `Option` of one, `Vec<UploadFile>`).
//!
//! The generated impl collects each field's parts into its `FormPart::Slot` as they arrive,
//! skips parts of other names, then finishes every field, gathering all missing or invalid
//! ones into one 422. The schema lists one property per field, `required` unless the field's
//! type says otherwise, with the field's doc comment as its description.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::errors::Errors;

/// Expands the derive on `input`: the impl, or the errors at their spans.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let item: syn::DeriveInput = match syn::parse2(input) {
        Ok(item) => item,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let fields = match &item.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => named.named.iter().collect::<Vec<_>>(),
        _ => {
            errors.at(
                &item.ident,
                "`FromMultipart` needs a struct with named fields, one per form field",
            );
            Vec::new()
        }
    };
    if fields.is_empty() && errors.is_empty() {
        errors.at(&item.ident, "`FromMultipart` needs at least one field");
    }
    if !item.generics.params.is_empty() {
        errors.at(
            &item.generics,
            "`FromMultipart` does not take generic parameters",
        );
    }
    if !errors.is_empty() {
        return errors.to_compile_errors();
    }
    generate(&item.ident, &fields)
}

fn generate(ident: &syn::Ident, fields: &[&syn::Field]) -> TokenStream {
    let p = quote!(::oxapi::__private);
    let idents: Vec<&syn::Ident> = fields
        .iter()
        .filter_map(|field| field.ident.as_ref())
        .collect();
    let names: Vec<String> = idents
        .iter()
        .map(|ident| ident.to_string().trim_start_matches("r#").to_owned())
        .collect();
    let types: Vec<&syn::Type> = fields.iter().map(|field| &field.ty).collect();
    let slots: Vec<syn::Ident> = idents
        .iter()
        .map(|ident| format_ident!("__slot_{}", ident))
        .collect();
    let locations: Vec<String> = names.iter().map(|name| format!("body.{name}")).collect();
    let indexes = 0..idents.len();
    let docs: Vec<String> = fields.iter().map(|field| doc_of(&field.attrs)).collect();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #p::FromMultipart for #ident {
                fn from_multipart(
                    mut multipart: #p::Multipart,
                ) -> impl ::core::future::Future<
                    Output = ::core::result::Result<Self, #p::MultipartRejection>,
                > + ::core::marker::Send {
                    async move {
                        #( let mut #slots: <#types as #p::FormPart>::Slot = ::core::default::Default::default(); )*
                        while let ::core::option::Option::Some(field) = multipart.next_field().await? {
                            match #p::field_index(field.name(), &[#(#names),*]) {
                                #( ::core::option::Option::Some(#indexes) => {
                                    <#types as #p::FormPart>::accept(&mut #slots, field).await?
                                } )*
                                _ => {}
                            }
                        }
                        let mut errors: ::std::vec::Vec<#p::FieldError> = ::std::vec::Vec::new();
                        #(
                            let #idents = match <#types as #p::FormPart>::finish(#slots, #locations) {
                                ::core::result::Result::Ok(value) => ::core::option::Option::Some(value),
                                ::core::result::Result::Err(error) => {
                                    errors.push(error);
                                    ::core::option::Option::None
                                }
                            };
                        )*
                        match (#(#idents,)*) {
                            (#(::core::option::Option::Some(#idents),)*) => {
                                ::core::result::Result::Ok(Self { #(#idents),* })
                            }
                            _ => ::core::result::Result::Err(#p::MultipartRejection::Invalid(errors)),
                        }
                    }
                }

                fn schema() -> #p::serde_json::Value {
                    #p::form_schema(&[#(
                        (
                            #names,
                            <#types as #p::FormPart>::schema(),
                            <#types as #p::FormPart>::REQUIRED,
                            #docs,
                        )
                    ),*])
                }
            }
        };
    }
}

/// A field's doc comment, its lines joined.
fn doc_of(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value().trim().to_owned()),
            _ => None,
        })
        .collect();
    lines.join(" ").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated impl, pinned in `macros/tests/expand/derive_from_multipart.rs`.
    #[test]
    fn derive_from_multipart() {
        crate::route::tests::assert_snapshot(
            "derive_from_multipart",
            expand(quote! {
                struct Upload {
                    /// The file.
                    file: UploadFile,
                    note: Option<String>,
                }
            }),
        );
    }

    #[test]
    fn an_enum_is_an_error_at_its_name() {
        let output = expand(quote! { enum Upload { A } }).to_string();
        assert!(output.contains("compile_error"), "{output}");
        assert!(output.contains("named fields"), "{output}");
    }
}
