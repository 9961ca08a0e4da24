//! The route table: a matchit tree from path to the methods served there.

use http::{HeaderValue, Method};

use crate::app::BuildError;
use crate::extract::PathParams;
use crate::route::RouteDef;

/// Every route, found by path, then by method.
#[derive(Debug)]
pub(crate) struct Router {
    tree: matchit::Router<usize>,
    paths: Vec<PathEntry>,
}

/// The routes sharing one path template.
#[derive(Debug)]
struct PathEntry {
    template: &'static str,
    methods: Vec<(Method, RouteDef)>,
    /// The `Allow` header for a 405 here, computed once.
    allow: HeaderValue,
}

/// The outcome of a lookup.
pub(crate) enum Lookup<'r> {
    /// A route serves this method and path.
    Found {
        route: &'r RouteDef,
        params: PathParams,
        /// A `HEAD` request served by the `GET` route: the body must be dropped.
        head: bool,
    },
    /// The path exists, but not with this method.
    MethodNotAllowed { allow: &'r HeaderValue },
    /// No route has this path.
    NotFound,
}

impl Router {
    /// Builds the table, reporting every conflict.
    pub(crate) fn new(routes: &[RouteDef], errors: &mut Vec<BuildError>) -> Self {
        let mut paths: Vec<PathEntry> = Vec::new();
        for route in routes {
            let method = match Method::from_bytes(route.method.as_bytes()) {
                Ok(method) => method,
                Err(_) => {
                    errors.push(BuildError::InvalidMethod {
                        route: route.display_name(),
                    });
                    continue;
                }
            };
            let entry = match paths.iter_mut().find(|entry| entry.template == route.path) {
                Some(entry) => entry,
                None => {
                    paths.push(PathEntry {
                        template: route.path,
                        methods: Vec::new(),
                        allow: HeaderValue::from_static(""),
                    });
                    let Some(entry) = paths.last_mut() else {
                        continue;
                    };
                    entry
                }
            };
            if let Some((_, existing)) = entry.methods.iter().find(|(m, _)| *m == method) {
                errors.push(BuildError::DuplicateRoute {
                    first: existing.display_name(),
                    second: route.display_name(),
                });
                continue;
            }
            entry.methods.push((method, *route));
        }

        let mut tree = matchit::Router::new();
        let mut kept: Vec<PathEntry> = Vec::with_capacity(paths.len());
        for mut entry in paths {
            entry.allow = allow_header(&entry.methods);
            if let Err(error) = tree.insert(entry.template, kept.len()) {
                let conflict = match &error {
                    matchit::InsertError::Conflict { with } => kept
                        .iter()
                        .find(|other| other.template == with.as_str())
                        .and_then(|other| other.methods.first())
                        .map(|(_, route)| route.display_name())
                        .unwrap_or_else(|| with.clone()),
                    _ => error.to_string(),
                };
                errors.push(BuildError::PathConflict {
                    route: entry
                        .methods
                        .first()
                        .map(|(_, r)| r.display_name())
                        .unwrap_or_default(),
                    with: conflict,
                });
                continue;
            }
            kept.push(entry);
        }
        Self { tree, paths: kept }
    }

    /// Finds the route for `method` and `path`.
    pub(crate) fn lookup(&self, method: &Method, path: &str) -> Lookup<'_> {
        let Ok(matched) = self.tree.at(path) else {
            return Lookup::NotFound;
        };
        let Some(entry) = self.paths.get(*matched.value) else {
            return Lookup::NotFound;
        };
        let find = |wanted: &Method| entry.methods.iter().find(|(m, _)| m == wanted);
        let (found, head) = match find(method) {
            Some(found) => (found, false),
            None if method == Method::HEAD => match find(&Method::GET) {
                Some(found) => (found, true),
                None => {
                    return Lookup::MethodNotAllowed {
                        allow: &entry.allow,
                    };
                }
            },
            None => {
                return Lookup::MethodNotAllowed {
                    allow: &entry.allow,
                };
            }
        };
        Lookup::Found {
            route: &found.1,
            params: PathParams::from_match(path, &matched.params),
            head,
        }
    }
}

/// `GET, HEAD, POST`: every method served, with `HEAD` wherever `GET` is.
fn allow_header(methods: &[(Method, RouteDef)]) -> HeaderValue {
    let mut names: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
    if names.contains(&"GET") && !names.contains(&"HEAD") {
        names.push("HEAD");
    }
    names.sort_unstable();
    HeaderValue::from_str(&names.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
}
