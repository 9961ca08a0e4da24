fn f() {}
::core::compile_error! {
    "`#[route]` needs a method and a path: `#[route(method = \"PURGE\", path = \"/cache\")]`"
}
