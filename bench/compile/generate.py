#!/usr/bin/env python3
"""Writes the compile-time benchmark crates: one API of N routes, three ways.

    oxapi   oxapi only: `#[model]` types, route attributes, `App::new().routes(routes![..])`
    utoipa  axum 0.8 + utoipa 6 (`#[utoipa::path]`, `ToSchema`, `IntoParams`, `OpenApi`
            derive listing every path, document served at /openapi.json) + validator 0.21
            (same rules as oxapi's `#[validate]`, checked in the handlers)
    axum    plain axum 0.8 + serde: no documentation, no validation (the floor)

The API, per group of 10 routes (one group = one catalogue `c{k}` with its own documented
model types `Widget{k}`, `NewWidget{k}`, `Widget{k}Filter`), 5 async and 5 sync handlers:

    GET    /c{k}/widgets/{id}               async  path                -> Result<Json<Widget>, 404>
    GET    /c{k}/widgets                    async  query struct        -> Json<Vec<Widget>>
    POST   /c{k}/widgets                    sync   JSON body           -> 201 Json<Widget>
    PUT    /c{k}/widgets/{id}               async  path + body         -> Json<Widget>
    DELETE /c{k}/widgets/{id}               sync   path                -> 204 | 404
    GET    /c{k}/widgets/{id}/summary       sync   path                -> text
    PATCH  /c{k}/widgets/{id}               sync   path + body         -> Json<Widget>
    GET    /c{k}/widgets/{id}/related       async  path + query        -> Json<Vec<Widget>>
    POST   /c{k}/search                     async  query + body        -> Json<Vec<Widget>>
    GET    /c{k}/widgets/{id}/names/{name}  sync   two path params     -> Json<Widget>

Handlers are split 20 to a file (`src/h00.rs`, `src/h01.rs`, ...), models are in
`src/models.rs`, the app in `src/main.rs`. Sync handlers run on oxapi's blocking pool
(a plain `fn`) or, in axum, inside `tokio::task::spawn_blocking`.

One handler string carries a revision marker (`rev-0`, in `src/h00.rs`, or the middle file
when there are several) that run.py bumps for the "touch one handler" measurement.

Usage: generate.py --routes 200 --out DIR --kind oxapi|utoipa|axum [--name CRATE]
                   [--oxapi-path PATH_TO_RUNTIME]
"""

from __future__ import annotations

import argparse
import os
import pathlib

ROUTES_PER_GROUP = 10
ROUTES_PER_FILE = 20
REV_MARKER = "rev-0"

# ---------------------------------------------------------------------------------------
# shared pieces


def groups_of(n_routes: int) -> list[list[int]]:
    """Route indices 0..n-1, grouped by catalogue (10 a group; the last may be short)."""
    return [
        list(range(start, min(start + ROUTES_PER_GROUP, n_routes)))
        for start in range(0, n_routes, ROUTES_PER_GROUP)
    ]


def file_of_route(i: int) -> int:
    return i // ROUTES_PER_FILE


def touched_file(n_routes: int) -> str:
    """The handler file whose string run.py changes: the middle one."""
    files = (n_routes + ROUTES_PER_FILE - 1) // ROUTES_PER_FILE
    return f"src/h{files // 2:02}.rs"


def sub(template: str, **values: object) -> str:
    """`@name@` placeholders: Rust code is full of braces, so no str.format."""
    for key, value in values.items():
        template = template.replace(f"@{key}@", str(value))
    assert "@" not in template.replace("@@", ""), template
    return template


# (slot, method, path, name, is_async, params) -- params: "path", "query", "body", "name"
ROUTE_KINDS = [
    ("get", "/c@k@/widgets/{id}", "get_widget_@k@", True, ["id"]),
    ("get", "/c@k@/widgets", "list_widgets_@k@", True, ["query"]),
    ("post", "/c@k@/widgets", "create_widget_@k@", False, ["body"]),
    ("put", "/c@k@/widgets/{id}", "replace_widget_@k@", True, ["id", "body"]),
    ("delete", "/c@k@/widgets/{id}", "delete_widget_@k@", False, ["id"]),
    ("get", "/c@k@/widgets/{id}/summary", "widget_summary_@k@", False, ["id"]),
    ("patch", "/c@k@/widgets/{id}", "patch_widget_@k@", False, ["id", "body"]),
    ("get", "/c@k@/widgets/{id}/related", "related_widgets_@k@", True, ["id", "query"]),
    ("post", "/c@k@/search", "search_widgets_@k@", True, ["query", "body"]),
    ("get", "/c@k@/widgets/{id}/names/{name}", "widget_by_name_@k@", False, ["id", "name"]),
]

DOCS = [
    ("Read one widget of catalogue @k@.", "Widget 0 does not exist."),
    ("List the widgets of catalogue @k@.", "Paged with `limit` and `offset`, filtered by `q`."),
    ("Create a widget in catalogue @k@.", "A plain function: it runs off the event loop."),
    ("Replace a widget of catalogue @k@.", "Every field is replaced."),
    ("Delete a widget of catalogue @k@.", "Widget 0 does not exist."),
    ("Summarize a widget of catalogue @k@.", "A line of plain text."),
    ("Update a widget of catalogue @k@.", "The fields given are replaced."),
    ("List the widgets related to one of catalogue @k@.", "Paged like the list."),
    ("Search catalogue @k@.", "The body is a template; the query pages the results."),
    ("Read a widget of catalogue @k@ by id and name.", "Both must match."),
]


def route(i: int) -> dict:
    k = i // ROUTES_PER_GROUP
    slot = i % ROUTES_PER_GROUP
    method, path, name, is_async, params = ROUTE_KINDS[slot]
    summary, description = DOCS[slot]
    return {
        "i": i,
        "k": k,
        "slot": slot,
        "method": method,
        "path": sub(path, k=k),
        "name": sub(name, k=k),
        "is_async": is_async,
        "params": params,
        "summary": sub(summary, k=k),
        "description": sub(description, k=k),
    }


def write(root: pathlib.Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    # Rewrite only on change, so that regenerating does not dirty cargo's fingerprints.
    if path.exists() and path.read_text() == text:
        return
    path.write_text(text)


def doc_lines(summary: str, description: str, indent: str = "") -> str:
    return f"{indent}/// {summary}\n{indent}///\n{indent}/// {description}\n"


def file_header(what: str) -> str:
    return f"//! {what}\n//!\n//! Generated by bench/compile/generate.py; do not edit.\n\n"


def handler_files(n_routes: int) -> dict[int, list[int]]:
    files: dict[int, list[int]] = {}
    for i in range(n_routes):
        files.setdefault(file_of_route(i), []).append(i)
    return files


def rev_for(i: int, n_routes: int) -> str:
    """The revision marker goes in the first handler of the touched file."""
    first = (int(touched_file(n_routes)[5:7])) * ROUTES_PER_FILE
    return f" ({REV_MARKER})" if i == first else ""


# ---------------------------------------------------------------------------------------
# oxapi

OXAPI_MODELS = """\
/// A widget of catalogue @k@.
#[model]
pub struct Widget@k@ {
    /// The widget's id.
    pub id: u64,
    /// The widget's name, 1 to 50 characters.
    #[validate(length(min = 1, max = 50))]
    pub name: String,
    /// The widget's price, not negative.
    #[validate(range(min = 0.0))]
    pub price: f64,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Whether the widget is for sale.
    pub active: bool,
    /// A longer description, if any.
    pub note: Option<String>,
}

/// A new widget of catalogue @k@, as posted.
#[model]
pub struct NewWidget@k@ {
    /// The widget's name, 1 to 50 characters.
    #[validate(length(min = 1, max = 50))]
    pub name: String,
    /// The widget's price, not negative.
    #[validate(range(min = 0.0))]
    pub price: f64,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A longer description, if any.
    pub note: Option<String>,
}

/// Paging and filtering of catalogue @k@.
#[model]
pub struct Widget@k@Filter {
    /// How many widgets to return, 1 to 100.
    #[serde(default = "default_limit")]
    #[validate(range(min = 1, max = 100))]
    pub limit: u32,
    /// How many widgets to skip.
    #[serde(default)]
    pub offset: u64,
    /// Only widgets whose name contains this.
    pub q: Option<String>,
}

impl Widget@k@ {
    /// A widget made up from an id and a name.
    pub fn sample(id: u64, name: String) -> Self {
        Self { id, name, price: 1.5, tags: vec!["c@k@".to_owned()], active: true, note: None }
    }

    /// A widget from a posted one.
    pub fn from_new(id: u64, new: NewWidget@k@) -> Self {
        Self { id, name: new.name, price: new.price, tags: new.tags, active: true, note: new.note }
    }
}

"""

OXAPI_HANDLER_BODIES = {
    0: """\
#[get("@path@", tags = ["c@k@"], responses(404 = "No widget has this id."))]
pub async fn @name@(id: u64) -> Result<Json<Widget@k@>, ApiError> {
    if id == 0 {
        return Err(ApiError::not_found("widget 0 does not exist@rev@"));
    }
    Ok(Json(Widget@k@::sample(id, format!("widget {id}"))))
}
""",
    1: """\
#[get("@path@", tags = ["c@k@"])]
pub async fn @name@(filter: Query<Widget@k@Filter>) -> Json<Vec<Widget@k@>> {
    let Widget@k@Filter { limit, offset, q } = filter.0;
    let name = q.unwrap_or_else(|| "widget".to_owned());
    Json((offset..offset + u64::from(limit)).map(|id| Widget@k@::sample(id, name.clone())).collect())
}
""",
    2: """\
#[post("@path@", tags = ["c@k@"], status = 201)]
pub fn @name@(body: Json<NewWidget@k@>) -> Json<Widget@k@> {
    Json(Widget@k@::from_new(1, body.0))
}
""",
    3: """\
#[put("@path@", tags = ["c@k@"])]
pub async fn @name@(id: u64, body: Json<NewWidget@k@>) -> Json<Widget@k@> {
    Json(Widget@k@::from_new(id, body.0))
}
""",
    4: """\
#[delete("@path@", tags = ["c@k@"], responses(404 = "No widget has this id."))]
pub fn @name@(id: u64) -> Result<NoContent, ApiError> {
    if id == 0 {
        return Err(ApiError::not_found("widget 0 does not exist"));
    }
    Ok(NoContent)
}
""",
    5: """\
#[get("@path@", tags = ["c@k@"])]
pub fn @name@(id: u64) -> String {
    format!("widget {id} of catalogue @k@")
}
""",
    6: """\
#[patch("@path@", tags = ["c@k@"])]
pub fn @name@(id: u64, body: Json<NewWidget@k@>) -> Json<Widget@k@> {
    let mut widget = Widget@k@::from_new(id, body.0);
    widget.active = false;
    Json(widget)
}
""",
    7: """\
#[get("@path@", tags = ["c@k@"])]
pub async fn @name@(id: u64, filter: Query<Widget@k@Filter>) -> Json<Vec<Widget@k@>> {
    let Widget@k@Filter { limit, offset, .. } = filter.0;
    Json((offset..offset + u64::from(limit)).map(|n| Widget@k@::sample(id + n, format!("related {n}"))).collect())
}
""",
    8: """\
#[post("@path@", tags = ["c@k@"])]
pub async fn @name@(filter: Query<Widget@k@Filter>, body: Json<NewWidget@k@>) -> Json<Vec<Widget@k@>> {
    let Widget@k@Filter { limit, offset, .. } = filter.0;
    let template = body.0;
    Json((offset..offset + u64::from(limit)).map(|id| Widget@k@::from_new(id, template.clone())).collect())
}
""",
    9: """\
#[get("@path@", tags = ["c@k@"])]
pub fn @name@(id: u64, name: String) -> Json<Widget@k@> {
    Json(Widget@k@::sample(id, name))
}
""",
}


def gen_oxapi(root: pathlib.Path, n_routes: int, crate: str, oxapi_path: str) -> None:
    write(
        root,
        "Cargo.toml",
        f"""\
[package]
name = "{crate}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
oxapi = {{ path = "{oxapi_path}" }}

# Not part of any other workspace.
[workspace]
""",
    )
    models = file_header("Models: one documented set per catalogue.")
    models += "use oxapi::prelude::*;\n\n/// The default page size.\npub fn default_limit() -> u32 {\n    10\n}\n\n"
    for k in range(len(groups_of(n_routes))):
        models += sub(OXAPI_MODELS, k=k)
    write(root, "src/models.rs", models)

    files = handler_files(n_routes)
    for f, indices in files.items():
        text = file_header(f"Handlers, routes {indices[0]} to {indices[-1]}.")
        text += "use oxapi::prelude::*;\n\nuse crate::models::*;\n\n"
        for i in indices:
            r = route(i)
            text += doc_lines(r["summary"], r["description"])
            text += sub(
                OXAPI_HANDLER_BODIES[r["slot"]],
                path=r["path"],
                name=r["name"],
                k=r["k"],
                rev=rev_for(i, n_routes),
            )
            text += "\n"
        write(root, f"src/h{f:02}.rs", text)

    main = file_header("The benchmark service: every route of every handler file.")
    for f in files:
        main += f"mod h{f:02};\n"
    main += "mod models;\n\nuse oxapi::prelude::*;\n\nfn main() -> std::process::ExitCode {\n"
    main += '    App::new()\n        .title("Bench API")\n        .version("0.1.0")\n'
    main += "        .routes(routes![\n"
    for i in range(n_routes):
        main += f"            h{file_of_route(i):02}::{route(i)['name']},\n"
    main += "        ])\n        .run()\n}\n"
    write(root, "src/main.rs", main)


# ---------------------------------------------------------------------------------------
# axum, with (utoipa) or without (plain) documentation

AXUM_MODELS = """\
/// A widget of catalogue @k@.
#[derive(Debug, Clone, Serialize, Deserialize@derive_schema@)]
pub struct Widget@k@ {
    /// The widget's id.
    pub id: u64,
    /// The widget's name, 1 to 50 characters.
@v_len@    pub name: String,
    /// The widget's price, not negative.
@v_min@    pub price: f64,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Whether the widget is for sale.
    pub active: bool,
    /// A longer description, if any.
    pub note: Option<String>,
}

/// A new widget of catalogue @k@, as posted.
#[derive(Debug, Clone, Serialize, Deserialize@derive_schema@)]
pub struct NewWidget@k@ {
    /// The widget's name, 1 to 50 characters.
@v_len@    pub name: String,
    /// The widget's price, not negative.
@v_min@    pub price: f64,
    /// Free-form labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A longer description, if any.
    pub note: Option<String>,
}

/// Paging and filtering of catalogue @k@.
#[derive(Debug, Clone, Deserialize@derive_params@)]
@into_params@pub struct Widget@k@Filter {
    /// How many widgets to return, 1 to 100.
    #[serde(default = "default_limit")]
@v_range@    pub limit: u32,
    /// How many widgets to skip.
    #[serde(default)]
    pub offset: u64,
    /// Only widgets whose name contains this.
    pub q: Option<String>,
}

impl Widget@k@ {
    /// A widget made up from an id and a name.
    pub fn sample(id: u64, name: String) -> Self {
        Self { id, name, price: 1.5, tags: vec!["c@k@".to_owned()], active: true, note: None }
    }

    /// A widget from a posted one.
    pub fn from_new(id: u64, new: NewWidget@k@) -> Self {
        Self { id, name: new.name, price: new.price, tags: new.tags, active: true, note: new.note }
    }
}

"""

# The documented variant's validation attributes: validator's rule plus utoipa's schema
# constraint, as oxapi's `#[validate]` gives both.
DOC_ATTRS = {
    "v_len": "    #[validate(length(min = 1, max = 50))]\n    #[schema(min_length = 1, max_length = 50)]\n",
    "v_min": "    #[validate(range(min = 0.0))]\n    #[schema(minimum = 0.0)]\n",
    "v_range": "    #[validate(range(min = 1, max = 100))]\n    #[param(minimum = 1, maximum = 100)]\n",
    "derive_schema": ", ToSchema, Validate",
    "derive_params": ", IntoParams, Validate",
    "into_params": "#[into_params(parameter_in = Query)]\n",
}
PLAIN_ATTRS = {key: "" for key in DOC_ATTRS}

ERROR_RS = """\
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
@use_schema@
/// A failed request, as JSON.
#[derive(Debug, Serialize@derive_schema@)]
pub struct ErrorBody {
    /// The HTTP status.
    pub status: u16,
    /// What went wrong.
    pub detail: String,
    /// The failing fields, for validation errors.
    pub errors: Vec<String>,
}

/// A handler error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
    errors: Vec<String>,
}

impl ApiError {
    /// 404.
    pub fn not_found(detail: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, detail: detail.to_owned(), errors: Vec::new() }
    }
}
@validation_from@
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { status: self.status.as_u16(), detail: self.detail, errors: self.errors };
        (self.status, Json(body)).into_response()
    }
}
"""

VALIDATION_FROM = """
impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let errors = errors.field_errors().keys().map(|field| field.to_string()).collect();
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, detail: "invalid input".to_owned(), errors }
    }
}
"""

# Handler bodies. `@vq@` / `@vb@` validate the query / body in the documented variant.
AXUM_HANDLER_BODIES = {
    0: """\
pub async fn @name@(Path(id): Path<u64>) -> Result<Json<Widget@k@>, ApiError> {
    if id == 0 {
        return Err(ApiError::not_found("widget 0 does not exist@rev@"));
    }
    Ok(Json(Widget@k@::sample(id, format!("widget {id}"))))
}
""",
    1: """\
pub async fn @name@(Query(filter): Query<Widget@k@Filter>) -> Result<Json<Vec<Widget@k@>>, ApiError> {
@vq@    let Widget@k@Filter { limit, offset, q } = filter;
    let name = q.unwrap_or_else(|| "widget".to_owned());
    Ok(Json((offset..offset + u64::from(limit)).map(|id| Widget@k@::sample(id, name.clone())).collect()))
}
""",
    2: """\
pub async fn @name@(Json(body): Json<NewWidget@k@>) -> Result<(StatusCode, Json<Widget@k@>), ApiError> {
@vb@    let widget = tokio::task::spawn_blocking(move || Widget@k@::from_new(1, body))
        .await
        .expect("blocking task");
    Ok((StatusCode::CREATED, Json(widget)))
}
""",
    3: """\
pub async fn @name@(Path(id): Path<u64>, Json(body): Json<NewWidget@k@>) -> Result<Json<Widget@k@>, ApiError> {
@vb@    Ok(Json(Widget@k@::from_new(id, body)))
}
""",
    4: """\
pub async fn @name@(Path(id): Path<u64>) -> Result<StatusCode, ApiError> {
    tokio::task::spawn_blocking(move || {
        if id == 0 {
            return Err(ApiError::not_found("widget 0 does not exist"));
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
    .expect("blocking task")
}
""",
    5: """\
pub async fn @name@(Path(id): Path<u64>) -> String {
    tokio::task::spawn_blocking(move || format!("widget {id} of catalogue @k@"))
        .await
        .expect("blocking task")
}
""",
    6: """\
pub async fn @name@(Path(id): Path<u64>, Json(body): Json<NewWidget@k@>) -> Result<Json<Widget@k@>, ApiError> {
@vb@    let widget = tokio::task::spawn_blocking(move || {
        let mut widget = Widget@k@::from_new(id, body);
        widget.active = false;
        widget
    })
    .await
    .expect("blocking task");
    Ok(Json(widget))
}
""",
    7: """\
pub async fn @name@(Path(id): Path<u64>, Query(filter): Query<Widget@k@Filter>) -> Result<Json<Vec<Widget@k@>>, ApiError> {
@vq@    let Widget@k@Filter { limit, offset, .. } = filter;
    Ok(Json((offset..offset + u64::from(limit)).map(|n| Widget@k@::sample(id + n, format!("related {n}"))).collect()))
}
""",
    8: """\
pub async fn @name@(Query(filter): Query<Widget@k@Filter>, Json(body): Json<NewWidget@k@>) -> Result<Json<Vec<Widget@k@>>, ApiError> {
@vq@@vb@    let Widget@k@Filter { limit, offset, .. } = filter;
    Ok(Json((offset..offset + u64::from(limit)).map(|id| Widget@k@::from_new(id, body.clone())).collect()))
}
""",
    9: """\
pub async fn @name@(Path((id, name)): Path<(u64, String)>) -> Json<Widget@k@> {
    let widget = tokio::task::spawn_blocking(move || Widget@k@::sample(id, name))
        .await
        .expect("blocking task");
    Json(widget)
}
""",
}

ID_PARAM = '("id" = u64, Path, description = "The widget\'s id.")'
NAME_PARAM = '("name" = String, Path, description = "The widget\'s name.")'
# The framework errors documented per kind of input, like oxapi documents its own.
ERR_422 = '(status = 422, description = "Invalid input.", body = ErrorBody)'
BODY_ERRS = [
    '(status = 400, description = "Malformed JSON.", body = ErrorBody)',
    '(status = 413, description = "The body is too large.", body = ErrorBody)',
    '(status = 415, description = "The body is not JSON.", body = ErrorBody)',
]
NOT_FOUND = '(status = 404, description = "No widget has this id.", body = ErrorBody)'


def utoipa_path_attr(r: dict) -> str:
    k, slot = r["k"], r["slot"]
    params = []
    if "id" in r["params"]:
        params.append(ID_PARAM)
    if "name" in r["params"]:
        params.append(NAME_PARAM)
    if "query" in r["params"]:
        params.append(f"Widget{k}Filter")
    success = {
        0: f'(status = 200, description = "The widget.", body = Widget{k})',
        1: f'(status = 200, description = "The widgets.", body = Vec<Widget{k}>)',
        2: f'(status = 201, description = "The widget, as created.", body = Widget{k})',
        3: f'(status = 200, description = "The widget, as replaced.", body = Widget{k})',
        4: '(status = 204, description = "Deleted.")',
        5: '(status = 200, description = "The summary.", body = String, content_type = "text/plain")',
        6: f'(status = 200, description = "The widget, as updated.", body = Widget{k})',
        7: f'(status = 200, description = "The related widgets.", body = Vec<Widget{k}>)',
        8: f'(status = 200, description = "The widgets found.", body = Vec<Widget{k}>)',
        9: f'(status = 200, description = "The widget.", body = Widget{k})',
    }[slot]
    responses = [success]
    if slot in (0, 4):
        responses.append(NOT_FOUND)
    if r["params"]:
        responses.append(ERR_422)
    if "body" in r["params"]:
        responses.extend(BODY_ERRS)
    lines = [f"    {r['method']},", f'    path = "{r["path"]}",', f'    tag = "c{k}",']
    if "body" in r["params"]:
        lines.append(f"    request_body = NewWidget{k},")
    if params:
        lines.append("    params(" + ", ".join(params) + "),")
    lines.append("    responses(\n        " + ",\n        ".join(responses) + "\n    )")
    return "#[utoipa::path(\n" + "\n".join(lines) + "\n)]\n"


def gen_axum(root: pathlib.Path, n_routes: int, crate: str, documented: bool) -> None:
    deps = [
        'axum = "0.8"',
        'serde = { version = "1", features = ["derive"] }',
        'tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }',
    ]
    if documented:
        deps += ['utoipa = "6"', 'validator = { version = "0.21", features = ["derive"] }']
    write(
        root,
        "Cargo.toml",
        f"""\
[package]
name = "{crate}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
{chr(10).join(deps)}

# Not part of any other workspace.
[workspace]
""",
    )
    attrs = DOC_ATTRS if documented else PLAIN_ATTRS
    models = file_header("Models: one documented set per catalogue.")
    models += "use serde::{Deserialize, Serialize};\n"
    if documented:
        models += "use utoipa::{IntoParams, ToSchema};\nuse validator::Validate;\n"
    models += "\n/// The default page size.\npub fn default_limit() -> u32 {\n    10\n}\n\n"
    for k in range(len(groups_of(n_routes))):
        models += sub(AXUM_MODELS, k=k, **attrs)
    write(root, "src/models.rs", models)

    write(
        root,
        "src/error.rs",
        file_header("Handler errors.")
        + sub(
            ERROR_RS,
            use_schema="use utoipa::ToSchema;\n" if documented else "",
            derive_schema=", ToSchema" if documented else "",
            validation_from=VALIDATION_FROM if documented else "",
        ),
    )

    files = handler_files(n_routes)
    for f, indices in files.items():
        text = file_header(f"Handlers, routes {indices[0]} to {indices[-1]}.")
        text += "#![allow(unused_imports)]\n\n"
        text += "use axum::Json;\nuse axum::extract::{Path, Query};\nuse axum::http::StatusCode;\n"
        if documented:
            text += "use validator::Validate;\n"
        text += "\nuse crate::error::{ApiError, ErrorBody};\nuse crate::models::*;\n\n"
        for i in indices:
            r = route(i)
            text += doc_lines(r["summary"], r["description"])
            if documented:
                text += utoipa_path_attr(r)
            text += sub(
                AXUM_HANDLER_BODIES[r["slot"]],
                name=r["name"],
                k=r["k"],
                rev=rev_for(i, n_routes),
                vq="    filter.validate()?;\n" if documented else "",
                vb="    body.validate()?;\n" if documented else "",
            )
            text += "\n"
        write(root, f"src/h{f:02}.rs", text)

    # Routes grouped by path, methods chained, in first-seen order.
    by_path: dict[str, list[dict]] = {}
    for i in range(n_routes):
        r = route(i)
        by_path.setdefault(r["path"], []).append(r)

    main = file_header("The benchmark service: every route of every handler file.")
    for f in files:
        main += f"mod h{f:02};\n"
    main += "mod error;\nmod models;\n\n"
    # The method functions that start a chain (the rest are `MethodRouter` methods).
    first = sorted({rs[0]["method"] for rs in by_path.values()} | ({"get"} if documented else set()))
    main += "use axum::Router;\nuse axum::routing::{" + ", ".join(first) + "};\n"
    if documented:
        main += "use utoipa::OpenApi;\n"
    main += "\n"
    if documented:
        main += "/// The OpenAPI document: every path and schema.\n#[derive(OpenApi)]\n#[openapi(\n"
        main += '    info(title = "Bench API", version = "0.1.0"),\n    paths(\n'
        for i in range(n_routes):
            main += f"        h{file_of_route(i):02}::{route(i)['name']},\n"
        main += "    ),\n    components(schemas(\n        error::ErrorBody,\n"
        for k in range(len(groups_of(n_routes))):
            main += f"        models::Widget{k},\n        models::NewWidget{k},\n"
        main += "    ))\n)]\nstruct ApiDoc;\n\n"
    main += "fn app() -> Router {\n"
    if documented:
        main += "    let document = ApiDoc::openapi().to_json().expect(\"the document serializes\");\n"
    main += "    Router::new()\n"
    if documented:
        main += (
            '        .route("/openapi.json", get(move || async move {\n'
            '            ([(axum::http::header::CONTENT_TYPE, "application/json")], document)\n'
            "        }))\n"
        )
    for path, rs in by_path.items():
        chain = ".".join(f"{r['method']}(h{file_of_route(r['i']):02}::{r['name']})" for r in rs)
        main += f'        .route("{path}", {chain})\n'
    main += "}\n\n"
    main += "#[tokio::main]\nasync fn main() {\n"
    if documented:
        main += (
            "    // `SERVICE openapi` prints the document, as oxapi services do.\n"
            '    if std::env::args().nth(1).as_deref() == Some("openapi") {\n'
            '        println!("{}", ApiDoc::openapi().to_pretty_json().expect("the document serializes"));\n'
            "        return;\n    }\n"
        )
    main += (
        '    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await.expect("bind");\n'
        '    axum::serve(listener, app()).await.expect("serve");\n}\n'
    )
    write(root, "src/main.rs", main)


# ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", type=int, default=200)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--kind", required=True, choices=["oxapi", "utoipa", "axum"])
    parser.add_argument("--name", help="crate name (default bench_<kind>)")
    parser.add_argument(
        "--oxapi-path",
        default=str(pathlib.Path(__file__).resolve().parents[2] / "runtime"),
        help="path of the oxapi runtime crate (default: this checkout's runtime/)",
    )
    args = parser.parse_args()
    name = args.name or f"bench_{args.kind}"
    args.out.mkdir(parents=True, exist_ok=True)
    if args.kind == "oxapi":
        gen_oxapi(args.out, args.routes, name, os.path.abspath(args.oxapi_path))
    else:
        gen_axum(args.out, args.routes, name, documented=args.kind == "utoipa")
    print(f"{args.out}: {args.kind}, {args.routes} routes, touch {touched_file(args.routes)}")


if __name__ == "__main__":
    main()
