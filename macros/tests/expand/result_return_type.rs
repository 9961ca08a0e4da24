#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
async fn read_item(id: u64, db: State<Db>) -> Result<Json<Item>, ApiError> {
    db.find(id)
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
            path: "/items/{id}",
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
    fn __oxapi_handler(
        __oxapi_request: ::oxapi::__private::Request,
        __oxapi_path: ::oxapi::__private::PathParams,
        __oxapi_route: &::oxapi::__private::RouteHandle,
    ) -> ::oxapi::__private::HandlerFuture {
        let __oxapi_route = ::core::clone::Clone::clone(__oxapi_route);
        let mut __oxapi_rejections = ::oxapi::__private::Rejections::new();
        let mut __oxapi_incoming = ::oxapi::__private::Incoming::new(__oxapi_request);
        let __oxapi_arg0 = ::oxapi::__private::path_param::<
            u64,
        >(
            &__oxapi_incoming.parts().uri,
            &__oxapi_path,
            0usize,
            "id",
            &mut __oxapi_rejections,
        );
        ::oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::oxapi::__private::RouteContext::request(&__oxapi_route);
            let mut __oxapi_arg1 = ::core::option::Option::None;
            if !<State<Db> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg1 = __oxapi_rejections
                    .take(
                        <State<
                            Db,
                        > as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            if <State<Db> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg1 = __oxapi_rejections
                    .take(
                        <State<
                            Db,
                        > as ::oxapi::__private::Extractor<
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
                    "GET",
                    __oxapi_rejections.into_response(),
                );
            };
            let __oxapi_output = read_item(__oxapi_arg0, __oxapi_arg1).await;
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "GET",
                <Result<
                    Json<Item>,
                    ApiError,
                > as ::oxapi::__private::IntoResponse>::into_response(__oxapi_output),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        __oxapi_op.param::<u64>(::oxapi::__private::ParamLocation::Path, "id", true);
        <State<Db> as ::oxapi::__private::Extractor<_>>::describe(__oxapi_op);
        <Result<
            Json<Item>,
            ApiError,
        > as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
};
