//! Generates code from a checked [`Route`]: the user's function, unchanged but for oxapi's
//! parameter attributes, plus a same-named type that carries the route for `routes![..]`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::check::{Param, Route, Source, contains_impl_trait, option_inner};
use super::signature::HandlerFn;

pub(crate) fn generate(route: &Route, handler: &HandlerFn) -> TokenStream {
    let krate = &route.krate;
    let ox = quote!(#krate::__private);
    let ident = &route.ident;
    let vis = &handler.vis;

    let handler_fn = generate_handler(route, &ox);
    let describe_fn = generate_describe(route, &ox);
    let body_checks = generate_body_checks(route, &ox);
    let rule_items = generate_rule_items(route, &ox);

    let method = &route.method;
    let path = &route.path;
    let fn_name = ident.to_string();
    let operation_id = &route.operation_id;
    let summary = option_str(route.summary.as_deref());
    let description = option_str(route.description.as_deref());
    let tags = &route.tags;
    let deprecated = route.deprecated;
    let hidden = route.hidden;
    let dispatch = if route.is_async {
        quote!(#ox::Dispatch::EventLoop)
    } else {
        quote!(#ox::Dispatch::BlockingPool)
    };
    let status = match route.status {
        Some(code) => quote!(::core::option::Option::Some(#code)),
        None => quote!(::core::option::Option::None),
    };
    let body_limit = match route.body_limit {
        Some(limit) => quote!(::core::option::Option::Some(#limit)),
        None => quote!(::core::option::Option::None),
    };
    let timeout_ms = match route.timeout_ms {
        Some(millis) => quote!(::core::option::Option::Some(#millis)),
        None => quote!(::core::option::Option::None),
    };
    let responses = route
        .responses
        .iter()
        .map(|(status, description)| quote!((#status, #description)));
    let response_description = option_str(route.response_description.as_deref());
    let extra = option_str(route.openapi_extra.as_deref());
    let operation_id_given = route.operation_id_given;

    quote! {
        // A handler that drops a future without awaiting it (a forgotten `.await`) is a bug
        // that FastAPI only warns about at run time; here it does not compile.
        #[deny(unused_must_use)]
        // A handler's parameters are what it reads from the request, declared one by one as
        // FastAPI's are: many of them is no smell here.
        #[allow(clippy::too_many_arguments)]
        #handler

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, missing_docs, missing_debug_implementations, unreachable_pub)]
        #vis struct #ident {}

        #[doc(hidden)]
        #[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
        const _: () = {
            impl #ox::Route for #ident {
                const ROUTE: #ox::RouteDef = #ox::RouteDef {
                    method: #method,
                    path: #path,
                    handler: __oxapi_handler,
                    describe: __oxapi_describe,
                    meta: #ox::RouteMeta {
                        fn_name: #fn_name,
                        module_path: ::core::module_path!(),
                        hidden: #hidden,
                        body_limit: #body_limit,
                        timeout_ms: #timeout_ms,
                        operation: #ox::OperationMeta {
                            operation_id: #operation_id,
                            summary: #summary,
                            description: #description,
                            tags: &[#(#tags),*],
                            deprecated: #deprecated,
                            dispatch: #dispatch,
                            status: #status,
                            responses: &[#(#responses),*],
                            response_description: #response_description,
                            extra: #extra,
                            operation_id_given: #operation_id_given,
                        },
                    },
                };
            }

            #rule_items
            #handler_fn
            #describe_fn
            #body_checks
        };
    }
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

/// The function the router calls: extracts every parameter, reports all failures at once,
/// then calls the user's function on the event loop or the blocking pool.
fn generate_handler(route: &Route, ox: &TokenStream) -> TokenStream {
    let ident = &route.ident;
    let method = &route.method;
    let args: Vec<_> = (0..route.params.len())
        .map(|i| format_ident!("__oxapi_arg{}", i))
        .collect();

    // A route whose parameters all come from the head (path, `#[query]`, `#[header]`,
    // `#[cookie]`) keeps only the head: its future then holds no body it would never read.
    let has_extractors = route.params.iter().any(|param| {
        matches!(
            param.source,
            Source::Extractor | Source::Body | Source::Socket
        )
    });
    let head_of = if has_extractors {
        quote!(__oxapi_incoming.parts())
    } else {
        quote!(&__oxapi_head)
    };
    // A route whose only parameters are path parameters reads them before its future exists
    // and never splits the request: nothing of it is moved or carried.
    let path_only = route
        .params
        .iter()
        .all(|param| matches!(param.source, Source::Path { .. }));
    let uri_of = if has_extractors {
        quote!(&__oxapi_incoming.parts().uri)
    } else if path_only {
        quote!(__oxapi_request.uri())
    } else {
        quote!(&__oxapi_head.uri)
    };
    let mut path_params = Vec::new();
    let mut head = Vec::new();
    let mut body = Vec::new();
    for (param, arg) in route.params.iter().zip(&args) {
        let ty = &param.ty;
        let span = ty.span();
        let extract = || {
            let (path, end) = trait_item(ty, &quote!(#ox::Extractor<_>), "extract");
            let call = quote_spanned!(end=> #path(&mut __oxapi_incoming, &__oxapi_ctx).await);
            quote_spanned!(span=> __oxapi_rejections.take(#call))
        };
        // A single value: read (absent → its default, if it has one), then checked against
        // its rules.
        let single = |read: &str, location: &str, name: &str| {
            let read = format_ident!("{read}");
            let value = match &param.options.default {
                Some(default) => quote_spanned! {span=>
                    #ox::#read::<::core::option::Option<#ty>>(#head_of, #name)
                        .map(|__oxapi_value| __oxapi_value.unwrap_or_else(|| #ox::DefaultValue::<#ty>::into_default(#default)))
                },
                None => quote_spanned! {span=> #ox::#read::<#ty>(#head_of, #name) },
            };
            let value = match rule_check(param, index_of(route, param), location, name, ox) {
                Some(check) => quote_spanned! {span=>
                    #value.and_then(|__oxapi_value| #check.map(|()| __oxapi_value))
                },
                None => value,
            };
            quote_spanned! {span=> let #arg = __oxapi_rejections.take(#value); }
        };
        match &param.source {
            Source::Path { index, name } => {
                let read = quote_spanned! {span=>
                    #ox::path_param::<#ty>(#uri_of, &__oxapi_path, #index, #name, &mut __oxapi_rejections)
                };
                path_params.push(
                    match rule_check(param, index_of(route, param), "path", name, ox) {
                        Some(check) => quote_spanned! {span=>
                            let #arg = #read.and_then(|__oxapi_value| {
                                __oxapi_rejections.take(#check.map(|()| __oxapi_value))
                            });
                        },
                        None => quote_spanned! {span=> let #arg = #read; },
                    },
                );
            }
            Source::Query(name) => head.push(single("query_param", "query", name)),
            Source::Header(name) => head.push(single("header_param", "header", name)),
            Source::Cookie(name) => head.push(single("cookie_param", "cookie", name)),
            // The macro cannot tell which phase this extractor belongs to, so it is written
            // in both, and the constant picks one: the other folds away.
            Source::Extractor => {
                let reads_body = reads_body(param, ox);
                let extract = extract();
                // One `mut` binding, not a shadowing one: a second binding would keep its own
                // slot in the future across every later `.await`.
                head.push(quote_spanned! {span=>
                    let mut #arg = ::core::option::Option::None;
                    if !#reads_body { #arg = #extract; }
                });
                body.push(quote_spanned! {span=>
                    if #reads_body { #arg = #extract; }
                });
            }
            // The handshake is checked with the head, so an extractor that rejects (auth)
            // answers before any upgrade.
            Source::Socket => head.push(quote_spanned! {span=>
                let #arg = __oxapi_rejections.take(
                    #ox::websocket_upgrade(__oxapi_incoming.parts(), &__oxapi_ctx)
                );
            }),
            // `generate_body_checks` makes sure that it does read the body.
            Source::Body => {
                let extract = extract();
                body.push(quote_spanned! {span=> let #arg = #extract; });
            }
        }
    }

    let unpack = if args.is_empty() {
        quote!()
    } else {
        quote! {
            let (#(::core::option::Option::Some(#args),)*) = (#(#args,)*) else {
                return #ox::respond(&__oxapi_ctx, #method, __oxapi_rejections.into_response());
            };
        }
    };

    // The value is converted through the same trait path that `__oxapi_describe` names, so a
    // return type that is not a response gets one error, at the type; through `finish`'s own
    // bound it would get a second one, pointing into `__private`. An `impl Trait` cannot be
    // named, and rustc checks it against the signature already.
    //
    // A route with `status = ..` converts through `into_response_with_status`, which applies
    // the status to a plain success only: a status the handler chose (`(StatusCode::OK, ..)`)
    // is kept. Without one, the response is passed on as it is: no call, so no move.
    let (method_name, status_arg) = match route.status {
        Some(code) => (
            "into_response_with_status",
            quote!(, { const __OXAPI_STATUS: #ox::http::StatusCode = #ox::status(#code); __OXAPI_STATUS }),
        ),
        None => ("into_response", quote!()),
    };
    let method_ident = Ident::new(method_name, Span::call_site());
    let finish = match &route.output {
        Some(output) if contains_impl_trait(output) => {
            quote!(#ox::IntoResponse::#method_ident(__oxapi_output #status_arg))
        }
        Some(output) => {
            let (path, end) = trait_item(output, &quote!(#ox::IntoResponse), method_name);
            quote_spanned!(end=> #path(__oxapi_output #status_arg))
        }
        None => quote!(<() as #ox::IntoResponse>::#method_ident(__oxapi_output #status_arg)),
    };
    // The response goes through the app's error handlers here, where the route is known, so
    // that an error no mapping takes is logged with it.
    let socket = route
        .params
        .iter()
        .zip(&args)
        .find(|(param, _)| matches!(param.source, Source::Socket));
    let call = if let Some((socket, arg)) = socket {
        // The handler runs after the upgrade, on the connection's task; the request gets the
        // 101. The closure's parameter takes the place of the upgrade in the call.
        let ty = &socket.ty;
        let upgrade = quote_spanned!(ty.span()=> #ox::WebSocketUpgrade::on_upgrade::<#ty, _, _, _>);
        quote! {
            #ox::respond(&__oxapi_ctx, #method, #upgrade(#arg, move |#arg: #ty| #ident(#(#args),*)))
        }
    } else if route.is_async {
        quote! {
            let __oxapi_output = #ident(#(#args),*).await;
            // One expression, so that a success is built where the future returns it.
            #ox::respond(&__oxapi_ctx, #method, #finish)
        }
    } else {
        quote! {
            #ox::respond(&__oxapi_ctx, #method, #ox::run_blocking(&__oxapi_ctx, move || {
                let __oxapi_output = #ident(#(#args),*);
                #finish
            }).await)
        }
    };
    let split = if has_extractors {
        quote!(let mut __oxapi_incoming = #ox::Incoming::new(__oxapi_request);)
    } else if path_only {
        quote!()
    } else {
        quote!(let (__oxapi_head, _) = __oxapi_request.into_parts();)
    };
    let boxed = quote_spanned! {ident.span()=> #ox::boxed_handler_future };

    quote! {
        fn __oxapi_handler(
            __oxapi_request: #ox::Request,
            __oxapi_path: #ox::PathParams,
            __oxapi_route: &#ox::RouteHandle,
        ) -> #ox::HandlerFuture {
            // The synchronous part runs before the future exists, so the future holds less.
            let __oxapi_route = ::core::clone::Clone::clone(__oxapi_route);
            let mut __oxapi_rejections = #ox::Rejections::new();
            #split
            #(#path_params)*
            #boxed(async move {
                // The route's limits (its `body_limit = ..` included) were settled when the
                // app was built.
                let __oxapi_ctx = #ox::RouteContext::request(&__oxapi_route);
                // What reads the head first, in parameter order (so failures are listed in
                // that order); then the one extractor of the body, which takes the request.
                #(#head)*
                #(#body)*
                #unpack
                #call
            })
        }
    }
}

/// The function that describes the operation: each extractor and the return type add what
/// they know (parameters, body, responses, required state). Called once, at startup.
fn generate_describe(route: &Route, ox: &TokenStream) -> TokenStream {
    let mut parts = Vec::new();
    for param in &route.params {
        let ty = &param.ty;
        let span = ty.span();
        // `Option<T>` is an optional `T`; a `Vec<T>` may be empty, so it is optional too.
        let (inner, required) = match option_inner(ty) {
            Some(inner) => (inner, false),
            None => (ty, !is_vec(ty)),
        };
        let single = |location: TokenStream, name: &str| {
            let options = &param.options;
            if param.is_plain() {
                return quote_spanned! {span=>
                    __oxapi_op.param::<#inner>(#ox::ParamLocation::#location, #name, #required);
                };
            }
            let required = required && options.default.is_none();
            let description = option_str(param.description().as_deref());
            let deprecated = options.deprecated;
            let default = match &options.default {
                Some(default) => {
                    quote_spanned!(default.span()=> #ox::to_json::<#ty>(&#ox::DefaultValue::<#ty>::into_default(#default)))
                }
                None => quote!(::core::option::Option::None),
            };
            let example = match &options.example {
                Some(example) => quote_spanned!(example.span()=> #ox::to_json(&(#example))),
                None => quote!(::core::option::Option::None),
            };
            let rules = rules_const(index_of(route, param));
            quote_spanned! {span=>
                __oxapi_op.param_with::<#inner>(#ox::ParamLocation::#location, #name, #required, #ox::ParamDoc {
                    description: #description,
                    deprecated: #deprecated,
                    default: #default,
                    example: #example,
                    rules: #rules,
                });
            }
        };
        parts.push(match &param.source {
            Source::Path { name, .. } => single(quote!(Path), name),
            Source::Query(name) => single(quote!(Query), name),
            Source::Header(name) => single(quote!(Header), name),
            Source::Cookie(name) => single(quote!(Cookie), name),
            Source::Extractor | Source::Body => {
                let (path, end) = trait_item(ty, &quote!(#ox::Extractor<_>), "describe");
                quote_spanned!(end=> #path(__oxapi_op);)
            }
            // The 101 response, the message schemas and the 426.
            Source::Socket => {
                let (path, end) = trait_item(ty, &quote!(#ox::Socket<_>), "describe");
                quote_spanned!(end=> #path(__oxapi_op);)
            }
        });
    }
    // The return type documents the responses; an `impl Trait` cannot be named, so it is
    // documented as a success with unknown content.
    let output = match &route.output {
        // A WebSocket handler's result closes the socket; it is no response.
        _ if route.websocket => quote!(),
        None => quote!(<() as #ox::IntoResponse>::describe(__oxapi_op);),
        Some(output) if contains_impl_trait(output) => quote!(__oxapi_op.success_empty();),
        Some(output) => {
            let (path, end) = trait_item(output, &quote!(#ox::IntoResponse), "describe");
            quote_spanned!(end=> #path(__oxapi_op);)
        }
    };
    // `responses(409 = Conflict)`: documented before the return type, so that the route's
    // description of a status is the one kept.
    let models = route
        .response_models
        .iter()
        .map(|(status, description, model)| {
            let description = option_str(description.as_deref());
            quote_spanned! {model.span()=>
                #ox::response_model::<#model>(__oxapi_op, #status, #description);
            }
        });
    quote! {
        fn __oxapi_describe(__oxapi_op: &mut #ox::OperationDoc<'_>) {
            #(#models)*
            #(#parts)*
            #output
        }
    }
}

/// The position of `param` among the route's parameters, which names its rule items.
fn index_of(route: &Route, param: &Param) -> usize {
    route
        .params
        .iter()
        .position(|p| std::ptr::eq(p, param))
        .unwrap_or_default()
}

/// `__OXAPI_RULES_3`: the rules of the fourth parameter.
fn rules_const(index: usize) -> Ident {
    format_ident!("__OXAPI_RULES_{}", index)
}

fn pattern_static(index: usize) -> Ident {
    format_ident!("__OXAPI_PATTERN_{}", index)
}

/// The check of a parameter that has rules: `check_param(&value, &RULES, pattern, location)`,
/// a `Result<(), Rejection>` over `__oxapi_value`.
fn rule_check(
    param: &Param,
    index: usize,
    source: &str,
    name: &str,
    ox: &TokenStream,
) -> Option<TokenStream> {
    if !param.options.has_rules() {
        return None;
    }
    let rules = rules_const(index);
    let pattern = match &param.options.pattern {
        Some(_) => {
            let pattern = pattern_static(index);
            quote!(::core::option::Option::Some(&#pattern))
        }
        None => quote!(::core::option::Option::None),
    };
    let location = format!("{source}.{name}");
    Some(quote! {
        #ox::check_param(&__oxapi_value, &#rules, #pattern, #location)
    })
}

/// For each parameter with attribute options: its rules as a constant (read by the check and
/// the document alike), its compiled pattern, and the compile-time checks that each rule
/// applies to the parameter's type, reported at the type with the rule named.
fn generate_rule_items(route: &Route, ox: &TokenStream) -> TokenStream {
    let mut items = Vec::new();
    for (index, param) in route.params.iter().enumerate() {
        let options = &param.options;
        if param.is_plain() {
            continue;
        }
        let ty = &param.ty;
        let rules = rules_const(index);
        let bound = |bound: Option<super::param_options::Bound>| match bound {
            Some(bound) => {
                let bound = bound.tokens(ox);
                quote!(::core::option::Option::Some(#bound))
            }
            None => quote!(::core::option::Option::None),
        };
        let (minimum, exclusive_minimum, maximum, exclusive_maximum) = match &options.range {
            Some(range) => (
                bound(range.min),
                bound(range.exclusive_min),
                bound(range.max),
                bound(range.exclusive_max),
            ),
            None => {
                let none = quote!(::core::option::Option::None);
                (none.clone(), none.clone(), none.clone(), none)
            }
        };
        let length = |value: Option<u64>| match value {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let (min_length, max_length) = match &options.length {
            Some(rule) => (length(rule.min), length(rule.max)),
            None => (length(None), length(None)),
        };
        let pattern = match &options.pattern {
            Some(pattern) => quote!(::core::option::Option::Some(#pattern)),
            None => quote!(::core::option::Option::None),
        };
        items.push(quote! {
            const #rules: #ox::ParamRules = #ox::ParamRules {
                minimum: #minimum,
                exclusive_minimum: #exclusive_minimum,
                maximum: #maximum,
                exclusive_maximum: #exclusive_maximum,
                min_length: #min_length,
                max_length: #max_length,
                pattern: #pattern,
            };
        });
        if let Some(source) = &options.pattern {
            let pattern = pattern_static(index);
            items.push(quote! {
                static #pattern: #ox::Pattern = #ox::Pattern::new(#source);
            });
        }
        if let Some(range) = &options.range {
            items.push(quote_spanned! {range.key.span()=>
                const _: () = #ox::range_applies::<#ty>();
            });
        }
        if let Some(length) = &options.length {
            items.push(quote_spanned! {length.key.span()=>
                const _: () = #ox::length_applies::<#ty>();
            });
        }
        if let Some(key) = options.key("pattern") {
            items.push(quote_spanned! {key.span()=>
                const _: () = #ox::pattern_applies::<#ty>();
            });
        }
    }
    quote!(#(#items)*)
}

/// `<T as Extractor<_>>::READS_BODY` for an extractor parameter: a constant.
///
/// `_` lets rustc infer `Via` from the one impl the type has, also for a parameter marked
/// `#[body]`: naming `ViaBody` there would turn one error for a type that is no extractor
/// (say `Json<T>` of a `T` without `#[model]`) into one for each bound it misses, twice.
fn reads_body(param: &Param, ox: &TokenStream) -> TokenStream {
    trait_item(&param.ty, &quote!(#ox::Extractor<_>), "READS_BODY").0
}

/// `<ty as trait_>::item`, spanned so that rustc reports an unmet `ty: trait_` once, at `ty`;
/// also returns the span to give what follows the path (a call's arguments).
///
/// rustc points that error at the type where a constant is named, but at the whole call
/// where a function is called, and shows both, as they differ. On stable a macro cannot make
/// one span over several tokens; so the path's first token gets the span of the type's first
/// token, and its last token (and the call's) that of the type's last: the call then covers
/// exactly the type, and the errors, now alike, are shown once.
fn trait_item(ty: &syn::Type, trait_: &TokenStream, item: &str) -> (TokenStream, Span) {
    let mut tokens = ty.to_token_stream().into_iter();
    let start = tokens
        .next()
        .map_or_else(Span::call_site, |token| token.span());
    let end = tokens.last().map_or(start, |token| token.span());
    let open = quote_spanned!(start=> <);
    let item = Ident::new(item, end);
    (quote!(#open #ty as #trait_>::#item), end)
}

/// Rejects, at compile time, a second parameter that reads the body, and a `#[body]`
/// parameter that does not: `const`s that panic, written at the parameter to blame, since
/// rustc reports a panic in a `const` where the panic is written.
///
/// The macro itself cannot see either mistake (a user's type may implement `FromRequest`), so
/// it asks each extractor's `READS_BODY`. One `const` for each kind of mistake: evaluation
/// stops at the first panic, so a handler gets one error for it. The `const`'s name is what
/// rustc's error shows ("evaluation of `..::AT_MOST_ONE_PARAMETER_READS_THE_BODY` failed").
fn generate_body_checks(route: &Route, ox: &TokenStream) -> TokenStream {
    let readers: Vec<&Param> = route
        .params
        .iter()
        .filter(|param| matches!(param.source, Source::Extractor | Source::Body))
        .collect();
    let mut one_body = Vec::new();
    for (index, later) in readers.iter().enumerate().skip(1) {
        let later_reads = reads_body(later, ox);
        let span = later.ty.span();
        let earlier = readers[..index].iter().map(|earlier| {
            let reads = reads_body(earlier, ox);
            let message = format!(
                "two parameters read the request body (`{}` and `{}`); a request has one body, \
                 so keep one of them",
                earlier.name, later.name
            );
            quote_spanned!(span=> if #reads { ::core::panic!(#message) })
        });
        one_body.push(quote_spanned! {span=> if #later_reads { #(#earlier)* } });
    }
    let one_body = (!one_body.is_empty()).then(|| {
        quote! { const AT_MOST_ONE_PARAMETER_READS_THE_BODY: () = { #(#one_body)* }; }
    });
    // The macro allows one `#[body]` parameter at most.
    let marked = readers
        .iter()
        .find(|param| matches!(param.source, Source::Body))
        .map(|param| {
            let reads = reads_body(param, ox);
            let message = format!(
                "`{}` is marked `#[body]`, but its type reads the request head (it implements \
                 `FromRequestParts`, not `FromRequest`); remove `#[body]`",
                param.name
            );
            quote_spanned! {param.ty.span()=>
                const THE_BODY_PARAMETER_READS_THE_BODY: () = if !#reads { ::core::panic!(#message) };
            }
        });
    quote!(#one_body #marked)
}

fn is_vec(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Vec"))
}
