async fn x() {}
::core::compile_error! {
    "expected the route's path as a string literal, for example `\"/items/{id}\"`"
}
::core::compile_error! {
    "`tags` takes a list of strings: `tags = [\"items\"]`"
}
