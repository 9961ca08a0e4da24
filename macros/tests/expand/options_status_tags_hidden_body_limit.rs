#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
#[deprecated]
async fn upload(data: Bytes) -> StatusCode {
    StatusCode::CREATED
}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct upload {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for upload {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "POST",
            path: "/uploads",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "upload",
                module_path: ::core::module_path!(),
                hidden: true,
                body_limit: ::core::option::Option::Some(1048576u64),
                timeout_ms: ::core::option::Option::Some(120000u64),
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "createUpload",
                    summary: ::core::option::Option::None,
                    description: ::core::option::Option::None,
                    tags: &["files", "uploads"],
                    deprecated: true,
                    dispatch: ::oxapi::__private::Dispatch::EventLoop,
                    status: ::core::option::Option::Some(201u16),
                    responses: &[(409u16, "Already exists")],
                    response_description: ::core::option::Option::None,
                    extra: ::core::option::Option::None,
                    operation_id_given: true,
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
        let mut __oxapi_incoming = ::oxapi::__private::Incoming::new(__oxapi_request);
        ::oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::oxapi::__private::RouteContext::request(&__oxapi_route);
            let __oxapi_arg0 = __oxapi_rejections
                .take(
                    <Bytes as ::oxapi::__private::Extractor<
                        _,
                    >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                        .await,
                );
            let (::core::option::Option::Some(__oxapi_arg0),) = (__oxapi_arg0,) else {
                return ::oxapi::__private::respond(
                    &__oxapi_ctx,
                    "POST",
                    __oxapi_rejections.into_response(),
                );
            };
            let __oxapi_output = upload(__oxapi_arg0).await;
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "POST",
                <StatusCode as ::oxapi::__private::IntoResponse>::into_response_with_status(
                    __oxapi_output,
                    {
                        const __OXAPI_STATUS: ::oxapi::__private::http::StatusCode = ::oxapi::__private::status(
                            201u16,
                        );
                        __OXAPI_STATUS
                    },
                ),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        <Bytes as ::oxapi::__private::Extractor<_>>::describe(__oxapi_op);
        <StatusCode as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
    const THE_BODY_PARAMETER_READS_THE_BODY: () = if !<Bytes as ::oxapi::__private::Extractor<
        _,
    >>::READS_BODY {
        ::core::panic!(
            "`data` is marked `#[body]`, but its type reads the request head (it implements `FromRequestParts`, not `FromRequest`); remove `#[body]`"
        )
    };
};
