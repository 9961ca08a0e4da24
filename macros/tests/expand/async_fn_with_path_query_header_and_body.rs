#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
/// Replace one item.
///
/// The whole item is replaced.
pub async fn replace_item(
    id: u64,
    dry_run: Option<bool>,
    request_id: Option<String>,
    page: Query<Page>,
    item: Json<Item>,
) -> Json<Item> {
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
pub struct replace_item {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for replace_item {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "PUT",
            path: "/items/{id}",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "replace_item",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "replace_item",
                    summary: ::core::option::Option::Some("Replace one item."),
                    description: ::core::option::Option::Some(
                        "The whole item is replaced.",
                    ),
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
            let __oxapi_arg1 = __oxapi_rejections
                .take(
                    ::oxapi::__private::query_param::<
                        Option<bool>,
                    >(__oxapi_incoming.parts(), "dry_run"),
                );
            let __oxapi_arg2 = __oxapi_rejections
                .take(
                    ::oxapi::__private::header_param::<
                        Option<String>,
                    >(__oxapi_incoming.parts(), "x-request-id"),
                );
            let mut __oxapi_arg3 = ::core::option::Option::None;
            if !<Query<Page> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg3 = __oxapi_rejections
                    .take(
                        <Query<
                            Page,
                        > as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            let mut __oxapi_arg4 = ::core::option::Option::None;
            if !<Json<Item> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg4 = __oxapi_rejections
                    .take(
                        <Json<
                            Item,
                        > as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            if <Query<Page> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg3 = __oxapi_rejections
                    .take(
                        <Query<
                            Page,
                        > as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            if <Json<Item> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg4 = __oxapi_rejections
                    .take(
                        <Json<
                            Item,
                        > as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            let (
                ::core::option::Option::Some(__oxapi_arg0),
                ::core::option::Option::Some(__oxapi_arg1),
                ::core::option::Option::Some(__oxapi_arg2),
                ::core::option::Option::Some(__oxapi_arg3),
                ::core::option::Option::Some(__oxapi_arg4),
            ) = (__oxapi_arg0, __oxapi_arg1, __oxapi_arg2, __oxapi_arg3, __oxapi_arg4)
            else {
                return ::oxapi::__private::respond(
                    &__oxapi_ctx,
                    "PUT",
                    __oxapi_rejections.into_response(),
                );
            };
            let __oxapi_output = replace_item(
                    __oxapi_arg0,
                    __oxapi_arg1,
                    __oxapi_arg2,
                    __oxapi_arg3,
                    __oxapi_arg4,
                )
                .await;
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "PUT",
                <Json<
                    Item,
                > as ::oxapi::__private::IntoResponse>::into_response(__oxapi_output),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        __oxapi_op.param::<u64>(::oxapi::__private::ParamLocation::Path, "id", true);
        __oxapi_op
            .param::<bool>(::oxapi::__private::ParamLocation::Query, "dry_run", false);
        __oxapi_op
            .param::<
                String,
            >(::oxapi::__private::ParamLocation::Header, "x-request-id", false);
        <Query<Page> as ::oxapi::__private::Extractor<_>>::describe(__oxapi_op);
        <Json<Item> as ::oxapi::__private::Extractor<_>>::describe(__oxapi_op);
        <Json<Item> as ::oxapi::__private::IntoResponse>::describe(__oxapi_op);
    }
    const AT_MOST_ONE_PARAMETER_READS_THE_BODY: () = {
        if <Json<Item> as ::oxapi::__private::Extractor<_>>::READS_BODY {
            if <Query<Page> as ::oxapi::__private::Extractor<_>>::READS_BODY {
                ::core::panic!(
                    "two parameters read the request body (`page` and `item`); a request has one body, so keep one of them"
                )
            }
        }
    };
};
