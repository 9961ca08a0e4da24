//! Runs the todo service: `todo [--database-url URL | --memory] [--data-dir DIR]
//! [--max-connections N] [--jwt-secret SECRET] [--bind ADDR] …`, or `todo openapi` to print
//! its document.

use std::process::ExitCode;

fn main() -> ExitCode {
    todo::main()
}
