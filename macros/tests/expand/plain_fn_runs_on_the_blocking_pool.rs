#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
fn hash(session: String, body: Bytes) -> String {
    digest(&session, &body)
}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct hash {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for hash {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "POST",
            path: "/hash",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "hash",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "hash",
                    summary: ::core::option::Option::None,
                    description: ::core::option::Option::None,
                    tags: &[],
                    deprecated: false,
                    dispatch: ::oxapi::__private::Dispatch::BlockingPool,
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
        let mut __oxapi_incoming = ::oxapi::__private::Incoming::new(__oxapi_request);
        ::oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::oxapi::__private::RouteContext::request(&__oxapi_route);
            let __oxapi_arg0 = __oxapi_rejections
                .take(
                    ::oxapi::__private::cookie_param::<
                        String,
                    >(__oxapi_incoming.parts(), "session"),
                );
            let mut __oxapi_arg1 = ::core::option::Option::None;
            if !<Bytes as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg1 = __oxapi_rejections
                    .take(
                        <Bytes as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            if <Bytes as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg1 = __oxapi_rejections
                    .take(
                        <Bytes as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            let (
                ::core::option::Option::Some(__oxapi_arg0),
                ::core::option::Option::Some(__oxapi_arg1),
            ) = (__oxapi_arg0, __oxapi_arg1) else {
                return ::oxapi::__private::respond(
                    &__oxapi_ctx,
                    "POST",
                    __oxapi_rejections.into_response(),
                );
            };
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "POST",
                ::oxapi::__private::run_blocking(
                        &__oxapi_ctx,
                        move || {
                            let __oxapi_output = hash(__oxapi_arg0, __oxapi_arg1);
                            <String as ::oxapi::__private::IntoResponse>::into_response(
                                __oxapi_output,
                            )
                        },
                    )
                    .await,
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        __oxapi_op
            .param::<String>(::oxapi::__private::ParamLocation::Cookie, "session", true);
        <Bytes as ::oxapi::__private::Extractor<_>>::describe(__oxapi_op);
        <String as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
};
