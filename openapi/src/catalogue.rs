//! The catalogue of framework errors: every error response oxapi itself sends, declared once.
//!
//! Each entry states its status, problem `type` URI, title, description, the name of its
//! component under `#/components/responses`, the headers it sets, and whether its problem
//! lists the failing inputs under `errors`. The runtime renders its problems from an entry
//! (`Problem::from(FrameworkError::NotFound)`), and the document builder documents the same
//! entry, so the two cannot disagree. The catalogue lives in this crate because the runtime
//! depends on it, not the other way round.
//!
//! A new framework error is one more block in the `catalogue!` invocation below; its
//! component, schema and runtime problem follow from it.

use serde_json::{Map, Value, json};

use crate::document::SCHEMAS_PATH;

/// The media type of RFC 9457 problem details, which every error response has.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where the framework errors' responses live in the document.
const RESPONSES_PATH: &str = "/components/responses/";

/// What the catalogue declares about one framework error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorSpec {
    /// The HTTP status.
    pub status: u16,
    /// The problem `type` URI that identifies this error.
    pub type_uri: &'static str,
    /// The problem `title`: a short summary of this kind of problem, the same every time.
    pub title: &'static str,
    /// When the error is sent, for the document.
    pub description: &'static str,
    /// The component's name under `#/components/responses`.
    pub component: &'static str,
    /// The headers the response sets: name and description.
    pub headers: &'static [(&'static str, &'static str)],
    /// Whether the problem always lists the failing inputs under `errors`.
    pub field_errors: bool,
    /// Whether the response carries problem details: `false` for the one error the HTTP layer
    /// answers itself, before oxapi sees the request, with no body.
    pub problem_body: bool,
}

/// Declares the framework errors: the enum, its list, and each entry's [`ErrorSpec`], from one
/// block per error, so that an error cannot be added to one of them and forgotten in another.
macro_rules! catalogue {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident {
            status: $status:literal,
            type: $slug:literal,
            title: $title:literal,
            component: $component:literal,
            headers: [$(($header:literal, $header_description:literal)),* $(,)?],
            field_errors: $field_errors:literal,
            $(problem_body: $problem_body:literal,)?
            description: $description:literal $(,)?
        }
    )*) => {
        /// An error response the framework itself sends, with problem details.
        ///
        /// Its [`spec`](Self::spec) says everything about it; the runtime renders it and the
        /// document describes it from that one declaration.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum FrameworkError {
            $($(#[doc = $doc])* $variant,)*
        }

        impl FrameworkError {
            /// Every framework error, in the catalogue's order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The catalogue's declaration of this error.
            pub const fn spec(self) -> ErrorSpec {
                match self {
                    $(Self::$variant => ErrorSpec {
                        status: $status,
                        type_uri: concat!("urn:oxapi:problem:", $slug),
                        title: $title,
                        description: $description,
                        component: $component,
                        headers: &[$(($header, $header_description)),*],
                        field_errors: $field_errors,
                        problem_body: true $(&& $problem_body)?,
                    },)*
                }
            }
        }
    };
}

catalogue! {
    /// 400: the body is malformed (JSON syntax, invalid UTF-8) or could not be read.
    Malformed {
        status: 400,
        type: "malformed-body",
        title: "Malformed request body",
        component: "MalformedRequest",
        headers: [],
        field_errors: false,
        description: "The request body is malformed (JSON syntax, invalid UTF-8) or could not be read.",
    }
    /// 404: no operation matches the request's path.
    NotFound {
        status: 404,
        type: "not-found",
        title: "Not found",
        component: "NotFound",
        headers: [],
        field_errors: false,
        description: "No operation matches the request's path. Sent for any path not in this document.",
    }
    /// 405: the path exists, but not with the request's method.
    MethodNotAllowed {
        status: 405,
        type: "method-not-allowed",
        title: "Method not allowed",
        component: "MethodNotAllowed",
        headers: [("Allow", "The methods the path has.")],
        field_errors: false,
        description: "The path is in this document, but not with the request's method.",
    }
    /// 401: the credentials a security extractor reads are missing or malformed.
    Unauthorized {
        status: 401,
        type: "unauthorized",
        title: "Not authenticated",
        component: "Unauthorized",
        headers: [("WWW-Authenticate", "The scheme to authenticate with (RFC 9110, section 11.6.1), with `error=\"invalid_request\"` for malformed bearer credentials (RFC 6750).")],
        field_errors: false,
        description: "The credentials this operation requires are missing or malformed; `WWW-Authenticate` names the scheme to use.",
    }
    /// 403: the request is authenticated but not allowed: a token without a required scope, or
    /// a cross-site form post refused by the CSRF guard.
    Forbidden {
        status: 403,
        type: "forbidden",
        title: "Forbidden",
        component: "Forbidden",
        headers: [("WWW-Authenticate", "For a missing OAuth2 scope: `Bearer error=\"insufficient_scope\"` with the `scope` required (RFC 6750, section 3.1).")],
        field_errors: false,
        description: "The request is not allowed: the token lacks a required scope, or a cross-site request was refused; the detail says which.",
    }
    /// 413: the body is over the route's limit.
    BodyTooLarge {
        status: 413,
        type: "body-too-large",
        title: "Request body too large",
        component: "BodyTooLarge",
        headers: [],
        field_errors: false,
        description: "The request body is larger than this operation accepts.",
    }
    /// 415: the body's media type is not the one the operation reads.
    UnsupportedMediaType {
        status: 415,
        type: "unsupported-media-type",
        title: "Unsupported media type",
        component: "UnsupportedMediaType",
        headers: [],
        field_errors: false,
        description: "The request body's media type is not one this operation reads.",
    }
    /// 416: none of the byte ranges a `Range` header asks for is in the file.
    RangeNotSatisfiable {
        status: 416,
        type: "range-not-satisfiable",
        title: "Range not satisfiable",
        component: "RangeNotSatisfiable",
        headers: [("Content-Range", "`bytes */LENGTH`: the length of the whole file.")],
        field_errors: false,
        description: "None of the byte ranges the `Range` header asks for is in the file.",
    }
    /// 422: parameters or body have the wrong type, are missing, or fail validation.
    Validation {
        status: 422,
        type: "validation",
        title: "Validation failed",
        component: "ValidationFailed",
        headers: [],
        field_errors: true,
        description: "Parameters or body have the wrong type, are missing, or fail validation; `errors` lists each with its location.",
    }
    /// 426: a WebSocket operation got a request that is not a WebSocket opening handshake.
    UpgradeRequired {
        status: 426,
        type: "websocket-upgrade-required",
        title: "WebSocket upgrade required",
        component: "UpgradeRequired",
        headers: [
            ("Upgrade", "`websocket`: the protocol this operation speaks."),
            ("Sec-WebSocket-Version", "`13`: the WebSocket version this server speaks."),
        ],
        field_errors: false,
        description: "The operation is a WebSocket, and the request is not a valid opening handshake over HTTP/1.1 (RFC 6455, section 4.2.1): `GET` with `Connection: Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and a `Sec-WebSocket-Key` of 16 bytes in base64. The detail names what is missing.",
    }
    /// 431: the request's header fields are larger than the server accepts.
    HeadersTooLarge {
        status: 431,
        type: "headers-too-large",
        title: "Request header fields too large",
        component: "HeadersTooLarge",
        headers: [],
        field_errors: false,
        // hyper answers it while reading the head, before oxapi sees the request.
        problem_body: false,
        description: "The request's header fields are larger than the server accepts. Sent by the HTTP layer before routing, for any request, without a body.",
    }
    /// 500: the handler failed or panicked.
    Internal {
        status: 500,
        type: "internal",
        title: "Internal server error",
        component: "InternalError",
        headers: [],
        field_errors: false,
        description: "The server failed to handle the request.",
    }
    /// 503: the blocking pool's queue is full.
    Overloaded {
        status: 503,
        type: "overloaded",
        title: "Server overloaded",
        component: "Overloaded",
        headers: [("Retry-After", "Seconds to wait before retrying.")],
        field_errors: false,
        description: "The blocking pool is full; retry after the `Retry-After` delay.",
    }
    /// 503: the service is starting or shutting down (its readiness endpoint), or stopped
    /// before it could answer a request that arrived while it was starting.
    NotReady {
        status: 503,
        type: "not-ready",
        title: "Service not ready",
        component: "NotReady",
        headers: [("Retry-After", "Seconds to wait before retrying.")],
        field_errors: false,
        description: "The service is starting or shutting down; retry after the `Retry-After` delay, or elsewhere.",
    }
    /// 504: the handler did not finish within its time limit.
    Timeout {
        status: 504,
        type: "timeout",
        title: "Handler timed out",
        component: "Timeout",
        headers: [],
        field_errors: false,
        description: "The handler did not finish within the time limit.",
    }
}

impl FrameworkError {
    /// What a body parsed into a type (`Json<T>`, `Form<T>`) can cause.
    pub const PARSED_BODY: [Self; 4] = [
        Self::Malformed,
        Self::BodyTooLarge,
        Self::UnsupportedMediaType,
        Self::Validation,
    ];

    /// Whether the server may send this error for any request, so that the document always
    /// lists its component (404, 405, 431 come for requests no operation matches). `false` for
    /// an error only some operations send (426, for WebSocket operations): its component is
    /// listed when an operation refers to it, as are 401 and 403, which only operations with security
    /// extractors or the CSRF guard send.
    pub fn sent_for_any_request(self) -> bool {
        !matches!(
            self,
            Self::UpgradeRequired | Self::Unauthorized | Self::Forbidden
        )
    }

    /// The schema of this error's problem: the document's `Problem` schema, with the `type`,
    /// `title` and `status` this error always has as `const`s, so a client reading the document
    /// knows the `type` URI to match on.
    pub fn schema(self) -> Value {
        let spec = self.spec();
        let mut schema = json!({
            "allOf": [{ "$ref": format!("#{SCHEMAS_PATH}Problem") }],
            "properties": {
                "type": { "const": spec.type_uri },
                "title": { "const": spec.title },
                "status": { "const": spec.status },
            },
        });
        if spec.field_errors
            && let Some(object) = schema.as_object_mut()
        {
            object.insert("required".into(), json!(["errors"]));
        }
        schema
    }

    /// This error's response object, as it stands under `#/components/responses` when the app
    /// sends it as problem details.
    pub fn response(self) -> Value {
        self.response_with(crate::framework::problem_content(self))
    }

    /// This error's response object with `content`: the catalogue's description and headers
    /// with whatever body is sent; no `content` member if `content` is empty.
    pub(crate) fn response_with(self, content: Map<String, Value>) -> Value {
        let spec = self.spec();
        let mut response = Map::new();
        response.insert("description".into(), spec.description.into());
        if !spec.headers.is_empty() {
            response.insert("headers".into(), self.headers());
        }
        if !content.is_empty() {
            response.insert("content".into(), Value::Object(content));
        }
        Value::Object(response)
    }

    /// The headers this error's response sets, as a response's `headers` object.
    pub(crate) fn headers(self) -> Value {
        self.spec()
            .headers
            .iter()
            .map(|(name, description)| {
                (
                    (*name).to_owned(),
                    json!({ "description": description, "schema": { "type": "string" } }),
                )
            })
            .collect::<Map<_, _>>()
            .into()
    }

    /// A reference to this error's response component.
    pub fn reference(self) -> Value {
        json!({ "$ref": format!("#{RESPONSES_PATH}{}", self.spec().component) })
    }
}

/// The schema of RFC 9457 problem details as oxapi sends them, framework errors and handler
/// errors alike.
pub(crate) fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status"],
        "properties": {
            "type": { "type": "string", "description": "A URI reference that identifies the kind of problem." },
            "title": { "type": "string", "description": "A short summary of the kind of problem." },
            "status": { "type": "integer", "minimum": 100, "maximum": 599, "description": "The HTTP status." },
            "detail": { "type": "string", "description": "What went wrong in this occurrence." },
            "instance": { "type": "string", "description": "A URI reference that identifies this occurrence." },
            "errors": {
                "type": "array",
                "description": "Each invalid input, with its location.",
                "items": { "$ref": format!("#{SCHEMAS_PATH}FieldError") },
            },
        },
    })
}

/// The schema of one entry of a problem's `errors`.
pub(crate) fn field_error_schema() -> Value {
    json!({
        "type": "object",
        "description": "One invalid input.",
        "required": ["location", "message", "code"],
        "properties": {
            "location": { "type": "string", "description": "Where the input is: `path.id`, `query.limit`, `body.items[2].price`.", "examples": ["body.price"] },
            "message": { "type": "string", "description": "What is wrong with it." },
            "code": { "type": "string", "description": "A stable code: `invalid`, `missing`, `length`, `range`, ..." },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_names_are_unique_and_type_uris_distinct() {
        let specs: Vec<ErrorSpec> = FrameworkError::ALL.iter().map(|e| e.spec()).collect();
        for (i, a) in specs.iter().enumerate() {
            assert!((400..600).contains(&a.status), "{a:?}");
            for b in &specs[i + 1..] {
                assert_ne!(a.type_uri, b.type_uri);
                assert_ne!(a.component, b.component);
                assert_ne!(a.title, b.title);
            }
        }
    }

    #[test]
    fn only_validation_requires_errors() {
        for error in FrameworkError::ALL {
            let schema = error.schema();
            assert_eq!(
                schema.get("required").is_some(),
                *error == FrameworkError::Validation,
                "{error:?}"
            );
            assert_eq!(schema["properties"]["type"]["const"], error.spec().type_uri);
        }
    }
}
