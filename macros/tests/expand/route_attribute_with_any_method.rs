#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
async fn purge(key: String) -> StatusCode {
    StatusCode::NO_CONTENT
}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct purge {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for purge {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "PURGE",
            path: "/cache/{*key}",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "purge",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "purge",
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
        let __oxapi_arg0 = ::oxapi::__private::path_param::<
            String,
        >(__oxapi_request.uri(), &__oxapi_path, 0usize, "key", &mut __oxapi_rejections);
        ::oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::oxapi::__private::RouteContext::request(&__oxapi_route);
            let (::core::option::Option::Some(__oxapi_arg0),) = (__oxapi_arg0,) else {
                return ::oxapi::__private::respond(
                    &__oxapi_ctx,
                    "PURGE",
                    __oxapi_rejections.into_response(),
                );
            };
            let __oxapi_output = purge(__oxapi_arg0).await;
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "PURGE",
                <StatusCode as ::oxapi::__private::IntoResponse>::into_response(
                    __oxapi_output,
                ),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        __oxapi_op.param::<String>(::oxapi::__private::ParamLocation::Path, "key", true);
        <StatusCode as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
};
