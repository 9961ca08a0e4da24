//! Parses the route attribute's arguments: `"/path", key = value, ...`.
//!
//! Every value keeps its span, so later checks can point at the exact token. Each option is
//! parsed on its own, so one that does not parse hides neither the others nor their errors.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitBool, LitInt, LitStr, Path, Token, bracketed};

use crate::errors::{Errors, suggest};

/// Options accepted by every route attribute.
const OPTIONS: &[&str] = &[
    "tags",
    "status",
    "operation_id",
    "hidden",
    "body_limit",
    "timeout",
    "allow_blocking",
    "responses",
    "response_description",
    "openapi_extra",
    "crate",
];

/// Options accepted only by `#[route(...)]`, which names its method and path.
const ROUTE_OPTIONS: &[&str] = &["method", "path"];

/// The arguments of a route attribute, as written.
#[derive(Default)]
pub(crate) struct RouteArgs {
    pub(crate) method: Option<MethodArg>,
    pub(crate) path: Option<LitStr>,
    pub(crate) tags: Vec<LitStr>,
    pub(crate) status: Option<LitInt>,
    pub(crate) operation_id: Option<LitStr>,
    pub(crate) hidden: Option<Ident>,
    pub(crate) body_limit: Option<LitInt>,
    /// `timeout = "5s"`: the route's request timeout.
    pub(crate) timeout: Option<LitStr>,
    /// `allow_blocking`: the `async fn` handler's body is not checked for blocking calls.
    pub(crate) allow_blocking: Option<Ident>,
    pub(crate) responses: Vec<ResponseEntry>,
    pub(crate) response_description: Option<LitStr>,
    pub(crate) openapi_extra: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

/// A method named in `#[route(method = ...)]`: `GET` or `"PURGE"`.
pub(crate) struct MethodArg {
    pub(crate) name: String,
    pub(crate) span: proc_macro2::Span,
}

/// One `key = value` (or bare `key`) pair, before it is checked.
struct Option_ {
    key: Ident,
    value: OptionValue,
}

enum OptionValue {
    None,
    Str(LitStr),
    Int(LitInt),
    /// `true` or `false`, accepted by no option but read so that the error can say which
    /// value the option takes.
    Bool(LitBool),
    Ident(Ident),
    Path(Path),
    StrList(Vec<LitStr>),
    /// `responses(404 = "Not found", 409 = Conflict, ..)`.
    Responses(Vec<ResponseEntry>),
}

impl OptionValue {
    /// Where to point an error about this value: the value itself, or the key if bare.
    fn span_or(&self, key: &Ident) -> proc_macro2::Span {
        use syn::spanned::Spanned;
        match self {
            Self::None => key.span(),
            Self::Str(lit) => lit.span(),
            Self::Int(lit) => lit.span(),
            Self::Bool(lit) => lit.span,
            Self::Ident(ident) => ident.span(),
            Self::Path(path) => path.span(),
            Self::StrList(list) => list.first().map_or_else(|| key.span(), LitStr::span),
            Self::Responses(list) => list.first().map_or_else(|| key.span(), |e| e.status.span()),
        }
    }
}

impl Parse for Option_ {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = if input.peek(Token![crate]) {
            let token: Token![crate] = input.parse()?;
            Ident::new("crate", token.span)
        } else {
            input.call(syn::ext::IdentExt::parse_any)?
        };
        if key == "responses" && input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            // Entry by entry, so that every malformed one is reported, not just the first.
            let mut entries = Vec::new();
            let mut error: Option<syn::Error> = None;
            for (chunk, comma) in split_at_commas(content.parse()?) {
                let parsed = if chunk.is_empty() {
                    Err(syn::Error::new(comma, "expected a response after `,`"))
                } else {
                    syn::parse2::<ResponseEntry>(chunk)
                };
                match (parsed, &mut error) {
                    (Ok(entry), _) => entries.push(entry),
                    (Err(bad), Some(error)) => error.combine(bad),
                    (Err(bad), None) => error = Some(bad),
                }
            }
            if let Some(error) = error {
                return Err(error);
            }
            return Ok(Self {
                key,
                value: OptionValue::Responses(entries),
            });
        }
        if input.is_empty() {
            return Ok(Self {
                key,
                value: OptionValue::None,
            });
        }
        if !input.peek(Token![=]) {
            return Err(input.error(format!("expected `=` or `,` after `{key}`")));
        }
        input.parse::<Token![=]>()?;
        let value = if input.peek(LitStr) {
            OptionValue::Str(input.parse()?)
        } else if input.peek(LitInt) {
            OptionValue::Int(input.parse()?)
        } else if input.peek(LitBool) {
            OptionValue::Bool(input.parse()?)
        } else if input.peek(syn::token::Bracket) {
            let content;
            bracketed!(content in input);
            // Only `tags` takes a list; its error then reads as the other `tags` errors do.
            let items =
                Punctuated::<LitStr, Token![,]>::parse_terminated(&content).map_err(|error| {
                    let message = if key == "tags" {
                        "`tags` takes a list of strings: `tags = [\"items\"]`"
                    } else {
                        "expected a list of strings: `[\"a\", \"b\"]`"
                    };
                    syn::Error::new(error.span(), message)
                })?;
            OptionValue::StrList(items.into_iter().collect())
        } else if key == "crate" {
            OptionValue::Path(input.parse()?)
        } else if input.peek(Ident) {
            OptionValue::Ident(input.parse()?)
        } else {
            return Err(
                input.error("expected a string, an integer, a list `[\"a\", \"b\"]` or a name")
            );
        };
        if !input.is_empty() {
            return Err(input.error(format!("expected `,` after the value of `{key}`")));
        }
        Ok(Self { key, value })
    }
}

/// One entry of `responses(..)`: `404 = "Not found"`, `404 = Message` (a model, described by
/// its doc comment) or `409 = ("Already exists", Conflict)`.
pub(crate) struct ResponseEntry {
    pub(crate) status: LitInt,
    pub(crate) description: Option<LitStr>,
    pub(crate) model: Option<syn::Type>,
}

impl Parse for ResponseEntry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let expected = |error: syn::Error| {
            syn::Error::new(
                error.span(),
                "expected `STATUS = \"description\"`, `STATUS = Model` or \
                 `STATUS = (\"description\", Model)`, like `404 = \"No such item\"`",
            )
        };
        let status: LitInt = input.parse().map_err(expected)?;
        input.parse::<Token![=]>().map_err(expected)?;
        let (description, model) = if input.peek(LitStr) {
            (Some(input.parse::<LitStr>()?), None)
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let description: LitStr = content.parse().map_err(expected)?;
            content.parse::<Token![,]>().map_err(expected)?;
            let model: syn::Type = content.parse().map_err(expected)?;
            let _ = content.parse::<Option<Token![,]>>()?;
            if !content.is_empty() {
                return Err(expected(content.error("")));
            }
            (Some(description), Some(model))
        } else {
            (None, Some(input.parse::<syn::Type>().map_err(expected)?))
        };
        Ok(Self {
            status,
            description,
            model,
        })
    }
}

/// The attribute's arguments split at their top-level commas (commas inside `[..]` and
/// `(..)` stay with their value), each with the span of the comma before it.
fn split_at_commas(tokens: TokenStream) -> Vec<(TokenStream, Span)> {
    let mut chunks = vec![(TokenStream::new(), Span::call_site())];
    for tree in tokens {
        match tree {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                chunks.push((TokenStream::new(), punct.span()));
            }
            tree => {
                if let Some((chunk, _)) = chunks.last_mut() {
                    chunk.extend([tree]);
                }
            }
        }
    }
    // A trailing comma (or no argument at all) leaves an empty last chunk.
    if chunks.last().is_some_and(|(chunk, _)| chunk.is_empty()) {
        chunks.pop();
    }
    chunks
}

/// The path, first of a method attribute's arguments.
fn parse_path(input: ParseStream<'_>) -> syn::Result<LitStr> {
    if !input.peek(LitStr) {
        return Err(input.error(
            "expected the route's path as a string literal, for example `\"/items/{id}\"`",
        ));
    }
    let path = input.parse()?;
    if !input.is_empty() {
        return Err(input.error("expected `,` after the path"));
    }
    Ok(path)
}

/// The key an option's tokens start with, even if the rest does not parse.
fn option_key(chunk: &TokenStream) -> Option<Ident> {
    match chunk.clone().into_iter().next() {
        Some(TokenTree::Ident(ident)) => Some(ident),
        _ => None,
    }
}

impl RouteArgs {
    /// Parses `tokens`; `method` is `None` for `#[route(...)]`.
    ///
    /// Errors go to `errors`; what could be read is returned regardless.
    pub(crate) fn parse(method: Option<&str>, tokens: TokenStream, errors: &mut Errors) -> Self {
        let whole = tokens.clone();
        let mut chunks = split_at_commas(tokens).into_iter();
        let mut args = Self::default();
        if method.is_some() {
            match chunks.next() {
                None => errors.span(
                    Span::call_site(),
                    "expected the route's path first, for example `#[get(\"/items/{id}\")]`",
                ),
                Some((chunk, _)) => match syn::parse::Parser::parse2(parse_path, chunk) {
                    Ok(path) => args.path = Some(path),
                    Err(error) => errors.push(error),
                },
            }
        }

        let mut seen: Vec<String> = Vec::new();
        for (chunk, comma) in chunks {
            if chunk.is_empty() {
                errors.span(comma, "expected an option after `,`");
                continue;
            }
            if let Some(key) = option_key(&chunk) {
                let name = key.to_string();
                if seen.contains(&name) {
                    errors.at(&key, format!("`{name}` is given twice; keep one"));
                    continue;
                }
                seen.push(name);
            }
            match syn::parse2::<Option_>(chunk) {
                Ok(option) => args.apply(method.is_none(), option, errors),
                Err(error) => errors.push(error),
            }
        }
        if method.is_none() {
            let at = |errors: &mut Errors, message: &str| {
                if whole.is_empty() {
                    errors.span(Span::call_site(), message);
                } else {
                    errors.at(&whole, message);
                }
            };
            // A `method` or `path` that was given but malformed has its own error already.
            let given = |key: &str| seen.iter().any(|name| name == key);
            if !given("method") {
                at(
                    errors,
                    "`#[route]` needs a method and a path: `#[route(method = \"PURGE\", path = \"/cache\")]`",
                );
            } else if !given("path") {
                at(errors, "`#[route]` needs a path: add `path = \"/...\"`");
            }
        }
        args
    }

    fn apply(&mut self, is_route: bool, option: Option_, errors: &mut Errors) {
        let Option_ { key, value } = option;
        let name = key.to_string();
        match (name.as_str(), value) {
            ("tags", OptionValue::StrList(tags)) => self.tags = tags,
            ("tags", other) => errors.span(
                other.span_or(&key),
                "`tags` takes a list of strings: `tags = [\"items\"]`",
            ),
            ("status", OptionValue::Int(status)) => self.status = Some(status),
            ("status", other) => errors.span(
                other.span_or(&key),
                "`status` takes a status code: `status = 201`",
            ),
            ("operation_id", OptionValue::Str(id)) => self.operation_id = Some(id),
            ("operation_id", other) => errors.span(
                other.span_or(&key),
                "`operation_id` takes a string: `operation_id = \"readItem\"`",
            ),
            ("hidden", OptionValue::None) => self.hidden = Some(key),
            ("hidden", other) => errors.span(
                other.span_or(&key),
                "`hidden` takes no value: write `hidden`",
            ),
            ("body_limit", OptionValue::Int(limit)) => self.body_limit = Some(limit),
            ("body_limit", other) => errors.span(
                other.span_or(&key),
                "`body_limit` takes a size in bytes: `body_limit = 1_048_576`",
            ),
            ("timeout", OptionValue::Str(timeout)) => self.timeout = Some(timeout),
            ("timeout", other) => errors.span(
                other.span_or(&key),
                "`timeout` takes a duration: `timeout = \"5s\"` or `timeout = \"250ms\"`",
            ),
            ("allow_blocking", OptionValue::None) => self.allow_blocking = Some(key),
            ("allow_blocking", other) => errors.span(
                other.span_or(&key),
                "`allow_blocking` takes no value: write `allow_blocking`",
            ),
            ("responses", OptionValue::Responses(list)) => self.responses = list,
            ("responses", other) => errors.span(
                other.span_or(&key),
                "`responses` takes a list: `responses(404 = \"No such item\", 409 = (\"Already exists\", Conflict))`",
            ),
            ("response_description", OptionValue::Str(text)) => {
                self.response_description = Some(text);
            }
            ("response_description", other) => errors.span(
                other.span_or(&key),
                "`response_description` takes a string: `response_description = \"The item\"`",
            ),
            ("openapi_extra", OptionValue::Str(json)) => self.openapi_extra = Some(json),
            ("openapi_extra", other) => errors.span(
                other.span_or(&key),
                "`openapi_extra` takes a JSON object in a string: `openapi_extra = r#\"{\"x-internal\": true}\"#`",
            ),
            ("crate", OptionValue::Path(path)) => self.krate = Some(path),
            ("crate", OptionValue::Str(path)) => match path.parse::<Path>() {
                Ok(parsed) => self.krate = Some(parsed),
                Err(error) => errors.push(error),
            },
            ("crate", other) => errors.span(
                other.span_or(&key),
                "`crate` takes a path: `crate = ::my_oxapi`",
            ),
            ("method", value) if is_route => match value {
                OptionValue::Str(method) => {
                    self.method = Some(MethodArg {
                        name: method.value(),
                        span: method.span(),
                    });
                }
                OptionValue::Ident(method) => {
                    self.method = Some(MethodArg {
                        name: method.to_string(),
                        span: method.span(),
                    });
                }
                other => errors.span(
                    other.span_or(&key),
                    "`method` takes a method name: `method = \"PURGE\"`",
                ),
            },
            ("path", value) if is_route => match value {
                OptionValue::Str(path) => self.path = Some(path),
                other => errors.span(
                    other.span_or(&key),
                    "`path` takes a string: `path = \"/cache\"`",
                ),
            },
            (other, _) => {
                let mut valid: Vec<&str> = OPTIONS.to_vec();
                if is_route {
                    valid.extend_from_slice(ROUTE_OPTIONS);
                }
                let hint = match (suggest(other, &valid), other) {
                    (Some(close), _) => format!(": did you mean `{close}`?"),
                    (None, "summary" | "description") => {
                        ": the summary and description come from the function's doc comment"
                            .to_owned()
                    }
                    (None, "deprecated") => {
                        ": mark the function `#[deprecated]` instead".to_owned()
                    }
                    _ => String::new(),
                };
                errors.at(
                    &key,
                    format!(
                        "unknown route option `{other}`{hint} (valid options: {})",
                        valid
                            .iter()
                            .map(|v| format!("`{v}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}
