fn f<T>(a: Json<A>, b: Json<B>) {}
::core::compile_error! {
    "unknown route option `stauts`: did you mean `status`? (valid options: `tags`, `status`, `operation_id`, `hidden`, `body_limit`, `timeout`, `allow_blocking`, `responses`, `response_description`, `openapi_extra`, `crate`)"
}
::core::compile_error! {
    "a handler cannot be generic: oxapi generates one concrete route per function; remove the generic parameters and name concrete types"
}
::core::compile_error! {
    "two parameters read the request body (`a` and `b`); a request has one body, so keep one of them"
}
::core::compile_error! {
    "path placeholder `{id}` has no matching parameter: add a parameter `id: T` to `f`, or rename the placeholder"
}
