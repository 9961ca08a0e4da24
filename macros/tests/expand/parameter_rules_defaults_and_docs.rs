#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
async fn read_item(item_id: u32, limit: u32, q: Option<String>) -> String {
    format!("{item_id} {limit} {q:?}")
}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct read_item {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for read_item {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "GET",
            path: "/items/{item_id}",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "read_item",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "read_item",
                    summary: ::core::option::Option::None,
                    description: ::core::option::Option::None,
                    tags: &[],
                    deprecated: false,
                    dispatch: ::oxapi::__private::Dispatch::EventLoop,
                    status: ::core::option::Option::None,
                    responses: &[],
                    response_description: ::core::option::Option::None,
                    extra: ::core::option::Option::None,
                    operation_id_given: false,
                },
            },
        };
    }
    const __OXAPI_RULES_0: ::oxapi::__private::ParamRules = ::oxapi::__private::ParamRules {
        minimum: ::core::option::Option::Some(::oxapi::__private::Number::Int(1)),
        exclusive_minimum: ::core::option::Option::None,
        maximum: ::core::option::Option::Some(::oxapi::__private::Number::Int(1000)),
        exclusive_maximum: ::core::option::Option::None,
        min_length: ::core::option::Option::None,
        max_length: ::core::option::Option::None,
        pattern: ::core::option::Option::None,
    };
    const _: () = ::oxapi::__private::range_applies::<u32>();
    const __OXAPI_RULES_1: ::oxapi::__private::ParamRules = ::oxapi::__private::ParamRules {
        minimum: ::core::option::Option::Some(::oxapi::__private::Number::Int(1)),
        exclusive_minimum: ::core::option::Option::None,
        maximum: ::core::option::Option::None,
        exclusive_maximum: ::core::option::Option::Some(
            ::oxapi::__private::Number::Float(100.5),
        ),
        min_length: ::core::option::Option::None,
        max_length: ::core::option::Option::None,
        pattern: ::core::option::Option::None,
    };
    const _: () = ::oxapi::__private::range_applies::<u32>();
    const __OXAPI_RULES_2: ::oxapi::__private::ParamRules = ::oxapi::__private::ParamRules {
        minimum: ::core::option::Option::None,
        exclusive_minimum: ::core::option::Option::None,
        maximum: ::core::option::Option::None,
        exclusive_maximum: ::core::option::Option::None,
        min_length: ::core::option::Option::None,
        max_length: ::core::option::Option::Some(50u64),
        pattern: ::core::option::Option::Some("^[a-z]+$"),
    };
    static __OXAPI_PATTERN_2: ::oxapi::__private::Pattern = ::oxapi::__private::Pattern::new(
        "^[a-z]+$",
    );
    const _: () = ::oxapi::__private::length_applies::<Option<String>>();
    const _: () = ::oxapi::__private::pattern_applies::<Option<String>>();
    fn __oxapi_handler(
        __oxapi_request: ::oxapi::__private::Request,
        __oxapi_path: ::oxapi::__private::PathParams,
        __oxapi_route: &::oxapi::__private::RouteHandle,
    ) -> ::oxapi::__private::HandlerFuture {
        let __oxapi_route = ::core::clone::Clone::clone(__oxapi_route);
        let mut __oxapi_rejections = ::oxapi::__private::Rejections::new();
        let (__oxapi_head, _) = __oxapi_request.into_parts();
        let __oxapi_arg0 = ::oxapi::__private::path_param::<
            u32,
        >(&__oxapi_head.uri, &__oxapi_path, 0usize, "item_id", &mut __oxapi_rejections)
            .and_then(|__oxapi_value| {
                __oxapi_rejections
                    .take(
                        ::oxapi::__private::check_param(
                                &__oxapi_value,
                                &__OXAPI_RULES_0,
                                ::core::option::Option::None,
                                "path.item_id",
                            )
                            .map(|()| __oxapi_value),
                    )
            });
        ::oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::oxapi::__private::RouteContext::request(&__oxapi_route);
            let __oxapi_arg1 = __oxapi_rejections
                .take(
                    ::oxapi::__private::query_param::<
                        ::core::option::Option<u32>,
                    >(&__oxapi_head, "limit")
                        .map(|__oxapi_value| {
                            __oxapi_value
                                .unwrap_or_else(|| ::oxapi::__private::DefaultValue::<
                                    u32,
                                >::into_default(10))
                        })
                        .and_then(|__oxapi_value| {
                            ::oxapi::__private::check_param(
                                    &__oxapi_value,
                                    &__OXAPI_RULES_1,
                                    ::core::option::Option::None,
                                    "query.limit",
                                )
                                .map(|()| __oxapi_value)
                        }),
                );
            let __oxapi_arg2 = __oxapi_rejections
                .take(
                    ::oxapi::__private::query_param::<
                        Option<String>,
                    >(&__oxapi_head, "item-query")
                        .and_then(|__oxapi_value| {
                            ::oxapi::__private::check_param(
                                    &__oxapi_value,
                                    &__OXAPI_RULES_2,
                                    ::core::option::Option::Some(&__OXAPI_PATTERN_2),
                                    "query.item-query",
                                )
                                .map(|()| __oxapi_value)
                        }),
                );
            let (
                ::core::option::Option::Some(__oxapi_arg0),
                ::core::option::Option::Some(__oxapi_arg1),
                ::core::option::Option::Some(__oxapi_arg2),
            ) = (__oxapi_arg0, __oxapi_arg1, __oxapi_arg2) else {
                return ::oxapi::__private::respond(
                    &__oxapi_ctx,
                    "GET",
                    __oxapi_rejections.into_response(),
                );
            };
            let __oxapi_output = read_item(__oxapi_arg0, __oxapi_arg1, __oxapi_arg2)
                .await;
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "GET",
                <String as ::oxapi::__private::IntoResponse>::into_response(
                    __oxapi_output,
                ),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        __oxapi_op
            .param_with::<
                u32,
            >(
                ::oxapi::__private::ParamLocation::Path,
                "item_id",
                true,
                ::oxapi::__private::ParamDoc {
                    description: ::core::option::Option::None,
                    deprecated: false,
                    default: ::core::option::Option::None,
                    example: ::core::option::Option::None,
                    rules: __OXAPI_RULES_0,
                },
            );
        __oxapi_op
            .param_with::<
                u32,
            >(
                ::oxapi::__private::ParamLocation::Query,
                "limit",
                false,
                ::oxapi::__private::ParamDoc {
                    description: ::core::option::Option::Some("Page size."),
                    deprecated: false,
                    default: ::oxapi::__private::to_json::<
                        u32,
                    >(&::oxapi::__private::DefaultValue::<u32>::into_default(10)),
                    example: ::core::option::Option::None,
                    rules: __OXAPI_RULES_1,
                },
            );
        __oxapi_op
            .param_with::<
                String,
            >(
                ::oxapi::__private::ParamLocation::Query,
                "item-query",
                false,
                ::oxapi::__private::ParamDoc {
                    description: ::core::option::Option::None,
                    deprecated: true,
                    default: ::core::option::Option::None,
                    example: ::core::option::Option::None,
                    rules: __OXAPI_RULES_2,
                },
            );
        <String as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
};
