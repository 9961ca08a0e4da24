//! Rules `#[model]` states in the JSON Schema that schemars does not read by itself.
//!
//! schemars turns `#[validate(range(min = .., max = ..))]` into `minimum`/`maximum`, but
//! ignores validator's `exclusive_min`/`exclusive_max`: the server would then reject a value
//! the document allows. Each one becomes a `#[schemars(extend(..))]` on its field, so the
//! document states exactly the rule that is enforced.

use syn::{Attribute, Data, DeriveInput, Expr};

/// Adds `exclusiveMinimum`/`exclusiveMaximum` to the schema of every field of a struct whose
/// `#[validate(range(..))]` has `exclusive_min`/`exclusive_max`.
///
/// Only structs: `#[model]` derives validation for structs alone, and the document must not
/// state a rule the server does not enforce.
pub(crate) fn add_exclusive_bounds(input: &mut DeriveInput) {
    let Data::Struct(data) = &mut input.data else {
        return;
    };
    for field in data.fields.iter_mut() {
        let bounds: Vec<(&str, Expr)> = field
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("validate"))
            .flat_map(exclusive_bounds)
            .collect();
        for (keyword, value) in bounds {
            field
                .attrs
                .push(syn::parse_quote!(#[schemars(extend(#keyword = #value))]));
        }
    }
}

/// The exclusive bounds of one `#[validate(..)]` attribute, as (JSON Schema keyword, value).
/// An attribute that does not parse is left to validator, which reports it.
fn exclusive_bounds(attr: &Attribute) -> Vec<(&'static str, Expr)> {
    let mut bounds = Vec::new();
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("range") {
            meta.parse_nested_meta(|inner| {
                let keyword = if inner.path.is_ident("exclusive_min") {
                    Some("exclusiveMinimum")
                } else if inner.path.is_ident("exclusive_max") {
                    Some("exclusiveMaximum")
                } else {
                    None
                };
                let value: Expr = inner.value()?.parse()?;
                if let Some(keyword) = keyword {
                    bounds.push((keyword, value));
                }
                Ok(())
            })?;
        } else if meta.input.peek(syn::token::Paren) {
            // Skip the other rules' arguments: `length(..)`, `custom(..)`.
            let _skipped;
            syn::parenthesized!(_skipped in meta.input);
        } else if meta.input.peek(syn::Token![=]) {
            meta.value()?.parse::<Expr>()?;
        }
        Ok(())
    });
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn exclusive_range_bounds_become_schema_keywords() {
        let mut input: DeriveInput = syn::parse_quote! {
            struct Price {
                #[validate(length(min = 1), range(exclusive_min = 0.0, max = 100.0))]
                a: f64,
                #[validate(range(min = 1, exclusive_max = 10))]
                b: u8,
                c: u8,
            }
        };
        add_exclusive_bounds(&mut input);
        let Data::Struct(data) = &input.data else {
            unreachable!()
        };
        let attrs: Vec<Vec<String>> = data
            .fields
            .iter()
            .map(|f| {
                f.attrs
                    .iter()
                    .filter(|a| a.path().is_ident("schemars"))
                    .map(|a| a.to_token_stream().to_string())
                    .collect()
            })
            .collect();
        assert_eq!(
            attrs,
            [
                vec![r#"# [schemars (extend ("exclusiveMinimum" = 0.0))]"#.to_owned()],
                vec![r#"# [schemars (extend ("exclusiveMaximum" = 10))]"#.to_owned()],
                vec![],
            ]
        );
    }

    #[test]
    fn enums_get_no_bound_they_would_not_enforce() {
        let mut input: DeriveInput = syn::parse_quote! {
            enum Shape {
                Round {
                    #[validate(range(exclusive_min = 0.0))]
                    radius: f64,
                },
            }
        };
        let before = input.to_token_stream().to_string();
        add_exclusive_bounds(&mut input);
        assert_eq!(input.to_token_stream().to_string(), before);
    }
}
