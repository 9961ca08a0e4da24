//! Runs the hello service: `hello [--bind ADDR]`.

fn main() -> std::process::ExitCode {
    hello::app().run()
}
