//! The example of JWT bearer tokens: oxapi reads the token (`OAuth2PasswordBearer`), the
//! `jsonwebtoken` crate signs and checks it in the service's own dependency, and the scopes
//! it carries are checked with `require_scopes`: FastAPI's "OAuth2 with Password (and
//! hashing), Bearer with JWT tokens" and "OAuth2 scopes" tutorials, over real sockets.

use std::time::{SystemTime, UNIX_EPOCH};

use http::Method;
use http::request::Parts;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation, decode, encode};
use oxapi::prelude::*;
use oxapi::security::{
    AuthError, OAuth2Flow, OAuth2PasswordBearer, OAuth2PasswordRequestForm, Scopes, secrets_match,
};
use oxapi::{Depends, FromRequestParts, OperationDoc, RequestContext, Value, json};
use oxapi_tests::{Client, Server, VERSIONS};
use serde::{Deserialize, Serialize};

/// Tokens from `POST /token`.
struct Tokens;
impl OAuth2Flow for Tokens {
    const TOKEN_URL: &'static str = "/token";
    const SCOPES: &'static [(&'static str, &'static str)] =
        &[("me", "Read who you are."), ("items", "Change items.")];
}

/// Needs `items`.
struct ItemsScope;
impl Scopes for ItemsScope {
    const SCOPES: &'static [&'static str] = &["items"];
}

/// The signing keys, from configuration (a secret of the service, never in the code).
struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }
}

/// What a token says.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    scopes: Vec<String>,
    exp: u64,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// The caller, from a valid token: a dependency of the service, not of oxapi.
#[derive(Debug, Clone)]
struct CurrentUser(Claims);

impl FromRequestParts for CurrentUser {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        let bearer = OAuth2PasswordBearer::<Tokens>::from_request_parts(parts, ctx).await?;
        let keys = ctx
            .state::<JwtKeys>()
            .ok_or_else(|| AuthError::invalid_token("no keys"))?;
        // Checks the signature and `exp`; the error says why, for the log only.
        let data = decode::<Claims>(bearer.token(), &keys.decoding, &Validation::default())
            .map_err(|_| AuthError::invalid_token("the token is not valid"))?;
        Ok(Self(data.claims))
    }

    fn describe(op: &mut OperationDoc<'_>) {
        OAuth2PasswordBearer::<Tokens>::describe(op);
    }
}

/// Issues a token for `johndoe` / `secret`, with the scopes asked for, valid for 30 minutes.
#[post("/token")]
async fn token(
    form: Form<OAuth2PasswordRequestForm>,
    keys: State<JwtKeys>,
) -> Result<Json<Value>, ApiError> {
    let user_ok = secrets_match(form.username.as_bytes(), b"johndoe");
    let password_ok = secrets_match(form.password.as_bytes(), b"secret");
    if !(user_ok & password_ok) {
        return Err(ApiError::bad_request("incorrect user name or password"));
    }
    let claims = Claims {
        sub: form.username.clone(),
        scopes: form.scopes().map(str::to_owned).collect(),
        exp: now() + 30 * 60,
    };
    let token = encode(&Header::default(), &claims, &keys.encoding)
        .map_err(|_| ApiError::internal("the token could not be signed"))?;
    Ok(Json(
        json!({ "access_token": token, "token_type": "bearer" }),
    ))
}

#[get("/users/me")]
async fn me(Depends(user): Depends<CurrentUser>) -> String {
    user.0.sub
}

#[post("/items")]
async fn add_item(
    Depends(user): Depends<CurrentUser>,
    bearer: OAuth2PasswordBearer<Tokens, ItemsScope>,
) -> Result<String, AuthError> {
    bearer.require_scopes(user.0.scopes.iter().map(String::as_str))?;
    Ok(format!("added by {}", user.0.sub))
}

fn app(secret: &[u8]) -> App {
    App::new()
        .state(JwtKeys::from_secret(secret))
        .routes(routes![token, me, add_item])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_tokens_are_issued_checked_and_scoped() {
    let server = Server::start(app(b"the service's secret")).await;
    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
    // A token signed with another key, and one that expired.
    let foreign = JwtKeys::from_secret(b"someone else's secret");
    let claims = |exp| Claims {
        sub: "johndoe".into(),
        scopes: vec!["me".into(), "items".into()],
        exp,
    };
    let forged = encode(&Header::default(), &claims(now() + 60), &foreign.encoding).unwrap();
    let own = JwtKeys::from_secret(b"the service's secret");
    let expired = encode(&Header::default(), &claims(now() - 3600), &own.encoding).unwrap();

    for version in VERSIONS {
        let client = Client::new(&server, version);
        let issue = |scope: &'static str| {
            client.send(
                Method::POST,
                "/token",
                &[FORM],
                format!("username=johndoe&password=secret&scope={scope}"),
            )
        };
        let me_only = issue("me").await.json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let both = issue("me%20items").await.json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        client
            .send(
                Method::POST,
                "/token",
                &[FORM],
                "username=johndoe&password=guess",
            )
            .await
            .problem(400);

        let bearer = |token: &str| format!("Bearer {token}");
        let me = client
            .send(
                Method::GET,
                "/users/me",
                &[("authorization", &bearer(&me_only))],
                "",
            )
            .await;
        assert_eq!(me.text(), "johndoe");
        for bad in [&forged, &expired] {
            let refused = client
                .send(
                    Method::GET,
                    "/users/me",
                    &[("authorization", &bearer(bad))],
                    "",
                )
                .await;
            refused.problem(401);
            assert_eq!(
                refused.header("www-authenticate"),
                Some(r#"Bearer error="invalid_token""#)
            );
        }
        let weak = client
            .send(
                Method::POST,
                "/items",
                &[("authorization", &bearer(&me_only))],
                "",
            )
            .await;
        weak.problem(403);
        let added = client
            .send(
                Method::POST,
                "/items",
                &[("authorization", &bearer(&both))],
                "",
            )
            .await;
        assert_eq!(added.text(), "added by johndoe");
    }
    server.stop().await;
}
