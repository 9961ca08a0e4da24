#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
async fn health() -> &'static str {
    "ok"
}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct health {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::my_oxapi::__private::Route for health {
        const ROUTE: ::my_oxapi::__private::RouteDef = ::my_oxapi::__private::RouteDef {
            method: "GET",
            path: "/health",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::my_oxapi::__private::RouteMeta {
                fn_name: "health",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::my_oxapi::__private::OperationMeta {
                    operation_id: "health",
                    summary: ::core::option::Option::None,
                    description: ::core::option::Option::None,
                    tags: &[],
                    deprecated: false,
                    dispatch: ::my_oxapi::__private::Dispatch::EventLoop,
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
        __oxapi_request: ::my_oxapi::__private::Request,
        __oxapi_path: ::my_oxapi::__private::PathParams,
        __oxapi_route: &::my_oxapi::__private::RouteHandle,
    ) -> ::my_oxapi::__private::HandlerFuture {
        let __oxapi_route = ::core::clone::Clone::clone(__oxapi_route);
        let mut __oxapi_rejections = ::my_oxapi::__private::Rejections::new();
        ::my_oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::my_oxapi::__private::RouteContext::request(
                &__oxapi_route,
            );
            let __oxapi_output = health().await;
            ::my_oxapi::__private::respond(
                &__oxapi_ctx,
                "GET",
                <&'static str as ::my_oxapi::__private::IntoResponse>::into_response(
                    __oxapi_output,
                ),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::my_oxapi::__private::OperationDoc<'_>) {
        <&'static str as ::my_oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
};
