//! The route table: a matchit tree from path to the methods served there.

use std::sync::Arc;

use http::{HeaderValue, Method};

use crate::build_error::BuildError;
use crate::context::RouteContext;
use crate::handler::PathParams;
use crate::route::RouteDef;

/// What serves one method at one path: the route and its context.
#[derive(Debug)]
pub(crate) struct Endpoint {
    /// The full path template, with any router prefix.
    pub(crate) template: Box<str>,
    pub(crate) route: RouteDef,
    pub(crate) context: Arc<RouteContext>,
}

impl Endpoint {
    /// `GET /v1/items/{id} (module::read_item)`, for messages.
    pub(crate) fn display_name(&self) -> String {
        format!(
            "{} {} ({}::{})",
            self.route.method, self.template, self.route.meta.module_path, self.route.meta.fn_name
        )
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
            let method = match Method::from_bytes(endpoint.route.method.as_bytes()) {
                Ok(method) => method,
                Err(_) => {
                    errors.push(BuildError::InvalidMethod {
                        route: endpoint.display_name(),
                    });
                    continue;
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
                    second: endpoint.display_name(),
                });
                continue;
            }
            entry.methods.push((method, endpoint));
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
                        .and_then(|other| other.methods.first())
                        .map(|(_, endpoint)| endpoint.display_name())
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
            endpoint: &found.1,
            params: PathParams::from_match(path, &matched.params),
            head,
        }
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
    use crate::route::RouteMeta;
    use oxapi_openapi::{Dispatch, OperationDoc, OperationMeta};

    fn handler(_: Request, _: PathParams, _: &Arc<RouteContext>) -> HandlerFuture {
        Box::pin(async { crate::response::Response::default() })
    }

    fn endpoint(route: RouteDef) -> Endpoint {
        Endpoint {
            template: route.path.into(),
            route,
            context: Arc::new(RouteContext::detached()),
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
                operation: OperationMeta {
                    operation_id: name,
                    summary: None,
                    description: None,
                    tags: &[],
                    deprecated: false,
                    dispatch: Dispatch::EventLoop,
                    status: None,
                    responses: &[],
                },
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
    enum Outcome {
        Route(&'static str, Vec<&'static str>, bool),
        NotAllowed(String),
        NotFound,
    }

    fn find(router: &Router, method: &str, path: &'static str) -> Outcome {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        match router.lookup(&method, path) {
            Lookup::Found {
                endpoint,
                params,
                head,
            } => Outcome::Route(endpoint.route.meta.fn_name, params.values(path), head),
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
