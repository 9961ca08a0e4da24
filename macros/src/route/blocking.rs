//! Finds calls that block the thread in the body of an `async fn` handler, which runs on the
//! event loop: `std::thread::sleep`, `std::fs::read`, `std::net::TcpStream::connect`, ...
//! (the table is in [`calls`]). Each is an error at the call, saying what to use instead.
//!
//! Only the handler's own body is read: a call hidden inside another function is the stall
//! detector's to report, at run time. Not read either: nested items (they run when called)
//! and what is handed to `spawn_blocking`, `block_in_place` or `std::thread::spawn` (it runs
//! on another thread). Closures and `async` blocks are read: they usually run where they are
//! written, on the event loop.

mod calls;

use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, ExprCall, ExprMethodCall, Item, Local, Macro, Pat, Token};

use super::Kind;
use crate::errors::Errors;

/// Reports every known blocking call in `body`, the handler's block as written.
///
/// A body that does not parse is left to rustc, which reports it better.
pub(crate) fn check(kind: Kind, body: &TokenStream, errors: &mut Errors) {
    let Ok(block) = syn::parse2::<syn::Block>(body.clone()) else {
        return;
    };
    let mut walker = Walker {
        kind,
        usage: Usage::Unknown,
        errors,
    };
    walker.visit_block(&block);
}

/// How the value of an expression is used, as far as its surroundings tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Usage {
    /// Nothing tells: bound to a name, passed on, returned. A future could be (and be awaited
    /// later, or by `tokio::join!`), so only a call that cannot be tokio's is reported.
    #[default]
    Unknown,
    /// As a `Result` (or an iterator, or a value to destructure), which no future is: with
    /// `?`, `.unwrap()`, `.expect(..)`, in `match`, `if let`, `for`, a destructuring `let`.
    Result,
    /// `.await`ed: a future, so never a blocking call.
    Awaited,
}

/// Methods that a `Result` or an `Option` has and a future has not: what they are called on
/// is used as a result.
const RESULT_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_err",
    "expect_err",
    "is_ok",
    "is_err",
    "is_ok_and",
    "is_err_and",
    "ok",
    "err",
];

/// Functions and methods whose arguments run on another thread, by the end of their path
/// (a method by its name): these are where blocking work belongs.
const RUNS_ELSEWHERE: &[&[&str]] = &[
    &["spawn_blocking"],
    &["block_in_place"],
    &["thread", "spawn"],
];

/// Walks a handler's body, carrying how the expression it is about to visit is used.
struct Walker<'e> {
    kind: Kind,
    /// How the next expression visited is used; read (and reset) as it is visited.
    usage: Usage,
    errors: &'e mut Errors,
}

impl Walker<'_> {
    /// Visits `expr`, used as `usage`.
    fn visit_used(&mut self, expr: &Expr, usage: Usage) {
        self.usage = usage;
        self.visit_expr(expr);
    }

    fn visit_call(&mut self, call: &ExprCall, usage: Usage) {
        if let Expr::Path(func) = &*call.func
            && runs_elsewhere(&calls::segments(&func.path))
        {
            return;
        }
        if usage != Usage::Awaited
            && let Some(found) = calls::blocking_call(call, usage)
        {
            self.report(call, &found);
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_method_call(&mut self, call: &ExprMethodCall, usage: Usage) {
        let method = call.method.to_string();
        if runs_elsewhere(std::slice::from_ref(&method)) {
            self.visit_expr(&call.receiver);
            return;
        }
        if usage != Usage::Awaited
            && let Some(found) = calls::blocking_method(call, usage)
        {
            self.report(call, &found);
        }
        // A chain used as a result is one all along: a method on a future gives a future
        // (`map_err`, `map`), which `?` would not take.
        let receiver = if usage == Usage::Result || RESULT_METHODS.contains(&method.as_str()) {
            Usage::Result
        } else {
            Usage::Unknown
        };
        self.visit_used(&call.receiver, receiver);
        for arg in &call.args {
            self.visit_expr(arg);
        }
    }

    fn report(&mut self, call: impl quote::ToTokens, found: &calls::Found) {
        let (place, other_way) = match self.kind {
            Kind::Http => (
                "an `async fn` handler",
                "make the handler a plain `fn` (it then runs on the blocking pool)",
            ),
            Kind::WebSocket => (
                "a WebSocket handler",
                "run it in `tokio::task::spawn_blocking(..)`",
            ),
        };
        self.errors.at(
            call,
            format!(
                "`{}` blocks the event loop in {place}; use {}, or {other_way}, or add \
                 `allow_blocking` to the route attribute",
                found.what, found.instead
            ),
        );
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        let usage = std::mem::take(&mut self.usage);
        match expr {
            Expr::Await(expr) => self.visit_used(&expr.base, Usage::Awaited),
            Expr::Try(expr) => self.visit_used(&expr.expr, Usage::Result),
            Expr::Paren(expr) => self.visit_used(&expr.expr, usage),
            Expr::Group(expr) => self.visit_used(&expr.expr, usage),
            Expr::Match(expr) => {
                self.visit_used(&expr.expr, Usage::Result);
                for arm in &expr.arms {
                    self.visit_arm(arm);
                }
            }
            Expr::Let(expr) => self.visit_used(&expr.expr, Usage::Result),
            Expr::ForLoop(expr) => {
                self.visit_used(&expr.expr, Usage::Result);
                self.visit_block(&expr.body);
            }
            Expr::Call(call) => self.visit_call(call, usage),
            Expr::MethodCall(call) => self.visit_method_call(call, usage),
            _ => visit::visit_expr(self, expr),
        }
    }

    fn visit_local(&mut self, local: &'ast Local) {
        let Some(init) = &local.init else {
            return;
        };
        let usage = if destructures(&local.pat) {
            Usage::Result
        } else {
            Usage::Unknown
        };
        self.visit_used(&init.expr, usage);
        if let Some((_, diverge)) = &init.diverge {
            self.visit_expr(diverge);
        }
    }

    /// A nested `fn`, `impl` or `mod` runs when it is called, maybe elsewhere.
    fn visit_item(&mut self, _: &'ast Item) {}

    /// A macro's arguments are read when they parse as expressions (`println!`, `assert!`,
    /// `tokio::join!`); the others (`tokio::select!`, `json!`) are left alone.
    fn visit_macro(&mut self, mac: &'ast Macro) {
        if let Ok(args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }
}

/// Whether `path` ends like one of [`RUNS_ELSEWHERE`].
fn runs_elsewhere(path: &[String]) -> bool {
    RUNS_ELSEWHERE.iter().any(|end| {
        path.len() >= end.len()
            && path[path.len() - end.len()..]
                .iter()
                .zip(*end)
                .all(|(segment, name)| segment == name)
    })
}

/// Whether a `let` pattern takes its value apart (`let Ok(x) = ..`, `let (a, b) = ..`),
/// which no future can be.
fn destructures(pat: &Pat) -> bool {
    match pat {
        Pat::TupleStruct(_) | Pat::Struct(_) | Pat::Tuple(_) | Pat::Slice(_) => true,
        Pat::Type(typed) => destructures(&typed.pat),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// What is reported in `body` (an `async fn` route's block), by the name each message
    /// gives the call.
    fn flagged(body: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        check(Kind::Http, &body, &mut errors);
        errors
            .messages()
            .iter()
            .map(|message| {
                let name = message
                    .strip_prefix('`')
                    .and_then(|rest| rest.split_once('`'));
                name.map_or_else(|| message.clone(), |(name, _)| name.to_owned())
            })
            .collect()
    }

    #[test]
    fn full_paths_are_reported_wherever_they_are_not_awaited() {
        let found = flagged(quote!({
            std::thread::sleep(Duration::from_millis(10));
            let text = ::std::fs::read_to_string(path);
            let file = std::fs::File::open(path);
            let stream = std::net::TcpStream::connect(addr);
            let listener = std::net::TcpListener::bind(addr);
            let socket = std::net::UdpSocket::bind(addr);
            let out = std::process::Command::new("ls").arg("-l").output();
            let status = std::process::Command::new("true").status();
            let done = std::process::Command::new("sleep").spawn()?.wait();
            let read = std::io::stdin().read_line(&mut line);
            let body = reqwest::blocking::get(url);
            let client = reqwest::blocking::Client::new();
            let addrs = "example.com:80".to_socket_addrs();
            let joined = std::thread::spawn(work).join();
            let opened = std::fs::OpenOptions::new().append(true).open(path);
        }));
        assert_eq!(
            found,
            [
                "std::thread::sleep",
                "std::fs::read_to_string",
                "std::fs::File::open",
                "std::net::TcpStream::connect",
                "std::net::TcpListener::bind",
                "std::net::UdpSocket::bind",
                "std::process::Command::new(..).output()",
                "std::process::Command::new(..).status()",
                "std::process::Command::new(..).wait()",
                "std::io::stdin().read_line()",
                "reqwest::blocking::get",
                "reqwest::blocking::Client::new",
                "std::net::ToSocketAddrs::to_socket_addrs",
                "std::thread::spawn(..).join()",
                "std::fs::OpenOptions::new().open()",
            ]
        );
    }

    #[test]
    fn names_only_std_has_are_reported_wherever_they_are_not_awaited() {
        let found = flagged(quote!({
            thread::sleep(delay);
            let there = fs::exists(path);
            let joined = thread::spawn(work).join();
        }));
        assert_eq!(
            found,
            [
                "std::thread::sleep",
                "std::fs::exists",
                "std::thread::spawn(..).join()"
            ]
        );
    }

    #[test]
    fn names_tokio_shares_are_reported_where_used_as_a_result() {
        let found = flagged(quote!({
            let a = fs::read(path)?;
            let b = fs::read_to_string(path).unwrap();
            let c = File::open(path).expect("open");
            match fs::metadata(path) {
                Ok(meta) => {}
                Err(error) => {}
            }
            if let Ok(entries) = fs::read_dir(path) {}
            for entry in fs::read_dir(path)? {}
            let Ok(bytes) = fs::read(path) else { return };
            let (x, y) = (fs::read(a)?, 1);
            let d = fs::read(path).map_err(ApiError::internal)?;
            let e = Command::new("ls").arg("-l").output()?;
            let f = TcpStream::connect(addr).unwrap();
            for line in io::stdin().lines() {}
            stdin().read_line(&mut line)?;
        }));
        assert_eq!(
            found,
            [
                "std::fs::read",
                "std::fs::read_to_string",
                "std::fs::File::open",
                "std::fs::metadata",
                "std::fs::read_dir",
                "std::fs::read_dir",
                "std::fs::read",
                "std::fs::read",
                "std::fs::read",
                "std::process::Command::new(..).output()",
                "std::net::TcpStream::connect",
                "std::io::stdin().lines()",
                "std::io::stdin().read_line()",
            ]
        );
    }

    #[test]
    fn names_tokio_shares_are_left_alone_where_they_may_be_futures() {
        let found = flagged(quote!({
            let a = fs::read(path).await?;
            let b = File::open(path).await.unwrap();
            let c = fs::read(path).map_err(ApiError::internal).await?;
            let d = Command::new("ls").output().await?;
            let e = TcpStream::connect(addr).await?;
            let pending = fs::read(path);
            let both = tokio::join!(fs::read(a), fs::read(b));
            let timed = tokio::time::timeout(limit, fs::read(path)).await;
            let reads = paths.iter().map(|path| fs::read(path));
            let line = io::stdin().read_line(&mut line).await?;
        }));
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn awaited_calls_and_other_crates_paths_are_never_reported() {
        let found = flagged(quote!({
            tokio::time::sleep(delay).await;
            oxapi::tokio::time::sleep(delay);
            tokio::fs::read(path).await?;
            my::fs::read(path)?;
            sleep(delay).await;
            sleep(delay);
            read(path)?;
        }));
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn work_handed_to_another_thread_is_not_read() {
        let found = flagged(quote!({
            let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(path)).await;
            let same = spawn_blocking(|| std::thread::sleep(delay)).await;
            let there = tokio::task::block_in_place(|| std::fs::read(path));
            tasks.spawn_blocking(move || std::fs::write(path, bytes));
            let handle = std::thread::spawn(move || std::thread::sleep(delay));
        }));
        assert_eq!(found, Vec::<String>::new());
    }

    #[test]
    fn closures_async_blocks_and_macro_arguments_are_read_nested_items_are_not() {
        let found = flagged(quote!({
            let read = |path| std::fs::read(path);
            tokio::spawn(async move { std::thread::sleep(delay) });
            println!("{:?}", std::fs::read_to_string(path));
            assert!(fs::metadata(path).is_ok());
            fn helper() {
                std::thread::sleep(delay);
            }
            tokio::select! {
                _ = tick => std::thread::sleep(delay),
            }
        }));
        assert_eq!(
            found,
            [
                "std::fs::read",
                "std::thread::sleep",
                "std::fs::read_to_string",
                "std::fs::metadata",
            ]
        );
    }

    #[test]
    fn a_body_that_does_not_parse_is_left_to_rustc() {
        assert_eq!(
            flagged(quote!({ let = ; std::thread::sleep(d); })),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_message_says_what_to_use_instead() {
        let mut errors = Errors::default();
        check(
            Kind::Http,
            &quote!({
                std::fs::write(path, bytes)?;
            }),
            &mut errors,
        );
        check(
            Kind::WebSocket,
            &quote!({
                std::thread::sleep(delay);
            }),
            &mut errors,
        );
        assert_eq!(
            errors.messages(),
            [
                "`std::fs::write` blocks the event loop in an `async fn` handler; use \
                 `tokio::fs::write(..).await`, or make the handler a plain `fn` (it then runs on \
                 the blocking pool), or add `allow_blocking` to the route attribute",
                "`std::thread::sleep` blocks the event loop in a WebSocket handler; use \
                 `tokio::time::sleep(..).await`, or run it in `tokio::task::spawn_blocking(..)`, \
                 or add `allow_blocking` to the route attribute",
            ]
        );
    }
}
