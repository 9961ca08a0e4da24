//! Security extractors, cookie jars and the CSRF guard over real sockets, HTTP/1.1 and HTTP/2:
//! every bad credential answered with its problem and `WWW-Authenticate`, the next good
//! request still served, and the document's `securitySchemes` and per-operation `security`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use http::Method;
use http::request::Parts;
use oxapi::cookies::{
    Cookie, CookieJar, CsrfGuard, Key, PrivateCookieJar, SameSite, SignedCookieJar, time,
};
use oxapi::prelude::*;
use oxapi::security::{
    ApiKey, ApiKeyLocation, ApiKeyName, AuthError, HttpBasic, HttpBearer, OAuth2Flow,
    OAuth2PasswordBearer, OAuth2PasswordRequestForm, Scopes,
};
use oxapi::{Depends, FromRequestParts, RequestContext, Router, Value, json};
use oxapi_tests::{Client, Reply, Server, VERSIONS};

/// Tokens from `POST /token`.
struct Tokens;
impl OAuth2Flow for Tokens {
    const TOKEN_URL: &'static str = "/token";
    const SCOPES: &'static [(&'static str, &'static str)] = &[
        ("items:read", "Read items."),
        ("items:write", "Change items."),
    ];
}

/// Needs `items:write`.
struct WriteItems;
impl Scopes for WriteItems {
    const SCOPES: &'static [&'static str] = &["items:write"];
}

/// The issued tokens: token → (user, scopes). A real service signs a JWT instead.
#[derive(Default)]
struct Issued {
    next: AtomicU64,
    tokens: Mutex<HashMap<String, (String, Vec<String>)>>,
}

/// The caller, from an OAuth2 token of `Tokens`: what a router's dependency requires.
#[derive(Debug, Clone)]
struct CurrentUser {
    name: String,
    scopes: Vec<String>,
}

impl FromRequestParts for CurrentUser {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        let bearer = OAuth2PasswordBearer::<Tokens>::from_request_parts(parts, ctx).await?;
        let issued = ctx
            .state::<Issued>()
            .ok_or_else(|| AuthError::invalid_token("no tokens"))?;
        let tokens = issued
            .tokens
            .lock()
            .map_err(|_| AuthError::invalid_token("no tokens"))?;
        let (name, scopes) = tokens
            .get(bearer.token())
            .cloned()
            .ok_or_else(|| AuthError::invalid_token("unknown token"))?;
        Ok(Self { name, scopes })
    }

    fn describe(op: &mut oxapi::OperationDoc<'_>) {
        OAuth2PasswordBearer::<Tokens>::describe(op);
    }
}

/// Issues a token for `alice` / `wonderland` with the scopes asked for.
#[post("/token")]
async fn token(
    form: Form<OAuth2PasswordRequestForm>,
    issued: State<Issued>,
) -> Result<Json<Value>, ApiError> {
    let user_ok = oxapi::security::secrets_match(form.username.as_bytes(), b"alice");
    let password_ok = oxapi::security::secrets_match(form.password.as_bytes(), b"wonderland");
    if !(user_ok & password_ok) {
        return Err(ApiError::bad_request("incorrect user name or password"));
    }
    let token = format!("t{}", issued.next.fetch_add(1, Ordering::SeqCst));
    let scopes = form.scopes().map(str::to_owned).collect();
    issued
        .tokens
        .lock()
        .map_err(|_| ApiError::internal("the token store is poisoned"))?
        .insert(token.clone(), (form.username.clone(), scopes));
    Ok(Json(
        json!({ "access_token": token, "token_type": "bearer" }),
    ))
}

/// Who the token belongs to; the router's dependency checked the token.
#[get("/me")]
async fn me(Depends(user): Depends<CurrentUser>) -> String {
    user.name
}

/// Changes an item: needs `items:write`.
#[put("/items/{id}")]
async fn put_item(
    id: u64,
    Depends(user): Depends<CurrentUser>,
    bearer: OAuth2PasswordBearer<Tokens, WriteItems>,
) -> Result<String, AuthError> {
    bearer.require_scopes(user.scopes.iter().map(String::as_str))?;
    Ok(format!("{} changed {id}", user.name))
}

#[get("/bearer")]
async fn bearer(bearer: HttpBearer) -> String {
    format!("token {}", bearer.token())
}

/// Reads a token if sent (FastAPI's `auto_error=False`).
#[get("/greeting")]
async fn greeting(bearer: Option<HttpBearer>, key: Option<ApiKey<HeaderKey>>) -> String {
    format!("bearer: {}, key: {}", bearer.is_some(), key.is_some())
}

#[get("/basic")]
async fn basic(credentials: HttpBasic) -> Result<String, AuthError> {
    if credentials.verify("admin", "correct horse") {
        Ok(format!("hello {}", credentials.username()))
    } else {
        Err(HttpBasic::<oxapi::security::ApiRealm>::challenge(
            "wrong user name or password",
        ))
    }
}

struct HeaderKey;
impl ApiKeyName for HeaderKey {
    const NAME: &'static str = "x-api-key";
    const LOCATION: ApiKeyLocation = ApiKeyLocation::Header;
}
struct QueryKey;
impl ApiKeyName for QueryKey {
    const NAME: &'static str = "api_key";
    const LOCATION: ApiKeyLocation = ApiKeyLocation::Query;
}
struct CookieKey;
impl ApiKeyName for CookieKey {
    const NAME: &'static str = "key";
    const LOCATION: ApiKeyLocation = ApiKeyLocation::Cookie;
}

#[get("/keys/header")]
async fn header_key(key: ApiKey<HeaderKey>) -> Result<&'static str, ApiError> {
    key.matches("s3cret")
        .then_some("in")
        .ok_or_else(|| ApiError::forbidden("unknown key"))
}

#[get("/keys/query")]
async fn query_key(key: ApiKey<QueryKey>) -> Result<&'static str, ApiError> {
    key.matches("s3cret")
        .then_some("in")
        .ok_or_else(|| ApiError::forbidden("unknown key"))
}

#[get("/keys/cookie")]
async fn cookie_key(key: ApiKey<CookieKey>) -> Result<&'static str, ApiError> {
    key.matches("s3cret")
        .then_some("in")
        .ok_or_else(|| ApiError::forbidden("unknown key"))
}

/// Sets a cookie with every attribute.
#[post("/cookies/theme")]
async fn set_theme(jar: CookieJar) -> (CookieJar, &'static str) {
    let expires = time::OffsetDateTime::from_unix_timestamp(4_102_444_800)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let cookie = Cookie::build(("theme", "dark mode"))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::hours(1))
        .expires(expires)
        .path("/cookies")
        .domain("example.test");
    (jar.add(cookie), "set")
}

#[delete("/cookies/theme")]
async fn forget_theme(jar: CookieJar) -> (CookieJar, NoContent) {
    (
        jar.remove(Cookie::build("theme").path("/cookies")),
        NoContent,
    )
}

#[post("/session/{user}")]
async fn log_in(
    user: String,
    signed: SignedCookieJar,
    private: PrivateCookieJar,
) -> (SignedCookieJar, (PrivateCookieJar, &'static str)) {
    let session = Cookie::build(("user", user))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax);
    let secret = Cookie::build(("note", "only the server reads this")).path("/");
    (signed.add(session), (private.add(secret), "welcome"))
}

#[get("/session")]
async fn session(signed: SignedCookieJar, private: PrivateCookieJar) -> Result<String, ApiError> {
    let user = signed
        .get("user")
        .ok_or_else(|| ApiError::unauthorized("log in first"))?;
    let note = private
        .get("note")
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    Ok(format!("{}: {note}", user.value()))
}

/// A form post that trusts the session cookie; the router's CSRF guard protects it.
#[post("/transfer")]
async fn transfer(signed: SignedCookieJar) -> Result<&'static str, ApiError> {
    signed
        .get("user")
        .map(|_| "sent")
        .ok_or_else(|| ApiError::unauthorized("log in first"))
}

fn app() -> App {
    App::new()
        .state(Issued::default())
        .state(Key::generate())
        .routes(routes![
            token,
            bearer,
            greeting,
            basic,
            header_key,
            query_key,
            cookie_key,
            set_theme,
            forget_theme,
            log_in,
            session
        ])
        .router(
            Router::new()
                .prefix("/v1")
                .dependency::<CurrentUser>()
                .routes(routes![me, put_item]),
        )
        .router(
            Router::new()
                .dependency::<CsrfGuard>()
                .routes(routes![transfer]),
        )
}

fn challenge(reply: &Reply) -> &str {
    reply.header("www-authenticate").unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_schemes_and_api_keys_refuse_bad_credentials_with_their_challenge() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let get = |path: &'static str, headers: &'static [(&'static str, &'static str)]| {
            client.send(Method::GET, path, headers, "")
        };
        let missing = get("/bearer", &[]).await;
        assert_eq!(
            missing.problem(401)["type"],
            "urn:oxapi:problem:unauthorized"
        );
        assert_eq!(challenge(&missing), "Bearer");
        for bad in ["Basic YTpi", "Bearer", "Bearer a b", "Bearer tök"] {
            let reply = client
                .send(Method::GET, "/bearer", &[("authorization", bad)], "")
                .await;
            reply.problem(401);
            assert_eq!(
                challenge(&reply),
                r#"Bearer error="invalid_request""#,
                "{bad}"
            );
        }
        assert_eq!(
            get("/bearer", &[("authorization", "bearer abc.def")])
                .await
                .text(),
            "token abc.def"
        );

        // "admin:correct horse", "admin:wrong", "nocolon".
        let ok = get(
            "/basic",
            &[("authorization", "Basic YWRtaW46Y29ycmVjdCBob3JzZQ==")],
        )
        .await;
        assert_eq!(ok.text(), "hello admin");
        for bad in [
            "Basic YWRtaW46d3Jvbmc=",
            "Basic bm9jb2xvbg==",
            "Basic !!",
            "Bearer x",
        ] {
            let reply = client
                .send(Method::GET, "/basic", &[("authorization", bad)], "")
                .await;
            reply.problem(401);
            assert_eq!(challenge(&reply), r#"Basic realm="api""#, "{bad}");
        }
        get("/basic", &[]).await.problem(401);

        // Optional credentials: absent is `None`, malformed still a 401.
        assert_eq!(
            get("/greeting", &[]).await.text(),
            "bearer: false, key: false"
        );
        let both = get(
            "/greeting",
            &[("authorization", "Bearer t"), ("x-api-key", "k")],
        )
        .await;
        assert_eq!(both.text(), "bearer: true, key: true");
        let malformed = get("/greeting", &[("authorization", "Basic t")]).await;
        malformed.problem(401);
        assert_eq!(challenge(&malformed), r#"Bearer error="invalid_request""#);

        assert_eq!(
            get("/keys/header", &[("x-api-key", "s3cret")]).await.text(),
            "in"
        );
        assert_eq!(get("/keys/query?api_key=s3cret", &[]).await.text(), "in");
        assert_eq!(
            get("/keys/cookie", &[("cookie", "a=1; key=s3cret")])
                .await
                .text(),
            "in"
        );
        for path in ["/keys/header", "/keys/query?api_key=", "/keys/cookie"] {
            let reply = client.send(Method::GET, path, &[], "").await;
            reply.problem(401);
            assert_eq!(challenge(&reply), "APIKey");
        }
        get("/keys/header", &[("x-api-key", "guess")])
            .await
            .problem(403);
        // Nothing above disturbed the next good request.
        assert_eq!(
            get("/keys/header", &[("x-api-key", "s3cret")]).await.text(),
            "in"
        );
    }
    server.stop().await;
}

/// Posts the password form and returns the token.
async fn log_in_with_password(client: &Client, scope: &str) -> String {
    let form = format!("grant_type=password&username=alice&password=wonderland&scope={scope}");
    let reply = client
        .send(
            Method::POST,
            "/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_password_flow_checks_tokens_and_scopes() {
    let server = Server::start(app()).await;
    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let wrong = client
            .send(
                Method::POST,
                "/token",
                &[FORM],
                "username=alice&password=guess",
            )
            .await;
        wrong.problem(400);
        let grant = client
            .send(
                Method::POST,
                "/token",
                &[FORM],
                "grant_type=code&username=alice&password=wonderland",
            )
            .await;
        assert_eq!(
            oxapi_tests::locations(&grant.problem(422)),
            ["body.grant_type"]
        );

        let reader = log_in_with_password(&client, "items:read").await;
        let writer = log_in_with_password(&client, "items:read%20items:write").await;
        let auth = |token: &str| format!("Bearer {token}");

        let me = client
            .send(
                Method::GET,
                "/v1/me",
                &[("authorization", &auth(&reader))],
                "",
            )
            .await;
        assert_eq!(me.text(), "alice");
        let unknown = client
            .send(
                Method::GET,
                "/v1/me",
                &[("authorization", "Bearer nope")],
                "",
            )
            .await;
        unknown.problem(401);
        assert_eq!(challenge(&unknown), r#"Bearer error="invalid_token""#);
        let missing = client.send(Method::PUT, "/v1/items/1", &[], "").await;
        missing.problem(401);
        assert_eq!(challenge(&missing), "Bearer");

        let weak = client
            .send(
                Method::PUT,
                "/v1/items/1",
                &[("authorization", &auth(&reader))],
                "",
            )
            .await;
        assert_eq!(weak.problem(403)["type"], "urn:oxapi:problem:forbidden");
        assert_eq!(
            challenge(&weak),
            r#"Bearer error="insufficient_scope", scope="items:write""#
        );
        let strong = client
            .send(
                Method::PUT,
                "/v1/items/1",
                &[("authorization", &auth(&writer))],
                "",
            )
            .await;
        assert_eq!(strong.text(), "alice changed 1");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_schemes_and_each_operations_requirement() {
    let server = Server::start(app()).await;
    let client = Client::new(&server, VERSIONS[0]);
    let document = client.get("/openapi.json").await.json();
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(
        schemes["HTTPBearer"],
        json!({ "type": "http", "scheme": "bearer" })
    );
    assert_eq!(
        schemes["HTTPBasic"],
        json!({ "type": "http", "scheme": "basic" })
    );
    assert_eq!(
        schemes["x-api-key"],
        json!({ "type": "apiKey", "in": "header", "name": "x-api-key" })
    );
    assert_eq!(schemes["api_key"]["in"], "query");
    assert_eq!(schemes["key"]["in"], "cookie");
    assert_eq!(
        schemes["OAuth2PasswordBearer"],
        json!({ "type": "oauth2", "flows": { "password": { "tokenUrl": "/token",
            "scopes": { "items:read": "Read items.", "items:write": "Change items." } } } })
    );
    let paths = &document["paths"];
    assert_eq!(
        paths["/bearer"]["get"]["security"],
        json!([{ "HTTPBearer": [] }])
    );
    // The router's dependency documents its scheme on each of its routes; the route's own
    // extractor adds its scopes to the same requirement.
    assert_eq!(
        paths["/v1/me"]["get"]["security"],
        json!([{ "OAuth2PasswordBearer": [] }])
    );
    assert_eq!(
        paths["/v1/items/{id}"]["put"]["security"],
        json!([{ "OAuth2PasswordBearer": ["items:write"] }])
    );
    assert_eq!(
        paths["/v1/items/{id}"]["put"]["responses"]["401"]["$ref"],
        "#/components/responses/Unauthorized"
    );
    assert_eq!(
        paths["/v1/items/{id}"]["put"]["responses"]["403"]["$ref"],
        "#/components/responses/Forbidden"
    );
    assert_eq!(
        paths["/transfer"]["post"]["responses"]["403"]["$ref"],
        "#/components/responses/Forbidden"
    );
    assert!(paths["/token"]["post"].get("security").is_none());
    assert!(
        document["components"]["responses"]["Unauthorized"]["headers"]["WWW-Authenticate"]
            .is_object()
    );
    server.stop().await;
}

/// The `name=value` of the `Set-Cookie` header starting with `name=`.
fn set_cookie<'r>(reply: &'r Reply, name: &str) -> &'r str {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no Set-Cookie for {name}: {:?}", reply.headers))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_set_removed_signed_and_encrypted() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let set = client.send(Method::POST, "/cookies/theme", &[], "").await;
        assert_eq!(
            set_cookie(&set, "theme"),
            "theme=dark%20mode; HttpOnly; SameSite=Strict; Secure; Path=/cookies; \
             Domain=example.test; Max-Age=3600; Expires=Fri, 01 Jan 2100 00:00:00 GMT"
        );
        let removed = client.send(Method::DELETE, "/cookies/theme", &[], "").await;
        assert_eq!(removed.status, 204);
        let removal = set_cookie(&removed, "theme");
        assert!(
            removal.starts_with("theme=; Path=/cookies; Max-Age=0; Expires="),
            "{removal}"
        );

        let logged_in = client.send(Method::POST, "/session/ada", &[], "").await;
        let user = set_cookie(&logged_in, "user")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let note = set_cookie(&logged_in, "note")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        assert!(
            !note.contains("only the server"),
            "private cookies are encrypted: {note}"
        );
        let both = format!("{user}; {note}");
        let read = client
            .send(Method::GET, "/session", &[("cookie", &both)], "")
            .await;
        assert_eq!(read.text(), "ada: only the server reads this");

        // A tampered signed cookie reads as absent: the route answers as to a stranger.
        let forged = user.replace("ada", "eve");
        client
            .send(Method::GET, "/session", &[("cookie", &forged)], "")
            .await
            .problem(401);
        // A tampered private cookie reads as absent too; the signed one still counts.
        let mut broken = note.clone();
        // Another last character than it had: the same one would tamper nothing.
        let last = broken.pop();
        broken.push(if last == Some('A') { 'B' } else { 'A' });
        let with_broken = format!("{user}; {broken}");
        assert_eq!(
            client
                .send(Method::GET, "/session", &[("cookie", &with_broken)], "")
                .await
                .text(),
            "ada: "
        );
        // Unparsable cookie headers are skipped, not errors.
        client
            .send(Method::GET, "/session", &[("cookie", "=;;%%")], "")
            .await
            .problem(401);

        // CSRF: a cross-site post is refused even with the session cookie; a same-origin one passes.
        let forged_post = client
            .send(
                Method::POST,
                "/transfer",
                &[("cookie", &user), ("sec-fetch-site", "cross-site")],
                "",
            )
            .await;
        assert_eq!(
            forged_post.problem(403)["detail"],
            "cross-site request refused"
        );
        let evil_origin = client
            .send(
                Method::POST,
                "/transfer",
                &[("cookie", &user), ("origin", "https://evil.test")],
                "",
            )
            .await;
        evil_origin.problem(403);
        let own = format!("http://{}", server.addr());
        let same = client
            .send(
                Method::POST,
                "/transfer",
                &[("cookie", &user), ("origin", &own)],
                "",
            )
            .await;
        assert_eq!(same.text(), "sent");
        let fetch = client
            .send(
                Method::POST,
                "/transfer",
                &[("cookie", &user), ("sec-fetch-site", "same-origin")],
                "",
            )
            .await;
        assert_eq!(fetch.text(), "sent");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_level_security_dependency_guards_and_documents_every_route() {
    let app = App::new()
        .dependency::<HttpBearer>()
        .routes(routes![bearer, header_key]);
    let server = Server::start(app).await;
    let client = Client::new(&server, VERSIONS[0]);
    let document = client.get("/openapi.json").await.json();
    assert_eq!(
        document["paths"]["/keys/header"]["get"]["security"],
        json!([{ "x-api-key": [], "HTTPBearer": [] }])
    );
    assert_eq!(
        document["paths"]["/bearer"]["get"]["security"],
        json!([{ "HTTPBearer": [] }])
    );
    // The docs pages are not guarded.
    assert_eq!(client.get("/docs").await.status, 200);
    let refused = client
        .send(Method::GET, "/keys/header", &[("x-api-key", "s3cret")], "")
        .await;
    refused.problem(401);
    let both = client
        .send(
            Method::GET,
            "/keys/header",
            &[("x-api-key", "s3cret"), ("authorization", "Bearer t")],
            "",
        )
        .await;
    assert_eq!(both.text(), "in");
    server.stop().await;
}
