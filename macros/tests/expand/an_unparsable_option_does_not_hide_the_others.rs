async fn x() {}
::core::compile_error! {
    "`tags` takes a list of strings: `tags = [\"items\"]`"
}
::core::compile_error! {
    "`hidden` takes no value: write `hidden`"
}
::core::compile_error! {
    "expected `,` after the value of `status`"
}
::core::compile_error! {
    "expected `STATUS = \"description\"`, `STATUS = Model` or `STATUS = (\"description\", Model)`, like `404 = \"No such item\"`"
}
::core::compile_error! {
    "unknown route option `stauts`: did you mean `status`? (valid options: `tags`, `status`, `operation_id`, `hidden`, `body_limit`, `timeout`, `allow_blocking`, `responses`, `response_description`, `openapi_extra`, `crate`)"
}
