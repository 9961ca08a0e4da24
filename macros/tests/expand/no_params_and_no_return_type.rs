#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
async fn clear_cache() {}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct clear_cache {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for clear_cache {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "DELETE",
            path: "/cache",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "clear_cache",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "clear_cache",
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
    fn __oxapi_handler(
        __oxapi_request: ::oxapi::__private::Request,
        __oxapi_path: ::oxapi::__private::PathParams,
        __oxapi_route: &::oxapi::__private::RouteHandle,
    ) -> ::oxapi::__private::HandlerFuture {
        let __oxapi_route = ::core::clone::Clone::clone(__oxapi_route);
        let mut __oxapi_rejections = ::oxapi::__private::Rejections::new();
        ::oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::oxapi::__private::RouteContext::request(&__oxapi_route);
            let __oxapi_output = clear_cache().await;
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "DELETE",
                <() as ::oxapi::__private::IntoResponse>::into_response(__oxapi_output),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        <() as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
};
