//! Checks a parsed route into a [`Route`] that cannot hold bad states: every placeholder has
//! its parameter, no parameter is named twice, at most one is marked `#[body]`.
//!
//! Whether an unmarked extractor reads the body is for its type's traits to say, and the macro
//! sees no traits: the generated code asks them, and rejects a second body reader at compile
//! time (see `expand`).

use syn::{FnArg, Ident, LitStr, Pat, Path, ReturnType, Type};

use super::Kind;
use super::args::RouteArgs;
use super::param_options::ParamOptions;
use super::signature::{HandlerFn, ParamAttrKind, ParamAttrs, summary_and_description};
use super::template::parse_template;
use crate::errors::Errors;

/// A route, checked and ready to generate.
pub(crate) struct Route {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) params: Vec<Param>,
    pub(crate) is_async: bool,
    /// `#[websocket]`: one parameter is the socket (`Source::Socket`).
    pub(crate) websocket: bool,
    pub(crate) ident: Ident,
    pub(crate) output: Option<Type>,
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) deprecated: bool,
    pub(crate) hidden: bool,
    pub(crate) operation_id: String,
    pub(crate) status: Option<u16>,
    pub(crate) body_limit: Option<u64>,
    /// `timeout = ".."`, in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
    /// `responses(..)` entries with a description only.
    pub(crate) responses: Vec<(u16, String)>,
    /// `responses(..)` entries with a model, and their description if given.
    pub(crate) response_models: Vec<(u16, Option<String>, Type)>,
    pub(crate) response_description: Option<String>,
    /// `openapi_extra = ..`: a JSON object, checked here.
    pub(crate) openapi_extra: Option<String>,
    /// Whether `operation_id = ..` was given.
    pub(crate) operation_id_given: bool,
    pub(crate) krate: Path,
}

/// One handler parameter and where its value comes from.
pub(crate) struct Param {
    /// The parameter's name, or `this parameter` for a pattern, for messages.
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) source: Source,
    /// What its attribute says: rules, a default, a description, ...
    pub(crate) options: ParamOptions,
    /// Its doc comment: the parameter's description unless `description = ..` gives one.
    pub(crate) doc: Option<String>,
}

impl Param {
    /// Whether nothing but its name and type documents it.
    pub(crate) fn is_plain(&self) -> bool {
        self.options.is_plain() && self.doc.is_none()
    }

    /// `description = ..`, else the doc comment.
    pub(crate) fn description(&self) -> Option<String> {
        self.options
            .description
            .as_ref()
            .map(syn::LitStr::value)
            .or_else(|| self.doc.clone())
    }
}

/// Where a parameter's value comes from.
pub(crate) enum Source {
    /// The `index`-th placeholder of the path template, named `name`.
    Path { index: usize, name: String },
    /// A single query parameter (`#[query]`).
    Query(String),
    /// A single header (`#[header]`).
    Header(String),
    /// A single cookie (`#[cookie]`).
    Cookie(String),
    /// An extractor: whether it reads the head or the body, its type's trait decides.
    Extractor,
    /// An extractor marked `#[body]`: it reads the body, so its type must be `FromRequest`.
    Body,
    /// A `#[websocket]` handler's socket: the handshake is checked with the head, and the
    /// handler gets the socket after the upgrade.
    Socket,
}

/// Whether a `#[websocket]` parameter of type `ty` is the socket: its type is named
/// `WebSocket` (`WebSocket`, `oxapi::ws::WebSocket<C, S>`, ...). A macro sees only how a type
/// is spelled; an alias of another name is an extractor, and rustc then says it is none.
fn is_socket(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|segment| segment.ident == "WebSocket"))
}

fn is_method_token(method: &str) -> bool {
    !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Route {
    /// Checks everything; returns `None` if anything was wrong (the errors say what).
    pub(crate) fn check(
        kind: Kind,
        method: Option<&str>,
        args: RouteArgs,
        handler: &HandlerFn,
        param_attrs: Vec<ParamAttrs>,
        errors: &mut Errors,
    ) -> Option<Self> {
        let sig = &handler.sig;
        let method = match (method, &args.method) {
            (Some(method), _) => method.to_owned(),
            (None, Some(arg)) => {
                if !is_method_token(&arg.name) {
                    errors.span(
                        arg.span,
                        format!("`{}` is not a valid HTTP method", arg.name),
                    );
                }
                arg.name.to_ascii_uppercase()
            }
            (None, None) => String::new(),
        };

        if let Some(constness) = &sig.constness {
            errors.at(
                constness,
                "a handler cannot be a `const fn`; remove `const`",
            );
        }
        if let syn::Safety::Unsafe(token) = &sig.safety {
            errors.at(token, "a handler cannot be an `unsafe fn`; remove `unsafe`");
        }
        if let Some(abi) = &sig.abi {
            errors.at(abi, "a handler cannot have an `extern` ABI; remove it");
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.at(
                &sig.generics,
                "a handler cannot be generic: oxapi generates one concrete route per function; \
                 remove the generic parameters and name concrete types",
            );
        }
        if let Some(variadic) = &sig.variadic {
            errors.at(variadic, "a handler cannot be variadic");
        }

        let placeholders = match &args.path {
            Some(path) => match parse_template(&path.value()) {
                Ok(placeholders) => placeholders,
                Err(message) => {
                    errors.at(path, message);
                    Vec::new()
                }
            },
            None => Vec::new(),
        };

        let mut params = Vec::new();
        let mut matched = vec![false; placeholders.len()];
        let mut body_param: Option<String> = None;
        let mut named: Vec<(ParamAttrKind, String)> = Vec::new();
        for (input, ParamAttrs { attrs, doc }) in sig.inputs.iter().zip(param_attrs) {
            let typed = match input {
                FnArg::Receiver(receiver) => {
                    errors.at(
                        receiver,
                        "a handler cannot take `self`: write a free function and pass shared \
                         data with `State<T>`",
                    );
                    continue;
                }
                FnArg::Typed(typed) => typed,
            };
            let ident = match &*typed.pat {
                Pat::Ident(pat) => Some(pat.ident.to_string()),
                _ => None,
            };
            let placeholder = ident
                .as_deref()
                .and_then(|name| placeholders.iter().position(|p| p.name == name));
            if let Some(index) = placeholder {
                // Matched even if the type is rejected below: one error per mistake.
                matched[index] = true;
            }
            let ty = (*typed.ty).clone();
            if contains_impl_trait(&ty) {
                errors.at(
                    &typed.ty,
                    "a handler parameter cannot be `impl Trait`: oxapi must know the concrete \
                     type to extract it; name the type",
                );
                continue;
            }
            if let Type::Reference(reference) = &ty {
                errors.at(
                    reference,
                    "a handler parameter must be an owned type, because it is extracted from \
                     the request: use `String` for `&str`, `Vec<T>` for `&[T]`",
                );
                continue;
            }
            let mut attrs = attrs.into_iter();
            let attr = attrs.next();
            if let Some(extra) = attrs.next() {
                errors.at(
                    &extra.tokens,
                    "a parameter takes at most one of `#[query]`, `#[header]`, `#[cookie]`, `#[body]`",
                );
            }
            let mut options = ParamOptions::default();
            let source = match (attr, placeholder) {
                (Some(attr), Some(index)) if attr.kind == ParamAttrKind::Path => {
                    for key in ["alias", "default"] {
                        if let Some(ident) = attr.options.key(key) {
                            errors.at(
                                ident,
                                format!(
                                    "a path parameter takes no `{key}`: its name is the \
                                     placeholder's, and a path always has a value"
                                ),
                            );
                        }
                    }
                    if let Some(name) = &attr.options.name {
                        errors.at(name, "a path parameter is named by its placeholder");
                    }
                    options = attr.options;
                    Source::Path {
                        index,
                        name: placeholders[index].name.clone(),
                    }
                }
                (Some(attr), None) if attr.kind == ParamAttrKind::Path => {
                    errors.at(
                        &attr.tokens,
                        format!(
                            "`#[path]` marks a path parameter, but the path has no `{{{}}}` \
                             placeholder",
                            ident.as_deref().unwrap_or("name")
                        ),
                    );
                    continue;
                }
                (Some(attr), Some(index)) => {
                    errors.at(
                        &attr.tokens,
                        format!(
                            "`{}` is named in two places: it is the path placeholder `{{{}}}` and \
                             a `#[{}]` parameter; rename the parameter or the placeholder",
                            placeholders[index].name,
                            placeholders[index].name,
                            attr.kind.as_str(),
                        ),
                    );
                    continue;
                }
                (None, Some(index)) => Source::Path {
                    index,
                    name: placeholders[index].name.clone(),
                },
                (Some(attr), None) if attr.kind == ParamAttrKind::Body => Source::Body,
                (Some(attr), None) => {
                    if let (Some(name), Some(alias)) = (&attr.options.name, &attr.options.alias) {
                        errors.at(
                            alias,
                            format!(
                                "the parameter is named twice (`{}` and `alias = \"{}\"`); keep one",
                                name.value(),
                                alias.value()
                            ),
                        );
                    }
                    let given = attr.options.alias.as_ref().or(attr.options.name.as_ref());
                    let name = match (given, &ident) {
                        (Some(name), _) => name.value(),
                        (None, Some(ident)) => {
                            let ident = ident.trim_start_matches("r#");
                            match attr.kind {
                                ParamAttrKind::Header => ident.replace('_', "-"),
                                _ => ident.to_owned(),
                            }
                        }
                        (None, None) => {
                            errors.at(
                                &attr.tokens,
                                format!(
                                    "this parameter is a pattern, so `#[{0}]` cannot take its \
                                     name from it: write `#[{0}(\"name\")]`",
                                    attr.kind.as_str()
                                ),
                            );
                            continue;
                        }
                    };
                    let key = match attr.kind {
                        ParamAttrKind::Header => name.to_ascii_lowercase(),
                        _ => name.clone(),
                    };
                    if named
                        .iter()
                        .any(|(kind, n)| *kind == attr.kind && *n == key)
                    {
                        errors.at(
                            &attr.tokens,
                            format!(
                                "{} `{}` is read by two parameters; keep one",
                                attr.kind.as_str(),
                                name
                            ),
                        );
                        continue;
                    }
                    named.push((attr.kind, key));
                    if let Some(key) = attr.options.key("default")
                        && option_inner(&ty).is_some()
                    {
                        errors.at(
                            key,
                            "a parameter with a default always has a value: write its type \
                             without `Option`",
                        );
                    }
                    let kind = attr.kind;
                    options = attr.options;
                    match kind {
                        ParamAttrKind::Query => Source::Query(name),
                        ParamAttrKind::Header => {
                            if http_header_name_is_valid(&name) {
                                Source::Header(name.to_ascii_lowercase())
                            } else {
                                errors.at(
                                    &attr.tokens,
                                    format!("`{name}` is not a valid header name"),
                                );
                                continue;
                            }
                        }
                        ParamAttrKind::Cookie => Source::Cookie(name),
                        ParamAttrKind::Body => Source::Body,
                        // Handled above, with the placeholders.
                        ParamAttrKind::Path => continue,
                    }
                }
                (None, None) if kind == Kind::WebSocket && is_socket(&ty) => {
                    if let Some(first) = params
                        .iter()
                        .find(|param: &&Param| matches!(param.source, Source::Socket))
                    {
                        errors.at(
                            &typed.ty,
                            format!(
                                "a WebSocket handler takes one socket, and `{}` is one already; \
                                 remove this parameter",
                                first.name
                            ),
                        );
                        continue;
                    }
                    Source::Socket
                }
                (None, None) if is_socket(&ty) => {
                    errors.at(
                        &typed.ty,
                        "a WebSocket opens on a `#[websocket(\"/path\")]` route, not on an HTTP \
                         route: declare this handler with `#[websocket(..)]`",
                    );
                    continue;
                }
                (None, None) => Source::Extractor,
            };
            let name = ident.unwrap_or_else(|| "this parameter".to_owned());
            if matches!(source, Source::Body) {
                let this = name.clone();
                if let Some(first) = &body_param {
                    errors.at(
                        typed,
                        format!(
                            "two parameters read the request body (`{first}` and `{this}`); \
                             a request has one body, so keep one of them"
                        ),
                    );
                    continue;
                }
                body_param = Some(this);
            }
            params.push(Param {
                name,
                ty,
                source,
                options,
                doc,
            });
        }

        if kind == Kind::WebSocket {
            check_websocket(sig, &args, &params, errors);
        }
        if let Some(key) = &args.allow_blocking
            && sig.asyncness.is_none()
        {
            errors.at(
                key,
                "`allow_blocking` is for an `async fn` handler; a plain `fn` runs on the blocking \
                 pool, where blocking is expected: remove it",
            );
        }

        if let Some(path) = &args.path {
            for (placeholder, matched) in placeholders.iter().zip(&matched) {
                if !matched {
                    errors.at(
                        path,
                        format!(
                            "path placeholder `{{{0}}}` has no matching parameter: add a \
                             parameter `{0}: T` to `{1}`, or rename the placeholder",
                            placeholder.name, sig.ident
                        ),
                    );
                }
            }
        }

        let status = args
            .status
            .as_ref()
            .and_then(|status| match status.base10_parse::<u16>() {
                Ok(code) if (100..=599).contains(&code) => Some(code),
                _ => {
                    errors.at(status, "`status` must be an HTTP status code, 100 to 599");
                    None
                }
            });
        let body_limit = args.body_limit.as_ref().and_then(|limit| {
            limit
                .base10_parse::<u64>()
                .map_err(|_| errors.at(limit, "`body_limit` must be a size in bytes"))
                .ok()
        });

        let timeout_ms = args.timeout.as_ref().and_then(|timeout| {
            parse_millis(&timeout.value())
                .map_err(|why| {
                    errors.at(
                        timeout,
                        format!(
                            "`timeout` {why}: write a whole number of milliseconds, seconds or \
                             minutes, like `\"250ms\"`, `\"5s\"` or `\"2m\"`"
                        ),
                    )
                })
                .ok()
        });

        let mut responses = Vec::new();
        let mut response_models = Vec::new();
        let mut listed: Vec<u16> = Vec::new();
        for entry in &args.responses {
            let status = &entry.status;
            match status.base10_parse::<u16>() {
                Ok(code) if (100..=599).contains(&code) => {
                    if listed.contains(&code) {
                        errors.at(
                            status,
                            format!("status {code} is listed twice in `responses`"),
                        );
                    }
                    listed.push(code);
                    let description = entry.description.as_ref().map(LitStr::value);
                    match (&entry.model, description) {
                        (Some(model), description) => {
                            if contains_impl_trait(model) {
                                errors.at(model, "a response model must be a named type");
                            }
                            response_models.push((code, description, model.clone()));
                        }
                        (None, Some(description)) => responses.push((code, description)),
                        (None, None) => {}
                    }
                }
                _ => errors.at(status, "a status code must be 100 to 599"),
            }
        }
        let openapi_extra =
            args.openapi_extra
                .as_ref()
                .and_then(|extra| match check_json_object(&extra.value()) {
                    Ok(()) => Some(extra.value()),
                    Err(message) => {
                        errors.at(
                            extra,
                            format!("`openapi_extra` must be a JSON object: {message}"),
                        );
                        None
                    }
                });

        if !errors.is_empty() {
            return None;
        }
        let (summary, description) = summary_and_description(&handler.doc_lines());
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        Some(Self {
            method,
            path: args.path.map(|p| p.value()).unwrap_or_default(),
            params,
            is_async: sig.asyncness.is_some(),
            websocket: kind == Kind::WebSocket,
            ident: sig.ident.clone(),
            output,
            summary,
            description,
            tags: args.tags.iter().map(LitStr::value).collect(),
            deprecated: handler.is_deprecated(),
            hidden: args.hidden.is_some(),
            operation_id_given: args.operation_id.is_some(),
            operation_id: args
                .operation_id
                .map(|id| id.value())
                .unwrap_or_else(|| sig.ident.to_string().trim_start_matches("r#").to_owned()),
            status,
            body_limit,
            timeout_ms,
            responses,
            response_models,
            response_description: args.response_description.as_ref().map(LitStr::value),
            openapi_extra,
            krate: args.krate.unwrap_or_else(|| syn::parse_quote!(::oxapi)),
        })
    }
}

/// Checks that `text` is a JSON object, as `openapi_extra` must be; the error says why not.
/// What a `#[websocket]` handler must be: an `async fn` with one socket parameter, without the
/// options that speak of an HTTP response.
fn check_websocket(sig: &syn::Signature, args: &RouteArgs, params: &[Param], errors: &mut Errors) {
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token,
            "a WebSocket handler must be an `async fn`: it runs on the event loop for the \
             connection's whole life, awaiting messages; write `async fn`",
        );
    }
    if !params
        .iter()
        .any(|param| matches!(param.source, Source::Socket))
    {
        errors.at(
            &sig.ident,
            format!(
                "a WebSocket handler takes its socket as a parameter: add \
                 `socket: oxapi::ws::WebSocket` (or `WebSocket<ClientMsg, ServerMsg>`) to `{}`",
                sig.ident
            ),
        );
    }
    for (option, given) in [
        ("status", args.status.as_ref().map(|lit| lit.span())),
        ("body_limit", args.body_limit.as_ref().map(|lit| lit.span())),
        ("timeout", args.timeout.as_ref().map(|lit| lit.span())),
    ] {
        if let Some(span) = given {
            errors.span(
                span,
                format!(
                    "a WebSocket route takes no `{option}`: it answers `101 Switching \
                     Protocols` and reads no body"
                ),
            );
        }
    }
}

fn check_json_object(text: &str) -> Result<(), String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err("this is JSON, but not an object `{ .. }`".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

fn http_header_name_is_valid(name: &str) -> bool {
    is_method_token(name)
}

/// `T` if `ty` is `Option<T>`.
pub(crate) fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => match args.args.first()? {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn contains_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        Type::Path(path) => path.path.segments.iter().any(|segment| {
            matches!(&segment.arguments, syn::PathArguments::AngleBracketed(args)
                if args.args.iter().any(|arg| matches!(arg, syn::GenericArgument::Type(t) if contains_impl_trait(t))))
        }),
        Type::Tuple(tuple) => tuple.elems.iter().any(contains_impl_trait),
        Type::Array(array) => contains_impl_trait(&array.elem),
        Type::Slice(slice) => contains_impl_trait(&slice.elem),
        Type::Paren(paren) => contains_impl_trait(&paren.elem),
        Type::Group(group) => contains_impl_trait(&group.elem),
        _ => false,
    }
}

/// `"250ms"`, `"5s"` or `"2m"` in milliseconds; why not, if it is none of those or zero.
fn parse_millis(text: &str) -> Result<u64, &'static str> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let count: u64 = digits
        .replace('_', "")
        .parse()
        .map_err(|_| "is not a duration")?;
    let millis = match unit {
        "ms" => Some(count),
        "s" => count.checked_mul(1_000),
        "m" => count.checked_mul(60_000),
        "" => return Err("has no unit"),
        _ => return Err("has an unknown unit"),
    }
    .ok_or("is too long")?;
    if millis == 0 {
        return Err("is zero");
    }
    Ok(millis)
}

#[cfg(test)]
mod timeout_tests {
    use super::parse_millis;

    #[test]
    fn a_timeout_is_a_whole_number_with_a_unit() {
        assert_eq!(parse_millis("250ms"), Ok(250));
        assert_eq!(parse_millis("5s"), Ok(5_000));
        assert_eq!(parse_millis("2m"), Ok(120_000));
        assert_eq!(parse_millis("1_500ms"), Ok(1_500));
        assert_eq!(parse_millis("5"), Err("has no unit"));
        assert_eq!(parse_millis("5h"), Err("has an unknown unit"));
        assert_eq!(parse_millis("0s"), Err("is zero"));
        assert_eq!(parse_millis("s"), Err("is not a duration"));
        assert_eq!(parse_millis("1.5s"), Err("is not a duration"));
        assert_eq!(
            parse_millis("99999999999999999999s"),
            Err("is not a duration")
        );
        assert_eq!(parse_millis("18446744073709551615m"), Err("is too long"));
    }
}
