//! The calls known to block the thread, each with what to use instead, and how a written
//! path is matched against them.
//!
//! A macro sees paths as written, not what `use` items made them mean. So each entry lists
//! its full path and the short forms a `use` commonly leaves, split by whether tokio has the
//! same name (`fs::read`, `File::open`, `Command::new`): such a call may be tokio's, and is
//! taken for std's only where its value is used as a `Result` (see [`super::Usage`]).

use syn::{Expr, ExprCall, ExprMethodCall, Path};

use super::Usage;

/// One kind of blocking call.
struct Blocking {
    /// The module or type the function is in: `std::thread`, `std::fs::File`.
    module: &'static str,
    /// The functions of `module` that are meant.
    names: Names,
    /// Shorter spellings of `module` (`""` for a bare name) that only std has: such a call
    /// is std's wherever it is written.
    std_short: &'static [&'static str],
    /// Shorter spellings of `module` that tokio has too (`tokio::fs` after `use tokio::fs`).
    tokio_short: &'static [&'static str],
    /// Whether the call itself blocks, or a method called on what it made.
    shape: Shape,
    /// What to use instead, as the message says it; `*` stands for the function's or the
    /// method's name.
    instead: &'static str,
}

/// Which functions of a module an entry means.
#[derive(Clone, Copy)]
enum Names {
    /// These.
    Only(&'static [&'static str]),
    /// Every function right in the module (`std::fs::read`, not `std::fs::File::open`).
    Any,
    /// Everything under the module, at any depth (`reqwest::blocking::Client::new`).
    Everything,
}

/// Where the blocking happens.
#[derive(Clone, Copy)]
enum Shape {
    /// In the call: `std::thread::sleep(..)`.
    Call,
    /// In one of these methods called on what the call made, directly or through other
    /// methods and `?`: `Command::new(..).arg(..).output()`.
    Method(&'static [&'static str]),
    /// In one of these methods, whatever it is called on: only std has a method of this
    /// name, so the receiver does not matter (`addr.to_socket_addrs()`).
    AnyMethod(&'static [&'static str]),
}

/// The calls the macro knows, first match wins.
const BLOCKING: &[Blocking] = &[
    Blocking {
        module: "std::thread",
        names: Names::Only(&["sleep"]),
        std_short: &["thread"],
        tokio_short: &[],
        shape: Shape::Call,
        instead: "`tokio::time::sleep(..).await`",
    },
    Blocking {
        module: "std::thread",
        names: Names::Only(&["spawn"]),
        std_short: &["thread"],
        tokio_short: &[],
        shape: Shape::Method(&["join"]),
        instead: "`tokio::task::spawn_blocking(..).await`",
    },
    // Before the next entry: tokio's name for it differs.
    Blocking {
        module: "std::fs",
        names: Names::Only(&["exists"]),
        std_short: &["fs"],
        tokio_short: &[],
        shape: Shape::Call,
        instead: "`tokio::fs::try_exists(..).await`",
    },
    Blocking {
        module: "std::fs",
        names: Names::Any,
        std_short: &[],
        tokio_short: &["fs"],
        shape: Shape::Call,
        instead: "`tokio::fs::*(..).await`",
    },
    Blocking {
        module: "std::fs::File",
        names: Names::Only(&["open", "create", "create_new"]),
        std_short: &[],
        tokio_short: &["fs::File", "File"],
        shape: Shape::Call,
        instead: "`tokio::fs::File::*(..).await`",
    },
    Blocking {
        module: "std::fs::OpenOptions",
        names: Names::Only(&["new"]),
        std_short: &[],
        tokio_short: &["fs::OpenOptions", "OpenOptions"],
        shape: Shape::Method(&["open"]),
        instead: "`tokio::fs::OpenOptions`, whose `open(..)` is awaited",
    },
    Blocking {
        module: "std::net::TcpStream",
        names: Names::Only(&["connect", "connect_timeout"]),
        std_short: &[],
        tokio_short: &["net::TcpStream", "TcpStream"],
        shape: Shape::Call,
        instead: "`tokio::net::TcpStream::connect(..).await` (in `tokio::time::timeout` for a deadline)",
    },
    Blocking {
        module: "std::net::TcpListener",
        names: Names::Only(&["bind"]),
        std_short: &[],
        tokio_short: &["net::TcpListener", "TcpListener"],
        shape: Shape::Call,
        instead: "`tokio::net::TcpListener::bind(..).await`",
    },
    Blocking {
        module: "std::net::UdpSocket",
        names: Names::Only(&["bind"]),
        std_short: &[],
        tokio_short: &["net::UdpSocket", "UdpSocket"],
        shape: Shape::Call,
        instead: "`tokio::net::UdpSocket::bind(..).await`",
    },
    // A trait: `module` only names it, no function of it is called by path.
    Blocking {
        module: "std::net::ToSocketAddrs",
        names: Names::Only(&[]),
        std_short: &[],
        tokio_short: &[],
        shape: Shape::AnyMethod(&["to_socket_addrs"]),
        instead: "`tokio::net::lookup_host(..).await`",
    },
    Blocking {
        module: "std::io",
        names: Names::Only(&["stdin"]),
        std_short: &[],
        tokio_short: &["io", ""],
        shape: Shape::Method(&[
            "read_line",
            "lines",
            "read_to_string",
            "read_to_end",
            "read",
            "read_exact",
            "bytes",
        ]),
        instead: "`tokio::io::stdin()`, whose reads are awaited",
    },
    Blocking {
        module: "std::process::Command",
        names: Names::Only(&["new"]),
        std_short: &[],
        tokio_short: &["process::Command", "Command"],
        shape: Shape::Method(&["output", "status", "wait", "wait_with_output"]),
        instead: "`tokio::process::Command`, whose `*()` is awaited",
    },
    Blocking {
        module: "reqwest::blocking",
        names: Names::Everything,
        std_short: &[],
        tokio_short: &[],
        shape: Shape::Call,
        instead: "the async `reqwest::Client` (`reqwest::get(..).await`)",
    },
];

/// The message for a blocking call: what it is, and what to write instead.
pub(super) struct Found {
    /// The call as the message names it: `std::fs::read`, `std::process::Command::new(..).output()`.
    pub(super) what: String,
    /// What to use instead: `` `tokio::fs::read(..).await` ``.
    pub(super) instead: String,
}

/// Whether `call`, used as `usage`, is a known blocking call.
pub(super) fn blocking_call(call: &ExprCall, usage: Usage) -> Option<Found> {
    let path = call_path(call)?;
    BLOCKING.iter().find_map(|entry| match entry.shape {
        Shape::Call => {
            let name = entry.matches(&path, usage)?;
            Some(Found {
                what: format!("{}::{name}", entry.module),
                instead: entry.instead.replace('*', &name),
            })
        }
        Shape::Method(_) | Shape::AnyMethod(_) => None,
    })
}

/// Whether the method call `call`, used as `usage`, is a known blocking call.
pub(super) fn blocking_method(call: &ExprMethodCall, usage: Usage) -> Option<Found> {
    let method = call.method.to_string();
    BLOCKING.iter().find_map(|entry| match entry.shape {
        Shape::Method(methods) if methods.contains(&method.as_str()) => {
            let root = chain_root(&call.receiver)?;
            let name = entry.matches(&call_path(root)?, usage)?;
            let args = if root.args.is_empty() { "" } else { ".." };
            Some(Found {
                what: format!("{}::{name}({args}).{method}()", entry.module),
                instead: entry.instead.replace('*', &method),
            })
        }
        Shape::AnyMethod(methods) if methods.contains(&method.as_str()) => Some(Found {
            what: format!("{}::{method}", entry.module),
            instead: entry.instead.replace('*', &method),
        }),
        _ => None,
    })
}

impl Blocking {
    /// The name of the function `path` calls, if it is one of this entry's, written in a
    /// form that means std's (or reqwest's) when used as `usage`.
    fn matches(&self, path: &[String], usage: Usage) -> Option<String> {
        let (module, name) = match self.names {
            Names::Everything => {
                let depth = self.module.split("::").count();
                if path.len() <= depth {
                    return None;
                }
                let (module, rest) = path.split_at(depth);
                (module.join("::"), rest.join("::"))
            }
            Names::Only(_) | Names::Any => {
                let (name, module) = path.split_last()?;
                (module.join("::"), name.clone())
            }
        };
        let named = match self.names {
            Names::Only(names) => names.contains(&name.as_str()),
            Names::Any | Names::Everything => true,
        };
        let std_form = module == self.module || self.std_short.contains(&module.as_str());
        let tokio_form = self.tokio_short.contains(&module.as_str());
        (named && (std_form || (tokio_form && usage == Usage::Result))).then_some(name)
    }
}

/// The segments of the function a call calls, if it names one by a path: `["std", "fs",
/// "read"]` for `::std::fs::read::<P>(..)`.
fn call_path(call: &ExprCall) -> Option<Vec<String>> {
    match &*call.func {
        Expr::Path(func) if func.qself.is_none() => Some(segments(&func.path)),
        _ => None,
    }
}

/// A path's segment names, without generic arguments or a leading `::`.
pub(super) fn segments(path: &Path) -> Vec<String> {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect()
}

/// The call a method chain starts with: `Command::new(..)` in
/// `Command::new(..).arg(..).spawn()?.wait()`'s receiver.
fn chain_root(mut receiver: &Expr) -> Option<&ExprCall> {
    loop {
        receiver = match receiver {
            Expr::Call(call) => return Some(call),
            Expr::MethodCall(call) => &call.receiver,
            Expr::Try(expr) => &expr.expr,
            Expr::Paren(expr) => &expr.expr,
            Expr::Group(expr) => &expr.expr,
            _ => return None,
        };
    }
}
