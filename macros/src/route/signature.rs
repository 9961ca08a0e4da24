//! Parses the annotated function: attributes, visibility and signature, with the body kept
//! as raw tokens so that rustc, not this macro, reports errors inside it; and oxapi's
//! parameter attributes (`#[query]`, `#[header]`, `#[cookie]`, `#[body]`).

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, FnArg, Ident, Signature, Visibility};

use super::param_options::{self, ParamOptions};
use crate::errors::Errors;

/// A handler function as written by the user.
pub(crate) struct HandlerFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: TokenStream,
}

impl Parse for HandlerFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        let body: TokenStream = input.parse()?;
        Ok(Self {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl HandlerFn {
    /// The doc comment's text, one entry per `///` line.
    pub(crate) fn doc_lines(&self) -> Vec<String> {
        self.attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
            .filter_map(doc_line)
            .collect()
    }

    pub(crate) fn is_deprecated(&self) -> bool {
        self.attrs
            .iter()
            .any(|attr| attr.path().is_ident("deprecated"))
    }
}

impl ToTokens for HandlerFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        self.body.to_tokens(tokens);
    }
}

/// A parameter attribute (`#[query]`, `#[header("x-id")]`, ...), as found on one parameter.
pub(crate) struct ParamAttr {
    pub(crate) kind: ParamAttrKind,
    /// What it says: a name (`#[header("x-id")]`), rules, a default, ...
    pub(crate) options: ParamOptions,
    /// The whole attribute, so errors underline `#[query]`, not just `#`.
    pub(crate) tokens: TokenStream,
}

/// Which parameter attribute: where a single value comes from, or `#[body]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamAttrKind {
    /// `#[path(..)]`: rules on a path parameter, which its name already makes one.
    Path,
    Query,
    Header,
    Cookie,
    Body,
}

impl ParamAttrKind {
    fn from_ident(ident: &Ident) -> Option<Self> {
        Some(match ident.to_string().as_str() {
            "path" => Self::Path,
            "query" => Self::Query,
            "header" => Self::Header,
            "cookie" => Self::Cookie,
            "body" => Self::Body,
            _ => return None,
        })
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
            Self::Body => "body",
        }
    }
}

/// What is written on one parameter besides its pattern and type.
#[derive(Default)]
pub(crate) struct ParamAttrs {
    /// oxapi's attributes: `#[query(..)]`, ...
    pub(crate) attrs: Vec<ParamAttr>,
    /// The parameter's doc comment, which documents it.
    pub(crate) doc: Option<String>,
}

/// Removes oxapi's parameter attributes and doc comments from `handler` (rustc would reject
/// both) and returns them, one entry per parameter.
pub(crate) fn take_param_attrs(handler: &mut HandlerFn, errors: &mut Errors) -> Vec<ParamAttrs> {
    let mut all = Vec::new();
    for input in &mut handler.sig.inputs {
        let mut found = Vec::new();
        let mut doc = Vec::new();
        if let FnArg::Typed(typed) = input {
            let mut kept = Vec::new();
            for attr in typed.attrs.drain(..) {
                if attr.path().is_ident("doc") {
                    if let Some(line) = doc_line(&attr) {
                        doc.push(line);
                    }
                    continue;
                }
                let Some(kind) = attr.path().get_ident().and_then(ParamAttrKind::from_ident) else {
                    kept.push(attr);
                    continue;
                };
                let options = match &attr.meta {
                    syn::Meta::Path(_) => ParamOptions::default(),
                    syn::Meta::List(list) if kind != ParamAttrKind::Body => {
                        param_options::parse(list.tokens.clone(), kind.as_str(), errors)
                    }
                    _ => {
                        errors.at(&attr, format!("`#[{}]` takes no value", kind.as_str()));
                        ParamOptions::default()
                    }
                };
                found.push(ParamAttr {
                    kind,
                    options,
                    tokens: attr.to_token_stream(),
                });
            }
            typed.attrs = kept;
        }
        let doc = doc
            .iter()
            .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned();
        all.push(ParamAttrs {
            attrs: found,
            doc: (!doc.is_empty()).then_some(doc),
        });
    }
    all
}

/// The text of one `///` line.
fn doc_line(attr: &Attribute) -> Option<String> {
    match &attr.meta {
        syn::Meta::NameValue(nv) => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    }
}

/// Splits a doc comment into the summary (first paragraph) and the description (the rest).
pub(crate) fn summary_and_description(lines: &[String]) -> (Option<String>, Option<String>) {
    let lines: Vec<&str> = lines
        .iter()
        .flat_map(|line| line.split('\n'))
        .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
        .collect();
    let Some(start) = lines.iter().position(|line| !line.trim().is_empty()) else {
        return (None, None);
    };
    let end = lines[start..]
        .iter()
        .position(|line| line.trim().is_empty())
        .map_or(lines.len(), |offset| start + offset);
    let summary = lines[start..end]
        .iter()
        .map(|line| line.trim())
        .collect::<Vec<_>>()
        .join(" ");
    let description = lines[end..].join("\n").trim().to_owned();
    let description = (!description.is_empty()).then_some(description);
    (Some(summary), description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn first_paragraph_is_the_summary() {
        let (summary, description) = summary_and_description(&lines(&[
            " Read one item.",
            "",
            " Longer text,",
            " over two lines.",
        ]));
        assert_eq!(summary.as_deref(), Some("Read one item."));
        assert_eq!(
            description.as_deref(),
            Some("Longer text,\nover two lines.")
        );
    }

    #[test]
    fn summary_joins_wrapped_lines() {
        let (summary, description) = summary_and_description(&lines(&[" Read one", " item."]));
        assert_eq!(summary.as_deref(), Some("Read one item."));
        assert_eq!(description, None);
    }

    #[test]
    fn no_doc_comment_gives_nothing() {
        assert_eq!(summary_and_description(&[]), (None, None));
    }
}
