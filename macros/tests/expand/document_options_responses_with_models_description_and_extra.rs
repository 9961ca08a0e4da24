#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
async fn create_item(item: Json<Item>) -> Json<Item> {
    item
}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct create_item {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for create_item {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "POST",
            path: "/items",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "create_item",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "createItem",
                    summary: ::core::option::Option::None,
                    description: ::core::option::Option::None,
                    tags: &[],
                    deprecated: false,
                    dispatch: ::oxapi::__private::Dispatch::EventLoop,
                    status: ::core::option::Option::Some(201u16),
                    responses: &[(410u16, "Gone.")],
                    response_description: ::core::option::Option::Some(
                        "The stored item.",
                    ),
                    extra: ::core::option::Option::Some("{\"x-internal\": true}"),
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
            let mut __oxapi_arg0 = ::core::option::Option::None;
            if !<Json<Item> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg0 = __oxapi_rejections
                    .take(
                        <Json<
                            Item,
                        > as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            if <Json<Item> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg0 = __oxapi_rejections
                    .take(
                        <Json<
                            Item,
                        > as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            let (::core::option::Option::Some(__oxapi_arg0),) = (__oxapi_arg0,) else {
                return ::oxapi::__private::respond(
                    &__oxapi_ctx,
                    "POST",
                    __oxapi_rejections.into_response(),
                );
            };
            let __oxapi_output = create_item(__oxapi_arg0).await;
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "POST",
                <Json<
                    Item,
                > as ::oxapi::__private::IntoResponse>::into_response_with_status(
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
        ::oxapi::__private::response_model::<
            Message,
        >(__oxapi_op, 404u16, ::core::option::Option::None);
        ::oxapi::__private::response_model::<
            Conflict,
        >(__oxapi_op, 409u16, ::core::option::Option::Some("Already there."));
        <Json<Item> as ::oxapi::__private::Extractor<_>>::describe(__oxapi_op);
        <Json<Item> as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
};
