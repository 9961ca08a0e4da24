async fn x() {}
::core::compile_error! {
    "`status` takes a status code: `status = 201`"
}
::core::compile_error! {
    "`tags` takes a list of strings: `tags = [\"items\"]`"
}
::core::compile_error! {
    "unknown route option `unknown` (valid options: `tags`, `status`, `operation_id`, `hidden`, `body_limit`, `timeout`, `allow_blocking`, `responses`, `response_description`, `openapi_extra`, `crate`)"
}
