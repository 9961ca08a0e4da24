//! Assembling the document from operation descriptions.
//!
//! The document-level model (info, contact, license, servers, tags) is utoipa's. Operations
//! are kept as typed records whose schemas are schemars' JSON verbatim: converting schemars
//! output into utoipa's `Schema` loses tagged-enum tags, tuple items and flattened enums, and
//! fails on `true` schemas, so schemas never go through it.

use std::any::TypeId;
use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::catalogue::{FrameworkError, PROBLEM_JSON, field_error_schema, problem_schema};
use crate::framework::FrameworkDocs;
use crate::info::ApiInfo;
use crate::responses::Responses;
use crate::rules::ParamRules;
use crate::webhook::Webhook;

/// Where the type schemas live in the document.
pub(crate) const SCHEMAS_PATH: &str = "/components/schemas/";

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// A `{name}` path segment.
    Path,
    /// A query-string key.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
}

/// Where a handler runs, stated in the document as `x-oxapi-dispatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// An `async fn`, awaited on the event loop.
    EventLoop,
    /// A plain `fn`, called on the blocking pool.
    BlockingPool,
}

/// One operation, as its route and extractors describe it.
///
/// Made by [`DocumentBuilder::operation`]; the route's generated code and each extractor's
/// `describe` add to it.
#[derive(Debug)]
pub struct OperationDoc<'g> {
    generator: &'g mut SchemaGenerator,
    framework: &'g FrameworkDocs,
    operation: Operation,
    responses: Responses,
    success_status: u16,
    /// Set while an error type documents itself (see [`OperationDoc::error_type`]): what it
    /// documents as a plain success goes to the `default` response.
    in_error_type: bool,
    /// The `default` response: content whose status is chosen at run time.
    default_response: Option<Map<String, Value>>,
    /// `response_description = ..`.
    success_description: Option<String>,
    /// Whether the framework's errors are documented: not for a request the API sends.
    framework_errors: bool,
    states: Vec<(TypeId, &'static str)>,
    peer_addr: bool,
    app_errors: bool,
    /// The security schemes the operation's requirement names, by name, for the document's
    /// `components.securitySchemes`.
    security_schemes: Vec<(String, Value)>,
    /// The schemes an operation reads if sent (`Option<HttpBearer>`), with their scopes.
    optional_security: Map<String, Value>,
}

/// The serialized form of an operation.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// Empty for a webhook or callback that names none.
    #[serde(skip_serializing_if = "String::is_empty")]
    operation_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parameters: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_body: Option<Value>,
    /// By status, then `default`.
    responses: Map<String, Value>,
    /// Requests the API sends while serving this operation, by name, then by URL
    /// expression, then by method.
    #[serde(skip_serializing_if = "Map::is_empty")]
    callbacks: Map<String, Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deprecated: bool,
    /// The security requirement: every scheme an extractor of the operation (or of its
    /// router's or app's dependencies) reads, each with the scopes it requires, all required
    /// together as the extractors are; then, if the operation also reads optional credentials,
    /// a second alternative with those too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    security: Vec<Map<String, Value>>,
    /// Where the handler runs; none for a webhook or callback, which the API sends.
    #[serde(rename = "x-oxapi-dispatch", skip_serializing_if = "Option::is_none")]
    dispatch: Option<&'static str>,
    /// A WebSocket operation's message schemas: OpenAPI has no words for WebSockets, so they
    /// sit in an extension, `{"client": schema, "server": schema}`.
    #[serde(rename = "x-websocket", skip_serializing_if = "Option::is_none")]
    websocket: Option<Value>,
    /// `openapi_extra = ..`, merged into the serialized operation.
    #[serde(skip)]
    extra: Option<Value>,
}

/// What the route attribute knew about an operation.
#[derive(Debug, Clone, Copy)]
pub struct OperationMeta<'a> {
    /// The `operationId`.
    pub operation_id: &'a str,
    /// The doc comment's first paragraph.
    pub summary: Option<&'a str>,
    /// The rest of the doc comment.
    pub description: Option<&'a str>,
    /// Tags.
    pub tags: &'a [&'a str],
    /// From `#[deprecated]`.
    pub deprecated: bool,
    /// Event loop or blocking pool.
    pub dispatch: Dispatch,
    /// `status = ..`: the status of a plain success.
    pub status: Option<u16>,
    /// `responses(..)`: more statuses the handler produces, with descriptions.
    pub responses: &'a [(u16, &'a str)],
    /// `response_description = ..`: the success response's description.
    pub response_description: Option<&'a str>,
    /// `openapi_extra = ..`: a JSON object merged into the operation object, checked when
    /// the route compiled.
    pub extra: Option<&'a str>,
    /// Whether `operation_id = ..` was given: an app-wide
    /// [`OperationIdStrategy`](crate::OperationIdStrategy) names only the other operations.
    pub operation_id_given: bool,
}

impl<'a> OperationMeta<'a> {
    /// An operation that says nothing but its id: no summary, tags or options, on the event
    /// loop. For the framework's own routes and for tests.
    pub const fn named(operation_id: &'a str) -> Self {
        Self {
            operation_id,
            summary: None,
            description: None,
            tags: &[],
            deprecated: false,
            dispatch: Dispatch::EventLoop,
            status: None,
            responses: &[],
            response_description: None,
            extra: None,
            operation_id_given: false,
        }
    }
}

impl<'g> OperationDoc<'g> {
    /// A description of `operation` whose plain success is `success_status`.
    fn new(
        generator: &'g mut SchemaGenerator,
        framework: &'g FrameworkDocs,
        operation: Operation,
        success_status: u16,
    ) -> Self {
        Self {
            generator,
            framework,
            operation,
            responses: Responses::default(),
            success_status,
            in_error_type: false,
            default_response: None,
            success_description: None,
            framework_errors: true,
            states: Vec::new(),
            peer_addr: false,
            app_errors: false,
            security_schemes: Vec::new(),
            optional_security: Map::new(),
        }
    }
}

/// The schema of an `Option<T>` field as a parameter: `T`'s. A parameter that is absent is
/// the `None`; its value is never JSON's `null`, so the schema must not allow it.
fn without_null(mut schema: Value) -> Value {
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".into(), only);
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = object.get_mut(key) else {
            continue;
        };
        branches.retain(|branch| branch.get("type").and_then(Value::as_str) != Some("null"));
        if let [only] = branches.as_slice() {
            let only = only.clone();
            object.remove(key);
            if let Some(only) = only.as_object() {
                for (k, v) in only {
                    object.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    schema
}

/// What a parameter attribute says beyond the parameter's name and type.
#[derive(Debug, Clone, Default)]
pub struct ParamDoc<'a> {
    /// `description = ".."`.
    pub description: Option<&'a str>,
    /// `deprecated`.
    pub deprecated: bool,
    /// `default = ..`, as JSON.
    pub default: Option<Value>,
    /// `example = ..`, as JSON.
    pub example: Option<Value>,
    /// The rules the server enforces on each value.
    pub rules: ParamRules,
}

impl OperationDoc<'_> {
    /// The schema generator, for extractors that describe themselves in ways not covered here.
    pub fn generator(&mut self) -> &mut SchemaGenerator {
        self.generator
    }

    /// Adds a single-value parameter of type `T` (for `Option<T>`, pass `T` and
    /// `required = false`).
    pub fn param<T: JsonSchema + ?Sized>(
        &mut self,
        location: ParamLocation,
        name: &str,
        required: bool,
    ) {
        let schema = self.generator.subschema_for::<T>().to_value();
        self.push_param(location, name, required, schema, None);
        self.error(FrameworkError::Validation);
    }

    /// Adds a single-value parameter of type `T` with what its attribute says: rules the
    /// server enforces on each value, a default, a description, an example, deprecation.
    pub fn param_with<T: JsonSchema + ?Sized>(
        &mut self,
        location: ParamLocation,
        name: &str,
        required: bool,
        doc: ParamDoc<'_>,
    ) {
        let mut schema = self.generator.subschema_for::<T>().to_value();
        if !doc.rules.is_empty() {
            // A list parameter's rules hold for each of its values.
            let is_array = schema.get("type").and_then(Value::as_str) == Some("array");
            match schema.get_mut("items") {
                Some(items) if is_array => doc.rules.apply_to(items),
                _ => doc.rules.apply_to(&mut schema),
            }
        }
        if let (Some(default), Some(object)) = (doc.default, schema.as_object_mut()) {
            object.insert("default".into(), default);
        }
        let before = self.operation.parameters.len();
        self.push_param(
            location,
            name,
            required,
            schema,
            doc.description.map(str::to_owned),
        );
        if self.operation.parameters.len() > before
            && let Some(param) = self
                .operation
                .parameters
                .last_mut()
                .and_then(Value::as_object_mut)
        {
            if doc.deprecated {
                param.insert("deprecated".into(), Value::Bool(true));
            }
            if let Some(example) = doc.example {
                param.insert("example".into(), example);
            }
        }
        self.error(FrameworkError::Validation);
    }

    fn push_param(
        &mut self,
        location: ParamLocation,
        name: &str,
        required: bool,
        mut schema: Value,
        description: Option<String>,
    ) {
        // The description belongs to the parameter, not to its schema.
        let description = description.or_else(|| {
            schema
                .as_object_mut()
                .and_then(|object| object.remove("description"))
                .and_then(|d| d.as_str().map(str::to_owned))
        });
        // A parameter read twice (by a router's dependency and by the handler, say) is one
        // parameter: OpenAPI requires `name` + `in` to be unique. Header names ignore case.
        let same = |param: &Value| {
            param["in"] == json!(location)
                && param["name"].as_str().is_some_and(|existing| {
                    if location == ParamLocation::Header {
                        existing.eq_ignore_ascii_case(name)
                    } else {
                        existing == name
                    }
                })
        };
        if let Some(existing) = self.operation.parameters.iter_mut().find(|p| same(p)) {
            if required && let Some(object) = existing.as_object_mut() {
                object.insert("required".into(), Value::Bool(true));
            }
            return;
        }
        // The schema's first example (`#[schemars(example = ..)]` on a query field) is also
        // the parameter's, which the docs pages fill in.
        let example = schema
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|examples| examples.first())
            .cloned();
        let mut param = json!({
            "name": name,
            "in": location,
            "required": required || location == ParamLocation::Path,
            "schema": schema,
        });
        if let (Some(example), Some(object)) = (example, param.as_object_mut()) {
            object.insert("example".into(), example);
        }
        if let (Some(description), Some(object)) = (description, param.as_object_mut()) {
            object.insert("description".into(), Value::String(description));
        }
        self.operation.parameters.push(param);
    }

    /// Adds one query parameter for each field of the struct `T` (`Query<T>`): required unless
    /// optional or defaulted, described by the field's doc comment.
    pub fn query_struct<T: JsonSchema + ?Sized>(&mut self) {
        self.struct_params::<T>(ParamLocation::Query, str::to_owned);
    }

    /// Adds one parameter in `location` for each field of the struct `T` (`Query<T>`,
    /// `Header<T>`, `Cookie<T>`), named `wire_name(field)`: required unless optional or
    /// defaulted, described by the field's doc comment.
    pub fn struct_params<T: JsonSchema + ?Sized>(
        &mut self,
        location: ParamLocation,
        wire_name: impl Fn(&str) -> String,
    ) {
        let schema = T::json_schema(self.generator).to_value();
        let schema = self.resolve(schema);
        let required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let is_required = required.contains(name);
                self.push_param(
                    location,
                    &wire_name(name),
                    is_required,
                    without_null(property.clone()),
                    None,
                );
            }
        }
        self.error(FrameworkError::Validation);
    }

    /// Follows a `$ref` to the schema it names.
    fn resolve(&self, schema: Value) -> Value {
        let name = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix(&format!("#{SCHEMAS_PATH}")));
        match name.and_then(|name| self.generator.definitions().get(name)) {
            Some(definition) => definition.clone(),
            None => schema,
        }
    }

    /// Declares the request body: `media_type` with the schema of `T`.
    pub fn request_body<T: JsonSchema + ?Sized>(&mut self, media_type: &str, required: bool) {
        let schema = self.generator.subschema_for::<T>().to_value();
        self.request_body_schema(media_type, schema, required);
    }

    /// Declares the request body with an explicit schema.
    pub fn request_body_schema(&mut self, media_type: &str, schema: Value, required: bool) {
        self.operation.request_body = Some(json!({
            "required": required,
            "content": { media_type: { "schema": schema } },
        }));
    }

    /// Declares the successful response: the route's status (200 unless `status = ..`), with
    /// `media_type` and the schema of `T`.
    pub fn success<T: JsonSchema + ?Sized>(&mut self, media_type: &str) {
        let schema = self.generator.subschema_for::<T>().to_value();
        self.success_schema(media_type, schema);
    }

    /// Declares the successful response with an explicit schema.
    pub fn success_schema(&mut self, media_type: &str, schema: Value) {
        if self.in_error_type {
            // An error's content at a status chosen at run time: the `default` response.
            let response = self.default_response.get_or_insert_with(|| {
                let mut object = Map::new();
                object.insert(
                    "description".into(),
                    "An error whose status is chosen when it is sent.".into(),
                );
                object
            });
            set_content(response, media_type, schema);
            return;
        }
        let status = self.success_status;
        self.response_schema(status, media_type, schema);
    }

    /// Declares the successful response as a stream of items in `media_type` (JSON Lines,
    /// Server-Sent Events). OpenAPI 3.1 has no schema for one item of a stream (3.2's
    /// `itemSchema`), so `item_schema` is the media type's `schema`, and `x-oxapi-stream`
    /// names the framing (`framing`), saying the schema is each item's.
    pub fn success_stream(&mut self, media_type: &str, item_schema: Value, framing: &str) {
        self.success_schema(media_type, item_schema);
        if self.in_error_type {
            return;
        }
        let status = self.success_status;
        if let Some(Value::Object(media)) = self
            .responses
            .own(status, None)
            .get_mut("content")
            .and_then(|content| content.get_mut(media_type))
        {
            media.insert("x-oxapi-stream".into(), Value::from(framing));
        }
    }

    /// Declares a WebSocket operation: its success is `101 Switching Protocols`, and the
    /// schemas of the messages each side sends (`None` for frames of any content) go in the
    /// operation's `x-websocket` extension as `client` and `server`.
    pub fn websocket(&mut self, client: Option<Value>, server: Option<Value>) {
        self.success_status = 101;
        self.responses.own(
            101,
            Some("Switching Protocols: the connection is now a WebSocket (RFC 6455)."),
        );
        let mut messages = Map::new();
        if let Some(client) = client {
            messages.insert("client".into(), client);
        }
        if let Some(server) = server {
            messages.insert("server".into(), server);
        }
        self.operation.websocket = Some(Value::Object(messages));
    }

    /// Declares the successful response with no body.
    pub fn success_empty(&mut self) {
        // An error type with no content and no known status says nothing worth a response.
        if self.in_error_type {
            return;
        }
        let status = self.success_status;
        self.response_empty(status, None);
    }

    /// Runs `describe` for the error side of a response type (the `E` of `Result<T, E>`).
    ///
    /// What `describe` documents at a status it names (an [`HttpError`]'s
    /// `problem_response(404, ..)`) is documented there. What it documents as a plain success
    /// (a `Json<E>`, a `(StatusCode, Json<E>)` whose status is chosen at run time) is not the
    /// operation's success, which keeps its own content: it is documented as the `default`
    /// response, OpenAPI's "any other status".
    ///
    /// [`HttpError`]: https://docs.rs/oxapi/latest/oxapi/trait.HttpError.html
    pub fn error_type(&mut self, describe: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.in_error_type, true);
        describe(self);
        self.in_error_type = outer;
    }

    /// Declares a response with `status`, `media_type` and an explicit schema.
    pub fn response_schema(&mut self, status: u16, media_type: &str, schema: Value) {
        set_content(self.responses.own(status, None), media_type, schema);
    }

    /// Declares a response with `status` and no body, with an optional header it sets.
    pub fn response_empty(&mut self, status: u16, header: Option<(&str, &str)>) {
        let response = self.responses.own(status, None);
        if let Some((name, description)) = header {
            let headers = response
                .entry("headers")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(headers) = headers.as_object_mut() {
                headers.insert(
                    name.to_owned(),
                    json!({ "description": description, "schema": { "type": "string" } }),
                );
            }
        }
    }

    /// Declares an error response with problem details, for a status the handler's error
    /// type or `responses(..)` names.
    ///
    /// If the framework can send an error with the same status, the document shows one
    /// response with this description and both bodies (see the [crate docs](crate)); the first
    /// description given for a status is kept.
    pub fn problem_response(&mut self, status: u16, description: &str) {
        self.responses.own(status, Some(description)).insert(
            "content".into(),
            json!({ PROBLEM_JSON: { "schema": { "$ref": format!("#{SCHEMAS_PATH}Problem") } } }),
        );
    }

    /// Declares a response with `status` whose body is the JSON of `T` (route option
    /// `responses(404 = Message)`), described by `description`, else by `T`'s doc comment,
    /// else by the status's reason phrase.
    pub fn response_model<T: JsonSchema + ?Sized>(
        &mut self,
        status: u16,
        description: Option<&str>,
    ) {
        let schema = self.generator.subschema_for::<T>().to_value();
        let doc = self
            .resolve(schema.clone())
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let description = description.map(str::to_owned).or(doc);
        let response = self.responses.own(status, description.as_deref());
        set_content(response, "application/json", schema);
    }

    /// Declares that the framework may answer with each of `errors`.
    pub fn errors(&mut self, errors: &[FrameworkError]) {
        for error in errors {
            self.error(*error);
        }
    }

    /// Declares that the framework may answer with `error`.
    pub fn error(&mut self, error: FrameworkError) {
        if self.framework_errors {
            self.responses.framework(error);
        }
    }

    /// Declares that the operation may answer with the errors the app maps to responses
    /// itself (a handler returning `oxapi::Error`); the app then documents each mapping on
    /// this operation. See [`has_app_errors`](Self::has_app_errors).
    pub fn app_errors(&mut self) {
        self.app_errors = true;
    }

    /// Whether [`app_errors`](Self::app_errors) was declared.
    pub fn has_app_errors(&self) -> bool {
        self.app_errors
    }

    /// Runs `describe` with `status` as the status of a plain success, so that what a type
    /// documents as its success (`Json<T>::describe`) is documented at `status`: for the
    /// response an error is mapped to.
    pub fn at_status(&mut self, status: u16, describe: impl FnOnce(&mut Self)) {
        let success = std::mem::replace(&mut self.success_status, status);
        let in_error_type = std::mem::replace(&mut self.in_error_type, false);
        describe(self);
        self.success_status = success;
        self.in_error_type = in_error_type;
    }

    /// Adds a tag, unless the operation has it already (a router's tag beside the route's).
    pub fn tag(&mut self, name: &str) {
        if !self.operation.tags.iter().any(|tag| tag == name) {
            self.operation.tags.push(name.to_owned());
        }
    }

    /// Records that the operation needs the app state `T`, checked when the app is built.
    pub fn require_state<T: 'static>(&mut self) {
        self.states
            .push((TypeId::of::<T>(), std::any::type_name::<T>()));
    }

    /// The app states the operation needs.
    pub fn states(&self) -> &[(TypeId, &'static str)] {
        &self.states
    }

    /// Records that the operation reads the connection's peer address, so the server hands
    /// it to requests. An app none of whose operations records it attaches no address, and
    /// its requests carry nothing they do not use.
    pub fn require_peer_addr(&mut self) {
        self.peer_addr = true;
    }

    /// Records that the operation requires the security scheme `name` (a [Security Scheme
    /// Object](https://spec.openapis.org/oas/v3.1.1.html#security-scheme-object), listed under
    /// `components.securitySchemes`) with `scopes` (OAuth2 scopes; empty for other schemes).
    ///
    /// Every scheme recorded is required together; a scheme recorded twice (by a router's
    /// dependency and by the handler) is required once, with the union of the scopes.
    pub fn security(&mut self, name: &str, scheme: Value, scopes: &[&str]) {
        self.security_scheme(name, scheme);
        if self.operation.security.is_empty() {
            self.operation.security.push(Map::new());
        }
        add_scopes(&mut self.operation.security[0], name, scopes);
    }

    /// Records that the operation reads the security scheme `name` if the client sends it
    /// (`Option<HttpBearer>`, FastAPI's `auto_error=False`): the requirement gets a second
    /// alternative with it, beside the one without (`[{}, {"HTTPBearer": []}]` when nothing else
    /// is required).
    pub fn optional_security(&mut self, name: &str, scheme: Value, scopes: &[&str]) {
        self.security_scheme(name, scheme);
        add_scopes(&mut self.optional_security, name, scopes);
    }

    /// Lists `scheme` under `name` for the document, the first description given winning.
    fn security_scheme(&mut self, name: &str, scheme: Value) {
        if !self.security_schemes.iter().any(|(known, _)| known == name) {
            self.security_schemes.push((name.to_owned(), scheme));
        }
    }

    /// The parameters added so far, as JSON.
    pub fn parameters(&self) -> &[Value] {
        &self.operation.parameters
    }

    /// Ends the description, releasing the builder.
    pub fn finish(mut self) -> DescribedOperation {
        if !self.optional_security.is_empty() {
            let required = self.operation.security.first().cloned().unwrap_or_default();
            let mut with_optional = required.clone();
            for (name, scopes) in std::mem::take(&mut self.optional_security) {
                let scopes: Vec<&str> = scopes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                add_scopes(&mut with_optional, &name, &scopes);
            }
            // Optional credentials the operation requires anyway add no alternative.
            if with_optional != required {
                self.operation.security = vec![required, with_optional];
            }
        }
        // Every operation documents a success: an operation whose return type said nothing
        // of one still answers with its route's status.
        if !self.responses.has_own_success() {
            self.responses.own(self.success_status, None);
        }
        if let Some(description) = self.success_description.take() {
            self.responses
                .describe_success(self.success_status, description);
        }
        let mut responses: Map<String, Value> = self
            .responses
            .render(self.framework)
            .into_iter()
            .map(|(status, response)| (status.to_string(), response))
            .collect();
        if let Some(default) = self.default_response {
            responses.insert("default".into(), Value::Object(default));
        }
        self.operation.responses = responses;
        DescribedOperation {
            operation: self.operation,
            states: self.states,
            peer_addr: self.peer_addr,
            security_schemes: self.security_schemes,
        }
    }
}

/// A finished operation description, ready for [`DocumentBuilder::insert`].
#[derive(Debug)]
pub struct DescribedOperation {
    operation: Operation,
    states: Vec<(TypeId, &'static str)>,
    peer_addr: bool,
    security_schemes: Vec<(String, Value)>,
}

impl DescribedOperation {
    /// Adds the callback `name`: the request `webhook` the API sends to the URL `expression`
    /// (a runtime expression such as `{$request.body#/callbackUrl}`), made by
    /// [`DocumentBuilder::sent_operation`].
    pub fn callback(&mut self, name: &str, expression: &str, method: &str, operation: Value) {
        let callback = self
            .operation
            .callbacks
            .entry(name.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        merge_json(
            callback,
            json!({ expression: { method.to_ascii_lowercase(): operation } }),
        );
    }

    /// The app states the operation needs.
    pub fn states(&self) -> &[(TypeId, &'static str)] {
        &self.states
    }

    /// Whether the operation reads the connection's peer address (see
    /// [`OperationDoc::require_peer_addr`]).
    pub fn requires_peer_addr(&self) -> bool {
        self.peer_addr
    }
}

/// Builds one document from every operation.
#[derive(Debug)]
pub struct DocumentBuilder {
    info: ApiInfo,
    generator: SchemaGenerator,
    framework: FrameworkDocs,
    paths: BTreeMap<String, BTreeMap<String, Value>>,
    webhooks: BTreeMap<String, BTreeMap<String, Value>>,
    /// `components.securitySchemes`: the first description given for each name.
    security_schemes: BTreeMap<String, Value>,
}

/// Why a document could not be built: a bug in a description, reported at startup.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentError {
    /// A `$ref` points at no schema or response of the document.
    DanglingRef {
        /// The reference.
        reference: String,
    },
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DanglingRef { reference } => {
                write!(
                    f,
                    "the document references `{reference}`, which it does not define"
                )
            }
        }
    }
}

impl std::error::Error for DocumentError {}

impl DocumentBuilder {
    /// A builder for an API described by `info`.
    pub fn new(info: ApiInfo) -> Self {
        let mut settings = SchemaSettings::draft2020_12();
        settings.definitions_path = SCHEMAS_PATH.into();
        settings.meta_schema = None;
        Self {
            info,
            generator: settings.into_generator(),
            framework: FrameworkDocs::default(),
            paths: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            security_schemes: BTreeMap::new(),
        }
    }

    /// Documents the framework error `error` as the app renders it instead of problem
    /// details: with the content `describe` documents for a plain success (usually a return
    /// type's `IntoResponse::describe`), at the error's status. The catalogue's description
    /// and headers are kept; a `describe` that documents no content leaves the response
    /// without `content`. Call it before describing operations, which merge the error's
    /// content where they document its status too.
    pub fn framework_error_response(
        &mut self,
        error: FrameworkError,
        describe: impl FnOnce(&mut OperationDoc<'_>),
    ) {
        let status = error.spec().status;
        let empty = FrameworkDocs::default();
        let mut op = OperationDoc::new(&mut self.generator, &empty, Operation::default(), status);
        describe(&mut op);
        let content = op
            .responses
            .take_own(status)
            .and_then(|mut own| own.remove("content"))
            .and_then(|content| match content {
                Value::Object(content) => Some(content),
                _ => None,
            })
            .unwrap_or_default();
        self.framework.set(error, content);
    }

    /// Starts describing the operation `meta`; the returned description borrows the builder's
    /// schema generator, so schemas of every operation end up in one place.
    pub fn operation(&mut self, meta: &OperationMeta<'_>) -> OperationDoc<'_> {
        let operation = Operation {
            tags: meta.tags.iter().map(|t| (*t).to_owned()).collect(),
            summary: meta.summary.map(str::to_owned),
            description: meta.description.map(str::to_owned),
            operation_id: meta.operation_id.to_owned(),
            deprecated: meta.deprecated,
            dispatch: Some(match meta.dispatch {
                Dispatch::EventLoop => "event-loop",
                Dispatch::BlockingPool => "blocking-pool",
            }),
            // The macro checked it: text that is no JSON object cannot get here.
            extra: meta
                .extra
                .and_then(|extra| serde_json::from_str(extra).ok()),
            ..Operation::default()
        };
        let mut op = OperationDoc::new(
            &mut self.generator,
            &self.framework,
            operation,
            meta.status.unwrap_or(200),
        );
        op.success_description = meta.response_description.map(str::to_owned);
        for (status, description) in meta.responses {
            op.problem_response(*status, description);
        }
        // A panic or a failing handler is a 500 on every operation; the pool's queue limit
        // is a 503 on every plain-fn operation.
        op.error(FrameworkError::Internal);
        if meta.dispatch == Dispatch::BlockingPool {
            op.error(FrameworkError::Overloaded);
        }
        op
    }

    /// The operation object of a request the API sends (a webhook or a callback): what
    /// `webhook` describes, without the framework's errors, which the receiver does not send.
    pub fn sent_operation(&mut self, webhook: &Webhook) -> (String, Value) {
        let empty = FrameworkDocs::default();
        let operation = Operation {
            tags: webhook.tags.clone(),
            summary: webhook.summary.clone(),
            description: webhook.description.clone(),
            operation_id: webhook.operation_id.clone().unwrap_or_default(),
            ..Operation::default()
        };
        let mut op = OperationDoc::new(&mut self.generator, &empty, operation, 200);
        op.framework_errors = false;
        for describe in &webhook.describe {
            describe(&mut op);
        }
        let described = op.finish();
        let value = serde_json::to_value(&described.operation).unwrap_or(Value::Null);
        (webhook.method.clone(), value)
    }

    /// Adds the webhook `name` to the document's `webhooks`.
    pub fn webhook(&mut self, name: &str, webhook: &Webhook) {
        let (method, operation) = self.sent_operation(webhook);
        self.webhooks
            .entry(name.to_owned())
            .or_default()
            .insert(method, operation);
    }

    /// Adds a described operation at `method` and `path` (a route template: a catch-all
    /// `{*rest}` is documented as the OpenAPI template `{rest}`).
    pub fn insert(&mut self, method: &str, path: &str, op: DescribedOperation) {
        for (name, scheme) in op.security_schemes {
            self.security_schemes.entry(name).or_insert(scheme);
        }
        let mut value = serde_json::to_value(&op.operation).unwrap_or(Value::Null);
        if let Some(extra) = op.operation.extra {
            merge_json(&mut value, extra);
        }
        self.paths
            .entry(openapi_template(path))
            .or_default()
            .insert(method.to_ascii_lowercase(), value);
    }

    /// The finished document.
    ///
    /// # Errors
    ///
    /// If any `$ref` points nowhere (a bug in a description).
    pub fn finish(mut self) -> Result<Value, DocumentError> {
        let schemas = self.generator.take_definitions(true);
        let mut document = self.info.to_value();
        let Some(object) = document.as_object_mut() else {
            return Ok(document);
        };
        object.insert(
            "paths".into(),
            serde_json::to_value(&self.paths).unwrap_or_default(),
        );
        if !self.webhooks.is_empty() {
            object.insert(
                "webhooks".into(),
                serde_json::to_value(&self.webhooks).unwrap_or_default(),
            );
        }
        let mut schemas = Value::Object(schemas);
        if let Some(schemas) = schemas.as_object_mut() {
            schemas.insert("Problem".into(), problem_schema());
            schemas.insert("FieldError".into(), field_error_schema());
        }
        // Every framework error the server can send for any request has its component,
        // including those no operation references (404, 405, 431: sent for requests that match
        // no operation), so the document lists every problem `type` the server can send; one
        // that only some operations send (426) is listed where an operation refers to it.
        let referenced = |error: &FrameworkError| {
            let reference = format!("#/components/responses/{}", error.spec().component);
            object
                .get("paths")
                .is_some_and(|paths| refers_to(paths, &reference))
        };
        let responses: Map<String, Value> = FrameworkError::ALL
            .iter()
            .filter(|error| error.sent_for_any_request() || referenced(error))
            .map(|error| {
                (
                    error.spec().component.to_owned(),
                    self.framework.response(*error),
                )
            })
            .collect();
        let mut components = json!({ "schemas": schemas, "responses": responses });
        if !self.security_schemes.is_empty() {
            components["securitySchemes"] =
                serde_json::to_value(&self.security_schemes).unwrap_or_default();
        }
        object.insert("components".into(), components);
        add_integer_bounds(&mut document);
        check_refs(&document)?;
        Ok(document)
    }
}

/// Adds the scheme `name` to a security requirement object, with `scopes` beside those it has.
fn add_scopes(requirement: &mut Map<String, Value>, name: &str, scopes: &[&str]) {
    let entry = requirement
        .entry(name.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(known) = entry {
        for scope in scopes {
            if !known.iter().any(|known| known == scope) {
                known.push(Value::from(*scope));
            }
        }
    }
}

/// Sets `response`'s content for `media_type` to `schema`.
fn set_content(response: &mut Map<String, Value>, media_type: &str, schema: Value) {
    let content = response
        .entry("content")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(content) = content.as_object_mut() {
        content.insert(media_type.to_owned(), json!({ "schema": schema }));
    }
}

/// Merges `extra` into `target` as FastAPI's `openapi_extra` does: objects key by key, at any
/// depth; anything else (a string, an array) replaces what was there.
pub(crate) fn merge_json(target: &mut Value, extra: Value) {
    match (target, extra) {
        (Value::Object(target), Value::Object(extra)) => {
            for (key, value) in extra {
                match target.get_mut(&key) {
                    Some(existing) => merge_json(existing, value),
                    None => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (target, extra) => *target = extra,
    }
}

/// The OpenAPI path template of a route template: OpenAPI has no catch-all syntax, so
/// `/files/{*path}` is `/files/{path}`, whose parameter `path` is the rest of the path.
fn openapi_template(path: &str) -> String {
    path.replace("{*", "{")
}

/// Gives every sized integer schema the bounds of its Rust type, so that a documented bound
/// is the one the server enforces.
///
/// schemars states `format: uint64` and `minimum: 0` but no maximum, so a client (or a
/// contract-testing tool) could send a larger number, which the server rejects: the document
/// must not allow what the server refuses. A rule's bound (`range(min = 1)`,
/// `exclusive_max = 10`) replaces the type's on its side when it is tighter; one looser than
/// the type (`max = 1000` on a `u8`) gives way to the type's, which is what is enforced.
fn add_integer_bounds(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let bounds: Option<(i128, i128)> = match object.get("format").and_then(Value::as_str) {
                Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
                Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                Some("int64" | "int") => Some((i64::MIN.into(), i64::MAX.into())),
                Some("uint8") => Some((0, u8::MAX.into())),
                Some("uint16") => Some((0, u16::MAX.into())),
                Some("uint32") => Some((0, u32::MAX.into())),
                Some("uint64" | "uint") => Some((0, u64::MAX.into())),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                bound_side(object, "minimum", "exclusiveMinimum", min, |rule, ty| {
                    rule < ty
                });
                bound_side(object, "maximum", "exclusiveMaximum", max, |rule, ty| {
                    rule > ty
                });
            }
            object.values_mut().for_each(add_integer_bounds);
        }
        Value::Array(items) => items.iter_mut().for_each(add_integer_bounds),
        _ => {}
    }
}

/// Settles one side of an integer's bounds to one keyword: the tightest of the rule's
/// (`inclusive` or `exclusive` keyword; schemars also states the bounds of small integer
/// types as `minimum`/`maximum`) and the type's `bound`.
fn bound_side(
    object: &mut Map<String, Value>,
    inclusive: &str,
    exclusive: &str,
    bound: i128,
    looser: impl Fn(f64, f64) -> bool,
) {
    // Integer bounds as f64 round only past 2^53, far from any bound a rule states.
    #[allow(clippy::cast_precision_loss)]
    let type_bound = bound as f64;
    let rule = |object: &Map<String, Value>, key: &str| object.get(key).and_then(Value::as_f64);
    let inclusive_bound = match rule(object, inclusive) {
        Some(rule) if !looser(rule, type_bound) => rule,
        _ => {
            let number = i64::try_from(bound)
                .map(Value::from)
                .or_else(|_| u64::try_from(bound).map(Value::from));
            if let Ok(number) = number {
                object.insert(inclusive.to_owned(), number);
            }
            type_bound
        }
    };
    // An exclusive bound at least as tight as the inclusive one makes it redundant.
    match rule(object, exclusive) {
        Some(exclusive_bound) if !looser(exclusive_bound, inclusive_bound) => {
            object.remove(inclusive);
        }
        Some(_) => {
            object.remove(exclusive);
        }
        None => {}
    }
}

/// Fails on the first `$ref` that names no component of `document`.
/// Whether `value` holds a `$ref` to `reference`.
fn refers_to(value: &Value, reference: &str) -> bool {
    match value {
        Value::Object(object) => {
            object.get("$ref").and_then(Value::as_str) == Some(reference)
                || object.values().any(|value| refers_to(value, reference))
        }
        Value::Array(items) => items.iter().any(|value| refers_to(value, reference)),
        _ => false,
    }
}

fn check_refs(document: &Value) -> Result<(), DocumentError> {
    fn walk(value: &Value, document: &Value) -> Result<(), DocumentError> {
        match value {
            Value::Object(object) => {
                if let Some(Value::String(reference)) = object.get("$ref") {
                    let target = reference
                        .strip_prefix('#')
                        .and_then(|pointer| document.pointer(pointer));
                    if target.is_none() {
                        return Err(DocumentError::DanglingRef {
                            reference: reference.clone(),
                        });
                    }
                }
                object.values().try_for_each(|v| walk(v, document))
            }
            Value::Array(items) => items.iter().try_for_each(|v| walk(v, document)),
            _ => Ok(()),
        }
    }
    walk(document, document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_fields_parameter_schema_allows_no_null() {
        assert_eq!(
            without_null(json!({"type": ["integer", "null"], "format": "uint32"})),
            json!({"type": "integer", "format": "uint32"})
        );
        assert_eq!(
            without_null(
                json!({"anyOf": [{"$ref": "#/components/schemas/Genre"}, {"type": "null"}], "description": "d"})
            ),
            json!({"$ref": "#/components/schemas/Genre", "description": "d"})
        );
        assert_eq!(
            without_null(json!({"type": "string"})),
            json!({"type": "string"})
        );
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Page {
        /// How many.
        limit: Option<u32>,
        offset: u64,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Item {
        #[schemars(length(min = 1, max = 50))]
        name: String,
        kind: Kind,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    #[serde(tag = "type")]
    enum Kind {
        A { x: u8 },
        B,
    }

    fn meta(dispatch: Dispatch) -> OperationMeta<'static> {
        OperationMeta {
            operation_id: "op",
            summary: Some("Do it."),
            description: None,
            tags: &["t"],
            deprecated: false,
            dispatch,
            status: Some(201),
            responses: &[(404, "Not there")],
            response_description: None,
            extra: None,
            operation_id_given: false,
        }
    }

    #[test]
    fn the_426_component_is_listed_only_where_an_operation_refers_to_it() {
        let has_426 = |document: &Value| {
            document["components"]["responses"]
                .get("UpgradeRequired")
                .is_some()
        };
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let op = builder.operation(&meta(Dispatch::EventLoop)).finish();
        builder.insert("GET", "/plain", op);
        let document = builder.finish().unwrap();
        assert!(!has_426(&document));
        // Every error any request can get stays listed.
        assert!(document["components"]["responses"]["NotFound"].is_object());

        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let mut op = builder.operation(&meta(Dispatch::EventLoop));
        op.websocket(None, None);
        op.error(FrameworkError::UpgradeRequired);
        let op = op.finish();
        builder.insert("GET", "/ws", op);
        let document = builder.finish().unwrap();
        assert!(has_426(&document));
        let operation = &document["paths"]["/ws"]["get"];
        assert!(operation["responses"]["101"].is_object(), "{operation}");
        assert_eq!(operation["x-websocket"], json!({}));
    }

    #[test]
    fn assembles_a_3_1_document_with_raw_schemas() {
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let mut op = builder.operation(&meta(Dispatch::BlockingPool));
        op.param::<u64>(ParamLocation::Path, "id", true);
        op.query_struct::<Page>();
        op.request_body::<Item>("application/json", true);
        op.success::<Item>("application/json");
        let op = op.finish();
        builder.insert("POST", "/items/{id}", op);
        let document = builder.finish().unwrap();

        assert_eq!(document["openapi"], "3.1.0");
        let op = &document["paths"]["/items/{id}"]["post"];
        assert_eq!(op["operationId"], "op");
        assert_eq!(op["x-oxapi-dispatch"], "blocking-pool");
        let params = op["parameters"].as_array().unwrap();
        assert_eq!(params[0]["in"], "path");
        assert_eq!(params[0]["required"], true);
        assert_eq!(params[1]["name"], "limit");
        assert_eq!(params[1]["required"], false);
        assert_eq!(params[1]["description"], "How many.");
        assert_eq!(params[2]["name"], "offset");
        assert_eq!(params[2]["required"], true);
        assert_eq!(
            op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Item"
        );
        assert_eq!(
            op["responses"]["404"]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
        for status in ["422", "500", "503"] {
            assert!(op["responses"][status]["$ref"].is_string(), "{status}");
        }
        // Constraints and tagged-enum `const`s survive.
        let item = &document["components"]["schemas"]["Item"];
        assert_eq!(item["properties"]["name"]["maxLength"], 50);
        let kind = document["components"]["schemas"]["Kind"].to_string();
        assert!(kind.contains("\"const\":\"A\""), "{kind}");
    }

    #[test]
    fn integers_get_the_bounds_of_their_type() {
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let mut op = builder.operation(&meta(Dispatch::EventLoop));
        op.param::<u64>(ParamLocation::Path, "a", true);
        op.param::<i8>(ParamLocation::Query, "b", true);
        op.param::<u32>(ParamLocation::Query, "c", true);
        let op = op.finish();
        builder.insert("GET", "/{a}", op);
        let document = builder.finish().unwrap();
        let params = &document["paths"]["/{a}"]["get"]["parameters"];
        assert_eq!(params[0]["schema"]["maximum"], u64::MAX);
        assert_eq!(params[0]["schema"]["minimum"], 0);
        assert_eq!(params[1]["schema"]["minimum"], -128);
        assert_eq!(params[1]["schema"]["maximum"], 127);
        assert_eq!(params[2]["schema"]["maximum"], u32::MAX);
    }

    #[test]
    fn a_rules_integer_bound_replaces_the_types_when_tighter() {
        let cases = [
            // (schema, expected bounds after)
            (
                json!({"type": "integer", "format": "uint8", "minimum": 1, "maximum": 1000}),
                json!({"type": "integer", "format": "uint8", "minimum": 1, "maximum": 255}),
            ),
            (
                json!({"type": "integer", "format": "int8", "exclusiveMinimum": 0, "exclusiveMaximum": 10}),
                json!({"type": "integer", "format": "int8", "exclusiveMinimum": 0, "exclusiveMaximum": 10}),
            ),
            (
                json!({"type": "integer", "format": "uint16", "exclusiveMinimum": -5}),
                json!({"type": "integer", "format": "uint16", "minimum": 0, "maximum": 65535}),
            ),
            (
                json!({"type": "integer", "format": "int16", "minimum": -40000, "exclusiveMaximum": 7}),
                json!({"type": "integer", "format": "int16", "minimum": -32768, "exclusiveMaximum": 7}),
            ),
            // schemars states a small integer type's bounds itself.
            (
                json!({"type": "integer", "format": "int16", "minimum": -5, "maximum": 32767, "exclusiveMaximum": 5}),
                json!({"type": "integer", "format": "int16", "minimum": -5, "exclusiveMaximum": 5}),
            ),
        ];
        for (mut schema, expected) in cases {
            add_integer_bounds(&mut schema);
            assert_eq!(schema, expected);
        }
    }

    /// What an app's FastAPI-style validation renderer sends.
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Detail {
        detail: Vec<String>,
    }

    #[test]
    fn a_framework_error_the_app_renders_is_documented_with_its_content() {
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        builder.framework_error_response(FrameworkError::Validation, |op| {
            op.success::<Detail>("application/json");
        });
        builder.framework_error_response(FrameworkError::NotFound, |op| {
            op.success_schema("text/plain", json!({ "type": "string" }));
        });
        let mut op = builder.operation(&meta(Dispatch::EventLoop));
        op.param::<u64>(ParamLocation::Path, "id", true);
        // The operation's own 422 merges with the app's rendering, not with problem details.
        op.problem_response(422, "Rejected by a custom extractor.");
        let op = op.finish();
        builder.insert("GET", "/{id}", op);
        let document = builder.finish().unwrap();

        let responses = &document["components"]["responses"];
        assert_eq!(
            responses["ValidationFailed"]["content"],
            json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Detail" } } })
        );
        assert_eq!(
            responses["ValidationFailed"]["description"],
            FrameworkError::Validation.spec().description
        );
        assert_eq!(
            responses["NotFound"]["content"]["text/plain"]["schema"]["type"],
            "string"
        );
        assert_eq!(
            responses["InternalError"],
            FrameworkError::Internal.response()
        );
        assert!(document["components"]["schemas"]["Detail"].is_object());

        let merged = &document["paths"]["/{id}"]["get"]["responses"]["422"];
        assert_eq!(merged["description"], "Rejected by a custom extractor.");
        assert_eq!(
            merged["content"][PROBLEM_JSON]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
        assert_eq!(
            merged["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Detail"
        );
    }

    #[test]
    fn at_status_documents_a_success_at_another_status() {
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let mut op = builder.operation(&meta(Dispatch::EventLoop));
        op.success_empty();
        assert!(!op.has_app_errors());
        op.app_errors();
        assert!(op.has_app_errors());
        op.at_status(409, |op| op.success::<Detail>("application/json"));
        let op = op.finish();
        builder.insert("GET", "/x", op);
        let document = builder.finish().unwrap();
        let responses = &document["paths"]["/x"]["get"]["responses"];
        assert_eq!(responses["409"]["description"], "Conflict");
        assert!(responses["409"]["content"]["application/json"].is_object());
        assert_eq!(responses["201"], json!({ "description": "Created" }));
    }

    #[test]
    fn a_catch_all_is_documented_as_an_openapi_template() {
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let mut op = builder.operation(&meta(Dispatch::EventLoop));
        op.param::<String>(ParamLocation::Path, "path", true);
        let op = op.finish();
        builder.insert("GET", "/files/{*path}", op);
        let document = builder.finish().unwrap();
        let op = &document["paths"]["/files/{path}"]["get"];
        assert_eq!(op["parameters"][0]["name"], "path");
        assert!(document["paths"].get("/files/{*path}").is_none());
    }

    #[test]
    fn extras_merge_into_the_operation_key_by_key() {
        let mut operation = json!({
            "summary": "Read.",
            "responses": { "200": { "description": "OK" } },
            "tags": ["a"],
        });
        merge_json(
            &mut operation,
            json!({
                "responses": { "200": { "x-cache": true }, "299": { "description": "Odd" } },
                "tags": ["b"],
                "x-internal": true,
            }),
        );
        assert_eq!(
            operation,
            json!({
                "summary": "Read.",
                "responses": {
                    "200": { "description": "OK", "x-cache": true },
                    "299": { "description": "Odd" },
                },
                "tags": ["b"],
                "x-internal": true,
            })
        );
    }

    #[test]
    fn dangling_refs_are_errors() {
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let mut op = builder.operation(&meta(Dispatch::EventLoop));
        op.success_schema(
            "application/json",
            json!({"$ref": "#/components/schemas/Nope"}),
        );
        let op = op.finish();
        builder.insert("GET", "/x", op);
        assert_eq!(
            builder.finish(),
            Err(DocumentError::DanglingRef {
                reference: "#/components/schemas/Nope".into()
            })
        );
    }

    #[test]
    fn security_schemes_are_listed_once_and_scopes_merge_per_operation() {
        let bearer = json!({ "type": "http", "scheme": "bearer" });
        let oauth = json!({ "type": "oauth2", "flows": { "password": { "tokenUrl": "/token", "scopes": {} } } });
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let mut op = builder.operation(&meta(Dispatch::EventLoop));
        // A router's dependency, then the handler's extractors.
        op.security("OAuth2", oauth.clone(), &[]);
        op.security("OAuth2", oauth.clone(), &["write", "read"]);
        op.security("OAuth2", oauth.clone(), &["write"]);
        op.security("HTTPBearer", bearer.clone(), &[]);
        let op = op.finish();
        builder.insert("GET", "/a", op);
        let op = builder.operation(&meta(Dispatch::EventLoop)).finish();
        builder.insert("GET", "/open", op);
        let document = builder.finish().unwrap_or_default();
        assert_eq!(
            document["paths"]["/a"]["get"]["security"],
            json!([{ "OAuth2": ["write", "read"], "HTTPBearer": [] }])
        );
        assert!(document["paths"]["/open"]["get"].get("security").is_none());
        assert_eq!(
            document["components"]["securitySchemes"],
            json!({ "HTTPBearer": bearer, "OAuth2": oauth })
        );
    }

    #[test]
    fn optional_credentials_add_an_alternative_requirement() {
        let bearer = json!({ "type": "http", "scheme": "bearer" });
        let key = json!({ "type": "apiKey", "in": "header", "name": "k" });
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let requirement = |builder: &mut DocumentBuilder,
                           describe: &dyn Fn(&mut OperationDoc<'_>)| {
            let mut op = builder.operation(&meta(Dispatch::EventLoop));
            describe(&mut op);
            serde_json::to_value(op.finish().operation.security).unwrap_or_default()
        };
        let only_optional = requirement(&mut builder, &|op| {
            op.optional_security("HTTPBearer", bearer.clone(), &[]);
        });
        assert_eq!(only_optional, json!([{}, { "HTTPBearer": [] }]));
        let both = requirement(&mut builder, &|op| {
            op.security("k", key.clone(), &[]);
            op.optional_security("HTTPBearer", bearer.clone(), &[]);
        });
        assert_eq!(both, json!([{ "k": [] }, { "k": [], "HTTPBearer": [] }]));
        let required_anyway = requirement(&mut builder, &|op| {
            op.optional_security("HTTPBearer", bearer.clone(), &[]);
            op.security("HTTPBearer", bearer.clone(), &[]);
        });
        assert_eq!(required_anyway, json!([{ "HTTPBearer": [] }]));
    }

    #[test]
    fn a_document_without_security_has_no_schemes() {
        let mut builder = DocumentBuilder::new(ApiInfo::new("T", "1"));
        let op = builder.operation(&meta(Dispatch::EventLoop)).finish();
        builder.insert("GET", "/open", op);
        let document = builder.finish().unwrap_or_default();
        assert!(document["components"].get("securitySchemes").is_none());
    }
}
