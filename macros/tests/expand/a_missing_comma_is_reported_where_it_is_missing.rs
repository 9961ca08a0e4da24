async fn x() {}
::core::compile_error! {
    "expected `,` after the path"
}
::core::compile_error! {
    "expected `=` or `,` after `hidden`"
}
::core::compile_error! {
    "expected an option after `,`"
}
