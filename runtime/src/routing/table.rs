//! The route table: a matchit tree from path to the methods served there.

use std::sync::Arc;

use http::{HeaderValue, Method};

use crate::build_error::BuildError;
use crate::context::RouteContext;
use crate::handler::{HandlerFn, PathParams};
use crate::middleware::RouteService;
use crate::stall::RouteId;

/// The method a mounted service is registered under: it answers every method.
pub(crate) const ANY_METHOD: &str = "*";

/// What serves one method at one path.
pub(crate) struct Endpoint {
    /// The method, uppercase, or [`ANY_METHOD`].
    pub(crate) method: &'static str,
    /// The full path template, with any router prefix.
    pub(crate) template: Box<str>,
    /// `GET /v1/items/{id} (module::read_item)`, for messages.
    pub(crate) name: String,
    pub(crate) target: Target,
    /// The route as the stall detector names it; `0` if the detector is off.
    pub(crate) stall: RouteId,
}

/// How an endpoint answers.
pub(crate) enum Target {
    /// The generated handler, called directly: a route without layers or dependencies.
    Handler {
        handler: HandlerFn,
        context: Arc<RouteContext>,
    },
    /// A route behind layers or dependencies.
    Service {
        service: RouteService,
        template: Arc<str>,
    },
    /// A service mounted at a prefix; it sees the path without the prefix.
    Mount {
        service: RouteService,
        prefix: Arc<str>,
    },
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every route, found by path, then by method.
#[derive(Debug)]
pub(crate) struct Router {
    tree: matchit::Router<usize>,
    paths: Vec<PathEntry>,
}

/// The routes sharing one path template.
#[derive(Debug)]
struct PathEntry {
    template: Box<str>,
    methods: Vec<(Method, Endpoint)>,
    /// A mounted service, for every method.
    any: Option<Endpoint>,
    /// The `Allow` header for a 405 here, computed once.
    allow: HeaderValue,
}

/// The outcome of a lookup.
pub(crate) enum Lookup<'r> {
    /// A route serves this method and path.
    Found {
        endpoint: &'r Endpoint,
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
    pub(crate) fn new(
        endpoints: impl IntoIterator<Item = Endpoint>,
        errors: &mut Vec<BuildError>,
    ) -> Self {
        let mut paths: Vec<PathEntry> = Vec::new();
        for endpoint in endpoints {
            if endpoint.template.is_empty() {
                errors.push(BuildError::EmptyPath {
                    route: endpoint.name,
                });
                continue;
            }
            let method = if endpoint.method == ANY_METHOD {
                None
            } else {
                match Method::from_bytes(endpoint.method.as_bytes()) {
                    Ok(method) => Some(method),
                    Err(_) => {
                        errors.push(BuildError::InvalidMethod {
                            route: endpoint.name,
                        });
                        continue;
                    }
                }
            };
            let entry = match paths
                .iter_mut()
                .find(|entry| entry.template == endpoint.template)
            {
                Some(entry) => entry,
                None => {
                    paths.push(PathEntry {
                        template: endpoint.template.clone(),
                        methods: Vec::new(),
                        any: None,
                        allow: HeaderValue::from_static(""),
                    });
                    let Some(entry) = paths.last_mut() else {
                        continue;
                    };
                    entry
                }
            };
            let existing = match &method {
                Some(method) => entry
                    .methods
                    .iter()
                    .find(|(m, _)| m == method)
                    .map(|(_, e)| e),
                None => entry.any.as_ref(),
            };
            if let Some(existing) = existing {
                errors.push(BuildError::DuplicateRoute {
                    first: existing.name.clone(),
                    second: endpoint.name,
                });
                continue;
            }
            match method {
                Some(method) => entry.methods.push((method, endpoint)),
                None => entry.any = Some(endpoint),
            }
        }

        let mut tree = matchit::Router::new();
        let mut kept: Vec<PathEntry> = Vec::with_capacity(paths.len());
        for mut entry in paths {
            entry.allow = allow_header(&entry.methods);
            if let Err(error) = tree.insert(&*entry.template, kept.len()) {
                let conflict = match &error {
                    matchit::InsertError::Conflict { with } => kept
                        .iter()
                        .find(|other| &*other.template == with.as_str())
                        .and_then(|other| other.first())
                        .map(|endpoint| endpoint.name.clone())
                        .unwrap_or_else(|| with.clone()),
                    _ => error.to_string(),
                };
                errors.push(BuildError::PathConflict {
                    route: entry
                        .first()
                        .map(|endpoint| endpoint.name.clone())
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
        let find = |wanted: &Method| {
            entry
                .methods
                .iter()
                .find(|(m, _)| m == wanted)
                .map(|(_, e)| e)
        };
        let (found, head) = match find(method) {
            Some(found) => (found, false),
            None => match (method == Method::HEAD)
                .then(|| find(&Method::GET))
                .flatten()
            {
                Some(found) => (found, true),
                None => match &entry.any {
                    Some(any) => (any, false),
                    None => {
                        return Lookup::MethodNotAllowed {
                            allow: &entry.allow,
                        };
                    }
                },
            },
        };
        Lookup::Found {
            endpoint: found,
            params: PathParams::from_match(path, &matched.params),
            head,
        }
    }
}

impl PathEntry {
    /// An endpoint here, to name in a conflict.
    fn first(&self) -> Option<&Endpoint> {
        self.methods.first().map(|(_, e)| e).or(self.any.as_ref())
    }
}

/// `GET, HEAD, POST`: every method served, with `HEAD` wherever `GET` is.
fn allow_header(methods: &[(Method, Endpoint)]) -> HeaderValue {
    let mut names: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
    if names.contains(&"GET") && !names.contains(&"HEAD") {
        names.push("HEAD");
    }
    names.sort_unstable();
    HeaderValue::from_str(&names.join(", ")).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::{HandlerFuture, Request};
    use crate::route::{RouteDef, RouteMeta};
    use oxapi_openapi::{OperationDoc, OperationMeta};

    fn handler(_: Request, _: PathParams, _: &Arc<RouteContext>) -> HandlerFuture {
        Box::pin(async { crate::response::Response::default() })
    }

    fn endpoint(route: RouteDef) -> Endpoint {
        Endpoint {
            stall: 0,
            method: route.method,
            template: route.path.into(),
            name: route.display_name(),
            target: Target::Handler {
                handler: route.handler,
                context: Arc::new(RouteContext::detached()),
            },
        }
    }

    fn describe(_: &mut OperationDoc<'_>) {}

    fn route(method: &'static str, path: &'static str, name: &'static str) -> RouteDef {
        RouteDef {
            method,
            path,
            handler,
            describe,
            meta: RouteMeta {
                fn_name: name,
                module_path: "tests",
                hidden: false,
                body_limit: None,
                timeout_ms: None,
                operation: OperationMeta::named(name),
            },
        }
    }

    fn table() -> Router {
        let routes = [
            route("GET", "/items", "list"),
            route("POST", "/items", "create"),
            route("GET", "/items/{id}", "read"),
            route("DELETE", "/items/{id}", "delete"),
            route("GET", "/items/{id}/parts/{part}", "part"),
            route("GET", "/static/{*rest}", "files"),
            route("PURGE", "/cache", "purge"),
            route("HEAD", "/ping", "ping_head"),
            route("GET", "/ping", "ping"),
        ];
        let mut errors = Vec::new();
        let router = Router::new(routes.map(endpoint), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        router
    }

    /// What a lookup found, comparable in a table.
    #[derive(Debug, PartialEq)]
    enum Outcome<'a> {
        Route(&'a str, Vec<&'a str>, bool),
        NotAllowed(String),
        NotFound,
    }

    fn find<'a>(router: &'a Router, method: &str, path: &'a str) -> Outcome<'a> {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        match router.lookup(&method, path) {
            Lookup::Found {
                endpoint,
                params,
                head,
            } => Outcome::Route(
                endpoint
                    .name
                    .rsplit("::")
                    .next()
                    .unwrap()
                    .trim_end_matches(')'),
                params.values(path),
                head,
            ),
            Lookup::MethodNotAllowed { allow } => {
                Outcome::NotAllowed(allow.to_str().unwrap().to_owned())
            }
            Lookup::NotFound => Outcome::NotFound,
        }
    }

    #[test]
    fn lookups() {
        let router = table();
        use Outcome::*;
        let cases = [
            ("GET", "/items", Route("list", vec![], false)),
            ("POST", "/items", Route("create", vec![], false)),
            ("GET", "/items/7", Route("read", vec!["7"], false)),
            ("GET", "/items/a%20b", Route("read", vec!["a%20b"], false)),
            ("DELETE", "/items/7", Route("delete", vec!["7"], false)),
            (
                "GET",
                "/items/7/parts/x",
                Route("part", vec!["7", "x"], false),
            ),
            (
                "GET",
                "/static/css/site.css",
                Route("files", vec!["css/site.css"], false),
            ),
            ("PURGE", "/cache", Route("purge", vec![], false)),
            ("HEAD", "/items/7", Route("read", vec!["7"], true)),
            ("HEAD", "/ping", Route("ping_head", vec![], false)),
            ("PUT", "/items", NotAllowed("GET, HEAD, POST".to_owned())),
            (
                "POST",
                "/items/7",
                NotAllowed("DELETE, GET, HEAD".to_owned()),
            ),
            ("GET", "/cache", NotAllowed("PURGE".to_owned())),
            ("GET", "/items/", NotFound),
            ("GET", "/nothing", NotFound),
            ("GET", "/items/7/parts", NotFound),
            ("GET", "", NotFound),
        ];
        for (method, path, expected) in cases {
            assert_eq!(find(&router, method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn conflicts_name_both_routes() {
        let routes = [
            route("GET", "/items/{id}", "read"),
            route("GET", "/items/{id}", "read_again"),
            route("GET", "/items/{name}", "by_name"),
        ];
        let mut errors = Vec::new();
        let _ = Router::new(routes.map(endpoint), &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            text[0].contains("tests::read") && text[0].contains("tests::read_again"),
            "{text:?}"
        );
        assert!(
            text[1].contains("tests::by_name") && text[1].contains("tests::read"),
            "{text:?}"
        );
    }
}
