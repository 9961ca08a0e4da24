//! The app's own routes: the OpenAPI document and the docs pages.
//!
//! The document is built and serialized once, when the app is built; requests get the same
//! bytes, with an `ETag` so clients can revalidate for free.

use std::hash::{DefaultHasher, Hash, Hasher};

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderValue};

use std::sync::Arc;

use oxapi_openapi::{OperationDoc, OperationMeta};

use crate::body::Body;
use crate::context::RouteContext;
use crate::handler::{HandlerFn, HandlerFuture, PathParams, Request};
use crate::response::Response;
use crate::route::{RouteDef, RouteMeta};

/// Where the document and the docs pages are served; `None` turns one off.
#[derive(Debug, Clone)]
pub(crate) struct DocsConfig {
    pub(crate) openapi: Option<String>,
    pub(crate) swagger_ui: Option<String>,
    pub(crate) scalar: Option<String>,
}

impl Default for DocsConfig {
    fn default() -> Self {
        Self {
            openapi: Some("/openapi.json".to_owned()),
            swagger_ui: Some("/docs".to_owned()),
            scalar: Some("/scalar".to_owned()),
        }
    }
}

/// What the docs routes serve, prepared at build. The app keeps it among its states, where
/// no user type can name it.
#[derive(Debug, Default)]
pub(crate) struct Docs {
    openapi_json: Bytes,
    etag: Option<HeaderValue>,
    swagger_html: Bytes,
    scalar_html: Bytes,
}

impl Docs {
    /// The docs of `document`; the pages name their URLs under `root_path`, the prefix a
    /// proxy serves the app under (empty for none), since the browser sees the app there.
    pub(crate) fn new(
        title: &str,
        document: &serde_json::Value,
        config: &DocsConfig,
        root_path: &str,
    ) -> Self {
        let openapi_json = Bytes::from(serde_json::to_vec(document).unwrap_or_default());
        let mut hasher = DefaultHasher::new();
        openapi_json.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish())).ok();
        let openapi_url = format!(
            "{root_path}{}",
            config.openapi.as_deref().unwrap_or("/openapi.json")
        );
        let swagger_html = config
            .swagger_ui
            .as_deref()
            .map_or_else(Bytes::new, |path| {
                let base = format!("{root_path}{}/", path.trim_end_matches('/'));
                Bytes::from(oxapi_openapi::swagger_ui_html(title, &openapi_url, &base))
            });
        let scalar_html = config.scalar.as_deref().map_or_else(Bytes::new, |path| {
            let bundle = format!(
                "{root_path}{}/{}",
                path.trim_end_matches('/'),
                oxapi_openapi::SCALAR_BUNDLE
            );
            Bytes::from(oxapi_openapi::scalar_html(title, &openapi_url, &bundle))
        });
        Self {
            openapi_json,
            etag,
            swagger_html,
            scalar_html,
        }
    }
}

/// A docs route's handler.
type Handler = HandlerFn;

/// The prepared docs of the app serving `route`.
fn docs(route: &RouteContext) -> Option<&Docs> {
    route.resources().states.get::<Docs>().map(|docs| &**docs)
}

/// The routes serving the document and pages, hidden from the document itself.
pub(crate) fn routes(config: &DocsConfig) -> Vec<RouteDef> {
    let mut routes = Vec::new();
    if let Some(path) = &config.openapi {
        routes.push(route(leak(path), openapi_json, "openapi_json"));
    }
    let pages: [(
        &Option<String>,
        Handler,
        Handler,
        &'static str,
        &'static str,
    ); 2] = [
        (
            &config.swagger_ui,
            swagger_ui_page,
            swagger_ui_file,
            "swagger_ui",
            "swagger_ui_asset",
        ),
        (
            &config.scalar,
            scalar_page,
            scalar_file,
            "scalar",
            "scalar_asset",
        ),
    ];
    for (path, page, file, page_name, file_name) in pages {
        if let Some(path) = path {
            // A page at `/docs` and its assets under `/docs/{*file}`.
            let assets = format!("{}/{{*file}}", path.trim_end_matches('/'));
            routes.push(route(leak(path), page, page_name));
            routes.push(route(leak(&assets), file, file_name));
        }
    }
    routes
}

/// Route paths are `'static`; a configured path is made so once per app build.
fn leak(path: &str) -> &'static str {
    match path {
        "/openapi.json" => "/openapi.json",
        "/docs" => "/docs",
        "/docs/{*file}" => "/docs/{*file}",
        "/scalar" => "/scalar",
        "/scalar/{*file}" => "/scalar/{*file}",
        other => Box::leak(other.to_owned().into_boxed_str()),
    }
}

fn describe_nothing(_: &mut OperationDoc<'_>) {}

fn route(path: &'static str, handler: Handler, name: &'static str) -> RouteDef {
    RouteDef {
        method: "GET",
        path,
        handler,
        describe: describe_nothing,
        meta: RouteMeta {
            fn_name: name,
            module_path: "oxapi::docs",
            hidden: true,
            body_limit: None,
            timeout_ms: None,
            operation: OperationMeta::named(name),
        },
    }
}

fn ready(response: Response) -> HandlerFuture {
    Box::pin(std::future::ready(response))
}

fn with_type(body: Bytes, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::full(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn not_found() -> Response {
    crate::problem::Problem::from(oxapi_openapi::FrameworkError::NotFound).to_response()
}

fn openapi_json(request: Request, _: PathParams, route: &Arc<RouteContext>) -> HandlerFuture {
    let Some(docs) = docs(route) else {
        return ready(not_found());
    };
    let etag = docs.etag.as_ref();
    let fresh = etag.is_some_and(|etag| {
        request
            .headers()
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .any(|value| value == etag || value == "*")
    });
    let mut response = if fresh {
        crate::response::IntoResponse::into_response(StatusCode::NOT_MODIFIED)
    } else {
        with_type(docs.openapi_json.clone(), "application/json")
    };
    if let Some(etag) = etag {
        response.headers_mut().insert(header::ETAG, etag.clone());
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    ready(response)
}

fn html(html: Option<Bytes>) -> HandlerFuture {
    ready(html.map_or_else(not_found, |html| {
        with_type(html, "text/html; charset=utf-8")
    }))
}

fn swagger_ui_page(_: Request, _: PathParams, route: &Arc<RouteContext>) -> HandlerFuture {
    html(docs(route).map(|docs| docs.swagger_html.clone()))
}

fn scalar_page(_: Request, _: PathParams, route: &Arc<RouteContext>) -> HandlerFuture {
    html(docs(route).map(|docs| docs.scalar_html.clone()))
}

fn asset_response(asset: Option<oxapi_openapi::Asset>) -> Response {
    match asset {
        Some(asset) => {
            let bytes = match asset.bytes {
                std::borrow::Cow::Borrowed(bytes) => Bytes::from_static(bytes),
                std::borrow::Cow::Owned(bytes) => Bytes::from(bytes),
            };
            let mut response = with_type(bytes, asset.content_type);
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            response
        }
        None => not_found(),
    }
}

/// The `{*file}` of a docs asset route.
fn file_name(request: &Request, params: &PathParams) -> String {
    params
        .raw(request.uri().path(), 0)
        .unwrap_or_default()
        .to_owned()
}

fn swagger_ui_file(request: Request, params: PathParams, _: &Arc<RouteContext>) -> HandlerFuture {
    let file = file_name(&request, &params);
    ready(asset_response(oxapi_openapi::swagger_ui_asset(&file)))
}

fn scalar_file(request: Request, params: PathParams, _: &Arc<RouteContext>) -> HandlerFuture {
    let file = file_name(&request, &params);
    ready(asset_response(oxapi_openapi::scalar_asset(&file)))
}
