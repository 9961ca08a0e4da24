//! Whether a parameter reads the body is for its type's traits to say, not for its name: a
//! user's `FromRequest` type reads the body without `#[body]`, and a user's type named `Json`
//! that implements `FromRequestParts` reads the head.

use http::Method;
use http::request::Parts;
use oxapi::prelude::*;
use oxapi::{FromRequest, FromRequestParts, Rejection, Request, RequestContext};
use oxapi_tests::{Client, Server, VERSIONS};

use self::named_json::Json;

/// The request body, reversed: a user-defined body extractor.
struct Reversed(String);

impl FromRequest for Reversed {
    type Rejection = Rejection;

    async fn from_request(request: Request, ctx: &RequestContext<'_>) -> Result<Self, Rejection> {
        let text = String::from_request(request, ctx).await?;
        Ok(Self(text.chars().rev().collect()))
    }
}

mod named_json {
    use super::*;

    /// The `x-tag` header: a head extractor that happens to be called `Json`.
    pub(super) struct Json(pub(super) String);

    impl FromRequestParts for Json {
        type Rejection = ApiError;

        async fn from_request_parts(
            parts: &mut Parts,
            _ctx: &RequestContext<'_>,
        ) -> Result<Self, ApiError> {
            let tag = parts
                .headers
                .get("x-tag")
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| ApiError::bad_request("missing x-tag"))?;
            Ok(Self(tag.to_owned()))
        }
    }
}

/// The body extractor comes first among the parameters, yet the head extractors after it
/// still see the request's head: they run first.
#[post("/reverse/{id}")]
async fn reverse(id: u32, text: Reversed, tag: Json, headers: HeaderMap) -> String {
    format!(
        "{id} {} {} {}",
        text.0,
        tag.0,
        headers.contains_key("x-tag")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_reader_is_found_by_its_trait_not_its_name() {
    let server = Server::start(App::new().routes(routes![reverse])).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = client
            .send(Method::POST, "/reverse/7", &[("x-tag", "hi")], "abc")
            .await;
        assert_eq!(reply.text(), "7 cba hi true");
        let problem = client
            .send(Method::POST, "/reverse/7", &[], "abc")
            .await
            .problem(400);
        assert_eq!(problem["detail"], "missing x-tag");
    }
    server.stop().await;
}
