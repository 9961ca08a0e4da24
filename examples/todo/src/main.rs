//! Runs the todo service: `todo [--database-url URL | --memory] [--data-dir DIR]
//! [--max-connections N] [--jwt-secret SECRET] [--bind ADDR] …`, or `todo openapi` to print
//! its document.

use std::process::ExitCode;

use todo::config::{self, Env};

fn main() -> ExitCode {
    match config::parse(std::env::args().skip(1), Env::from_process()) {
        Ok((config, rest)) => {
            let help = rest.iter().any(|arg| arg == "--help" || arg == "-h");
            if help {
                // The service's own options, before oxapi prints its usage and exits.
                println!("{}\n", config::USAGE);
            }
            let serving = !help && !rest.iter().any(|arg| arg == "openapi");
            if config.ephemeral_secret && serving {
                eprintln!(
                    "warning: no --jwt-secret or $TODO_JWT_SECRET: tokens are signed with a key \
                     made up now; they end with this process and other instances refuse them"
                );
            }
            todo::app(config).run_with_args(rest)
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{}", config::USAGE);
            ExitCode::from(2)
        }
    }
}
