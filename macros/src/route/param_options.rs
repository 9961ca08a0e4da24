//! The options of a parameter attribute: `#[query("q", default = 10, range(min = 1),
//! length(max = 50), pattern = "^[a-z]+$", alias = "item-query", deprecated,
//! description = "..", example = ..)]`.
//!
//! Each option is parsed on its own, split at the commas between them, so a malformed one
//! hides neither the others nor their errors.

use proc_macro2::{Literal, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::{Expr, Ident, LitInt, LitStr, Token};

use crate::errors::{Errors, suggest};

/// Every option a parameter attribute takes.
const OPTIONS: &[&str] = &[
    "alias",
    "default",
    "range",
    "length",
    "pattern",
    "deprecated",
    "description",
    "example",
];

/// What a parameter attribute says besides where the value comes from.
#[derive(Default)]
pub(crate) struct ParamOptions {
    /// The name given first, as in `#[header("x-id")]`.
    pub(crate) name: Option<LitStr>,
    /// `alias = ".."`: the name on the wire.
    pub(crate) alias: Option<LitStr>,
    /// `default = ..`: the value when the parameter is absent.
    pub(crate) default: Option<Expr>,
    pub(crate) range: Option<RangeRule>,
    pub(crate) length: Option<LengthRule>,
    pub(crate) pattern: Option<LitStr>,
    pub(crate) deprecated: bool,
    pub(crate) description: Option<LitStr>,
    pub(crate) example: Option<Expr>,
    /// Each option's key, for errors about the option as a whole.
    pub(crate) keys: Vec<Ident>,
}

/// `range(min = .., max = .., exclusive_min = .., exclusive_max = ..)`.
pub(crate) struct RangeRule {
    pub(crate) key: Ident,
    pub(crate) min: Option<Bound>,
    pub(crate) exclusive_min: Option<Bound>,
    pub(crate) max: Option<Bound>,
    pub(crate) exclusive_max: Option<Bound>,
}

/// A numeric bound, with its value as written.
#[derive(Clone, Copy)]
pub(crate) enum Bound {
    Int(i128),
    Float(f64),
}

impl Bound {
    fn as_f64(self) -> f64 {
        match self {
            Self::Int(n) => n as f64,
            Self::Float(f) => f,
        }
    }

    /// `::oxapi::__private::Number::Int(1)`.
    pub(crate) fn tokens(self, ox: &TokenStream) -> TokenStream {
        match self {
            Self::Int(n) => {
                let n = Literal::i128_unsuffixed(n);
                quote!(#ox::Number::Int(#n))
            }
            Self::Float(f) => {
                let f = Literal::f64_unsuffixed(f);
                quote!(#ox::Number::Float(#f))
            }
        }
    }
}

/// `length(min = .., max = ..)` or `length(equal = ..)`.
pub(crate) struct LengthRule {
    pub(crate) key: Ident,
    pub(crate) min: Option<u64>,
    pub(crate) max: Option<u64>,
}

impl ParamOptions {
    /// Whether the attribute says anything beyond a name.
    pub(crate) fn has_rules(&self) -> bool {
        self.range.is_some() || self.length.is_some() || self.pattern.is_some()
    }

    /// Whether the attribute says nothing the document or the check would use.
    pub(crate) fn is_plain(&self) -> bool {
        self.default.is_none()
            && self.description.is_none()
            && self.example.is_none()
            && !self.deprecated
            && !self.has_rules()
    }

    /// The option `key`'s identifier, if given, for errors pointing at it.
    pub(crate) fn key(&self, key: &str) -> Option<&Ident> {
        self.keys.iter().find(|ident| *ident == key)
    }
}

/// Parses the tokens inside `#[query(...)]`.
pub(crate) fn parse(tokens: TokenStream, kind: &str, errors: &mut Errors) -> ParamOptions {
    let mut options = ParamOptions::default();
    for (position, chunk) in split_at_commas(tokens).into_iter().enumerate() {
        if position == 0
            && let Ok(name) = syn::parse2::<LitStr>(chunk.clone())
        {
            options.name = Some(name);
            continue;
        }
        if let Err(error) = parse_option(chunk.clone(), kind, &mut options, errors) {
            errors.push(error);
        }
    }
    options
}

/// Splits `a = 1, range(min = 1, max = 2), b` into its top-level items; a trailing comma is
/// allowed.
fn split_at_commas(tokens: TokenStream) -> Vec<TokenStream> {
    let mut chunks = vec![TokenStream::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => chunks.push(TokenStream::new()),
            _ => {
                if let Some(last) = chunks.last_mut() {
                    last.extend([token]);
                }
            }
        }
    }
    chunks.retain(|chunk| !chunk.is_empty());
    chunks
}

fn parse_option(
    chunk: TokenStream,
    kind: &str,
    options: &mut ParamOptions,
    errors: &mut Errors,
) -> syn::Result<()> {
    let mut tokens = chunk.clone().into_iter();
    let Some(TokenTree::Ident(key)) = tokens.next() else {
        return Err(syn::Error::new_spanned(
            &chunk,
            format!(
                "expected an option of `#[{kind}(..)]`, like `default = 10` or `range(min = 1)`"
            ),
        ));
    };
    let rest: TokenStream = tokens.collect();
    let name = key.to_string();
    if options.keys.iter().any(|seen| *seen == name) {
        return Err(syn::Error::new_spanned(
            &key,
            format!("`{name}` is given twice; keep one"),
        ));
    }
    let value = |rest: TokenStream| -> syn::Result<TokenStream> {
        let mut tokens = rest.clone().into_iter();
        match tokens.next() {
            Some(TokenTree::Punct(eq)) if eq.as_char() == '=' => {
                let value: TokenStream = tokens.collect();
                if value.is_empty() {
                    Err(syn::Error::new_spanned(
                        eq,
                        format!("`{name} =` needs a value"),
                    ))
                } else {
                    Ok(value)
                }
            }
            _ => Err(syn::Error::new_spanned(
                &key,
                format!("expected `{name} = ..`"),
            )),
        }
    };
    match name.as_str() {
        "alias" => options.alias = Some(syn::parse2(value(rest)?)?),
        "description" => options.description = Some(syn::parse2(value(rest)?)?),
        "pattern" => {
            let pattern: LitStr = syn::parse2(value(rest)?)?;
            if let Err(error) = regex_syntax::Parser::new().parse(&pattern.value()) {
                errors.at(&pattern, format!("not a valid regular expression: {error}"));
            }
            options.pattern = Some(pattern);
        }
        "default" => options.default = Some(syn::parse2(value(rest)?)?),
        "example" => options.example = Some(syn::parse2(value(rest)?)?),
        "deprecated" => {
            if !rest.is_empty() {
                return Err(syn::Error::new_spanned(
                    &rest,
                    "`deprecated` takes no value: write `deprecated`",
                ));
            }
            options.deprecated = true;
        }
        "range" => options.range = Some(parse_range(&key, rest, errors)?),
        "length" => options.length = Some(parse_length(&key, rest, errors)?),
        _ => {
            let hint = suggest(&name, OPTIONS)
                .map(|close| format!("; did you mean `{close}`?"))
                .unwrap_or_default();
            return Err(syn::Error::new_spanned(
                &key,
                format!(
                    "unknown option `{name}` of `#[{kind}]`{hint} (options: {})",
                    OPTIONS.join(", ")
                ),
            ));
        }
    }
    options.keys.push(key);
    Ok(())
}

/// The `key = value` pairs inside `range(..)` or `length(..)`.
fn pairs(key: &Ident, rest: TokenStream) -> syn::Result<Vec<(Ident, TokenStream)>> {
    let mut tokens = rest.into_iter();
    let group = match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Group(group)), None)
            if group.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            group
        }
        _ => {
            return Err(syn::Error::new_spanned(
                key,
                format!("expected `{key}(..)`, like `{key}(min = 1, max = 100)`"),
            ));
        }
    };
    let mut pairs = Vec::new();
    for chunk in split_at_commas(group.stream()) {
        let parser = |input: syn::parse::ParseStream<'_>| {
            let name: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let value: TokenStream = input.parse()?;
            Ok((name, value))
        };
        pairs.push(parser.parse2(chunk)?);
    }
    Ok(pairs)
}

fn parse_range(key: &Ident, rest: TokenStream, errors: &mut Errors) -> syn::Result<RangeRule> {
    let mut rule = RangeRule {
        key: key.clone(),
        min: None,
        exclusive_min: None,
        max: None,
        exclusive_max: None,
    };
    for (name, value) in pairs(key, rest)? {
        let bound = parse_bound(value)?;
        let slot = match name.to_string().as_str() {
            "min" => &mut rule.min,
            "exclusive_min" => &mut rule.exclusive_min,
            "max" => &mut rule.max,
            "exclusive_max" => &mut rule.exclusive_max,
            other => {
                errors.at(
                    &name,
                    format!(
                        "unknown bound `{other}` of `range(..)` (bounds: min, max, \
                         exclusive_min, exclusive_max)"
                    ),
                );
                continue;
            }
        };
        if slot.is_some() {
            errors.at(&name, format!("`{name}` is given twice; keep one"));
        }
        *slot = Some(bound);
    }
    if rule.min.is_some() && rule.exclusive_min.is_some() {
        errors.at(key, "give `min` or `exclusive_min`, not both");
    }
    if rule.max.is_some() && rule.exclusive_max.is_some() {
        errors.at(key, "give `max` or `exclusive_max`, not both");
    }
    let lower = rule.min.or(rule.exclusive_min);
    let upper = rule.max.or(rule.exclusive_max);
    if lower.is_none() && upper.is_none() {
        errors.at(
            key,
            "`range(..)` needs a bound, like `range(min = 1, max = 100)`",
        );
    }
    if let (Some(lower), Some(upper)) = (lower, upper)
        && lower.as_f64() > upper.as_f64()
    {
        errors.at(
            key,
            "the lower bound is above the upper bound: no value would pass",
        );
    }
    Ok(rule)
}

/// `1`, `-5`, `0.5`, `1e3`.
fn parse_bound(value: TokenStream) -> syn::Result<Bound> {
    let expr: Expr = syn::parse2(value.clone())?;
    let (negative, literal) = match &expr {
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => (true, &*unary.expr),
        other => (false, other),
    };
    let bound = match literal {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => Bound::Int(int.base10_parse::<i128>()?),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(float),
            ..
        }) => Bound::Float(float.base10_parse::<f64>()?),
        _ => {
            return Err(syn::Error::new_spanned(
                value,
                "a bound must be a number literal, like `1`, `-5` or `0.5`",
            ));
        }
    };
    Ok(match (negative, bound) {
        (false, bound) => bound,
        (true, Bound::Int(n)) => Bound::Int(-n),
        (true, Bound::Float(f)) => Bound::Float(-f),
    })
}

fn parse_length(key: &Ident, rest: TokenStream, errors: &mut Errors) -> syn::Result<LengthRule> {
    let mut rule = LengthRule {
        key: key.clone(),
        min: None,
        max: None,
    };
    let mut equal = None;
    for (name, value) in pairs(key, rest)? {
        let number: LitInt = syn::parse2(value)?;
        let number = number.base10_parse::<u64>()?;
        match name.to_string().as_str() {
            "min" => rule.min = Some(number),
            "max" => rule.max = Some(number),
            "equal" => equal = Some(number),
            other => errors.at(
                &name,
                format!("unknown bound `{other}` of `length(..)` (bounds: min, max, equal)"),
            ),
        }
    }
    if let Some(equal) = equal {
        if rule.min.is_some() || rule.max.is_some() {
            errors.at(key, "give `equal`, or `min` and `max`, not both");
        }
        rule.min = Some(equal);
        rule.max = Some(equal);
    }
    if rule.min.is_none() && rule.max.is_none() {
        errors.at(key, "`length(..)` needs a bound, like `length(max = 50)`");
    }
    if let (Some(min), Some(max)) = (rule.min, rule.max)
        && min > max
    {
        errors.at(
            key,
            "the minimum length is above the maximum: no value would pass",
        );
    }
    Ok(rule)
}

impl ToTokens for Bound {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match *self {
            Self::Int(n) => Literal::i128_unsuffixed(n).to_tokens(tokens),
            Self::Float(f) => Literal::f64_unsuffixed(f).to_tokens(tokens),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(tokens: TokenStream) -> ParamOptions {
        let mut errors = Errors::default();
        let options = parse(tokens, "query", &mut errors);
        assert!(errors.is_empty(), "{}", errors.to_compile_errors());
        options
    }

    fn parse_errors(tokens: TokenStream) -> String {
        let mut errors = Errors::default();
        parse(tokens, "query", &mut errors);
        errors.to_compile_errors().to_string()
    }

    #[test]
    fn reads_every_option() {
        let options = parse_ok(quote!(
            "q",
            default = 10,
            range(min = 1, exclusive_max = 100.5),
            length(max = 50),
            pattern = "^[a-z]+$",
            alias = "item-query",
            deprecated,
            description = "Text",
            example = 5,
        ));
        assert_eq!(options.name.map(|n| n.value()).as_deref(), Some("q"));
        assert_eq!(
            options.alias.map(|n| n.value()).as_deref(),
            Some("item-query")
        );
        assert!(options.default.is_some() && options.example.is_some());
        let range = options.range.unwrap_or_else(|| panic!("range"));
        assert!(matches!(range.min, Some(Bound::Int(1))));
        assert!(matches!(range.exclusive_max, Some(Bound::Float(f)) if f == 100.5));
        assert_eq!(options.length.and_then(|l| l.max), Some(50));
        assert!(options.deprecated);
        assert_eq!(options.keys.len(), 8);
    }

    #[test]
    fn negative_bounds_and_equal_lengths() {
        let options = parse_ok(quote!(range(min = -5, max = -1), length(equal = 3)));
        let range = options.range.unwrap_or_else(|| panic!("range"));
        assert!(matches!(range.min, Some(Bound::Int(-5))));
        let length = options.length.unwrap_or_else(|| panic!("length"));
        assert_eq!((length.min, length.max), (Some(3), Some(3)));
    }

    #[test]
    fn each_mistake_is_reported() {
        let errors = parse_errors(quote!(
            rnage(min = 1),
            range(min = 5, max = 1),
            length(),
            pattern = "(",
            deprecated = true,
            alias = "a",
            alias = "b"
        ));
        for expected in [
            "did you mean `range`",
            "lower bound is above the upper bound",
            "`length(..)` needs a bound",
            "not a valid regular expression",
            "`deprecated` takes no value",
            "`alias` is given twice",
        ] {
            assert!(
                errors.contains(expected),
                "missing {expected:?} in {errors}"
            );
        }
    }
}
