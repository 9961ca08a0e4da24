#[deny(unused_must_use)]
#[allow(clippy::too_many_arguments)]
/// Chat in a room.
async fn chat(
    room: String,
    user: User,
    socket: WebSocket<ClientMsg, ServerMsg>,
) -> Result<(), ApiError> {
    serve(room, user, socket).await
}
#[doc(hidden)]
#[allow(
    non_camel_case_types,
    dead_code,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub
)]
struct chat {}
#[doc(hidden)]
#[allow(non_snake_case, unused_mut, unused_variables, deprecated, clippy::all)]
const _: () = {
    impl ::oxapi::__private::Route for chat {
        const ROUTE: ::oxapi::__private::RouteDef = ::oxapi::__private::RouteDef {
            method: "GET",
            path: "/ws/{room}",
            handler: __oxapi_handler,
            describe: __oxapi_describe,
            meta: ::oxapi::__private::RouteMeta {
                fn_name: "chat",
                module_path: ::core::module_path!(),
                hidden: false,
                body_limit: ::core::option::Option::None,
                timeout_ms: ::core::option::Option::None,
                operation: ::oxapi::__private::OperationMeta {
                    operation_id: "chat",
                    summary: ::core::option::Option::Some("Chat in a room."),
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
            String,
        >(
            &__oxapi_incoming.parts().uri,
            &__oxapi_path,
            0usize,
            "room",
            &mut __oxapi_rejections,
        );
        ::oxapi::__private::boxed_handler_future(async move {
            let __oxapi_ctx = ::oxapi::__private::RouteContext::request(&__oxapi_route);
            let mut __oxapi_arg1 = ::core::option::Option::None;
            if !<User as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg1 = __oxapi_rejections
                    .take(
                        <User as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
            let __oxapi_arg2 = __oxapi_rejections
                .take(
                    ::oxapi::__private::websocket_upgrade(
                        __oxapi_incoming.parts(),
                        &__oxapi_ctx,
                    ),
                );
            if <User as ::oxapi::__private::Extractor<_>>::READS_BODY {
                __oxapi_arg1 = __oxapi_rejections
                    .take(
                        <User as ::oxapi::__private::Extractor<
                            _,
                        >>::extract(&mut __oxapi_incoming, &__oxapi_ctx)
                            .await,
                    );
            }
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
            ::oxapi::__private::respond(
                &__oxapi_ctx,
                "GET",
                ::oxapi::__private::WebSocketUpgrade::on_upgrade::<
                    WebSocket<ClientMsg, ServerMsg>,
                    _,
                    _,
                    _,
                >(
                    __oxapi_arg2,
                    move |__oxapi_arg2: WebSocket<ClientMsg, ServerMsg>| chat(
                        __oxapi_arg0,
                        __oxapi_arg1,
                        __oxapi_arg2,
                    ),
                ),
            )
        })
    }
    fn __oxapi_describe(__oxapi_op: &mut ::oxapi::__private::OperationDoc<'_>) {
        __oxapi_op
            .param::<String>(::oxapi::__private::ParamLocation::Path, "room", true);
        <User as ::oxapi::__private::Extractor<_>>::describe(__oxapi_op);
        <WebSocket<
            ClientMsg,
            ServerMsg,
        > as ::oxapi::__private::Socket<_>>::describe(__oxapi_op);
    }
};
