//! Runs the todo service: `todo [--database-url URL | --memory] [--data-dir DIR]
//! [--max-connections N] [--bind ADDR] …`, or `todo openapi` to print its document.

use std::process::ExitCode;

use todo::config::{self, Env};

fn main() -> ExitCode {
    match config::parse(std::env::args().skip(1), Env::from_process()) {
        Ok((database, rest)) => todo::app(database).run_with_args(rest),
        Err(message) => {
            eprintln!("error: {message}\n\n{}", config::USAGE);
            ExitCode::from(2)
        }
    }
}
