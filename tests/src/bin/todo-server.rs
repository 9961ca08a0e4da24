//! The todo service as a process of this package, for tests that signal it
//! (`tests/e2e/todo_jobs.rs`): the same `main` as `examples/todo`'s binary.

fn main() -> std::process::ExitCode {
    todo::main()
}
