//! Runs the bookshop service: `bookshop [--bind ADDR]`, or `bookshop openapi` to print its
//! document.

fn main() -> std::process::ExitCode {
    bookshop::app().run()
}
