//! Swagger UI's Authorize button, in headless Chromium: a driver page of the test's app loads
//! the docs page in a frame of the same origin, calls protected operations (401), authorizes
//! with a bearer token, HTTP Basic credentials, an API key and OAuth2's password flow (the
//! browser posts the form to the token URL), calls them again from the page (200), and writes
//! what it saw into its own DOM, which Chromium dumps.

use oxapi::prelude::*;
use oxapi::security::{
    ApiKey, ApiKeyLocation, ApiKeyName, AuthError, HttpBasic, HttpBearer, OAuth2Flow,
    OAuth2PasswordBearer, OAuth2PasswordRequestForm, Scopes,
};
use oxapi::{Value, json};
use oxapi_tests::Server;

use super::{Scratch, blocking, chromium};

struct Tokens;
impl OAuth2Flow for Tokens {
    const TOKEN_URL: &'static str = "/token";
    const SCOPES: &'static [(&'static str, &'static str)] =
        &[("read", "Read things."), ("write", "Change things.")];
}

struct Write;
impl Scopes for Write {
    const SCOPES: &'static [&'static str] = &["write"];
}

struct HeaderKey;
impl ApiKeyName for HeaderKey {
    const NAME: &'static str = "x-api-key";
    const LOCATION: ApiKeyLocation = ApiKeyLocation::Header;
}

/// Issues `scopes.<scope>.<scope>` to `alice` / `wonderland`.
#[post("/token")]
async fn token(form: Form<OAuth2PasswordRequestForm>) -> Result<Json<Value>, ApiError> {
    if form.username != "alice" || form.password != "wonderland" {
        return Err(ApiError::bad_request("incorrect user name or password"));
    }
    let scopes: Vec<&str> = form.scopes().collect();
    let token = format!("scopes.{}", scopes.join("."));
    Ok(Json(
        json!({ "access_token": token, "token_type": "bearer" }),
    ))
}

#[get("/bearer-only")]
async fn bearer_only(bearer: HttpBearer) -> Result<&'static str, ApiError> {
    (bearer.token() == "s3cret")
        .then_some("bearer ok")
        .ok_or_else(|| ApiError::forbidden("unknown token"))
}

#[get("/basic-only")]
async fn basic_only(credentials: HttpBasic) -> Result<&'static str, AuthError> {
    credentials
        .verify("admin", "correct horse")
        .then_some("basic ok")
        .ok_or_else(|| HttpBasic::<oxapi::security::ApiRealm>::challenge("wrong password"))
}

#[get("/key-only")]
async fn key_only(key: ApiKey<HeaderKey>) -> Result<&'static str, ApiError> {
    key.matches("k3y")
        .then_some("key ok")
        .ok_or_else(|| ApiError::forbidden("unknown key"))
}

#[get("/scoped")]
async fn scoped(token: OAuth2PasswordBearer<Tokens, Write>) -> Result<&'static str, AuthError> {
    let granted = token.token().strip_prefix("scopes.").unwrap_or("");
    token.require_scopes(granted.split('.'))?;
    Ok("scope ok")
}

/// The driver page: the docs page in a frame, and the script that clicks through it.
#[get("/drive", hidden)]
async fn drive() -> Html<&'static str> {
    Html(DRIVER)
}

const DRIVER: &str = r#"<!doctype html>
<html><body>
<pre id="result">running</pre>
<iframe id="docs" src="/docs" style="width:1200px;height:4000px"></iframe>
<script>
const out = document.getElementById('result');
// Waits for `find` to return something, polling; bounded so a missing element ends the run
// with its name instead of hanging.
function until(find, what) {
  return new Promise((resolve, reject) => {
    let polls = 0;
    (function poll() {
      let found = null;
      try { found = find(); } catch (e) {}
      if (found) return resolve(found);
      if (++polls > 400) return reject(new Error('no ' + what));
      setTimeout(poll, 25);
    })();
  });
}
// Sets a React-controlled input's value the way typing does.
function type(input, value) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  setter.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.dispatchEvent(new Event('change', { bubbles: true }));
}
// Swagger UI may render an operation anew while it loads, so each step finds its elements
// again, and repeats its click (every 10 polls) until it shows its effect.
function act(find, click, done, what) {
  let polls = 0;
  return until(() => {
    const result = done();
    if (!result && polls++ % 10 === 0) { const target = find(); if (target) click(target); }
    return result;
  }, what);
}
async function call(doc, id) {
  const block = () => doc.getElementById('operations-default-' + id);
  await act(() => block() && block().querySelector('.opblock-summary-control'), b => b.click(),
    () => block() && block().querySelector('.try-out__btn'), 'Try it out of ' + id);
  await act(() => block().querySelector('.try-out__btn:not(.cancel)'), b => b.click(),
    () => block().querySelector('.execute'), 'Execute of ' + id);
  const status = await act(() => block().querySelector('.execute'), b => b.click(),
    () => block().querySelector('.live-responses-table tr.response .response-col_status'), 'response of ' + id);
  const text = status.textContent.trim().slice(0, 3);
  await act(() => block().querySelector('.btn-clear'), b => b.click(),
    () => !block().querySelector('.live-responses-table'), 'cleared response of ' + id);
  return text;
}
function scheme(doc, name) {
  return [...doc.querySelectorAll('.auth-container')].find(c => c.querySelector('h4') && c.querySelector('h4').textContent.includes(name));
}
async function authorize(doc, name, fill) {
  const container = await until(() => scheme(doc, name), 'scheme ' + name + ' in the Authorize dialog');
  fill(container);
  container.querySelector('.auth-btn-wrapper .authorize').click();
  await until(() => { const c = scheme(doc, name); return c && [...c.querySelectorAll('button')].some(b => b.textContent.trim() === 'Logout'); }, 'authorized ' + name);
}
async function main() {
  const frame = document.getElementById('docs');
  const doc = await until(() => frame.contentDocument && frame.contentDocument.querySelector('.auth-wrapper .authorize') && frame.contentDocument, 'Authorize button');
  const results = {};
  // Not `basic_only`: a 401 with a `Basic` challenge makes the browser ask for credentials
  // itself, a dialog no page can answer.
  for (const id of ['bearer_only', 'key_only', 'scoped']) results[id + ' before'] = await call(doc, id);
  doc.querySelector('.auth-wrapper .authorize').click();
  await authorize(doc, 'HTTPBearer', c => type(c.querySelector('input'), 's3cret'));
  await authorize(doc, 'HTTPBasic', c => {
    type(c.querySelector('input[type=text]'), 'admin');
    type(c.querySelector('input[type=password]'), 'correct horse');
  });
  await authorize(doc, 'x-api-key', c => type(c.querySelector('input'), 'k3y'));
  await authorize(doc, 'OAuth2PasswordBearer', c => {
    type(c.querySelector('#oauth_username'), 'alice');
    type(c.querySelector('#oauth_password'), 'wonderland');
    for (const box of c.querySelectorAll('input[type=checkbox]')) if (box.dataset.value === 'write' && !box.checked) box.click();
  });
  doc.querySelector('.modal-ux .close-modal').click();
  for (const id of ['bearer_only', 'basic_only', 'key_only', 'scoped']) results[id + ' after'] = await call(doc, id);
  out.textContent = 'RESULT' + JSON.stringify(results) + 'END';
}
main().catch(e => { out.textContent = 'ERROR ' + e.message + 'END'; });
</script>
</body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the external tools; scripts/test.sh installs them and runs these"]
async fn swagger_ui_authorizes_and_calls_protected_operations() {
    let app = App::new().routes(routes![
        token,
        bearer_only,
        basic_only,
        key_only,
        scoped,
        drive
    ]);
    let server = Server::start(app).await;
    let url = format!("http://{}/drive", server.addr());
    let (dom, _net_log) = blocking(move || {
        let scratch = Scratch::new("chromium-authorize");
        chromium(&url, &scratch)
    })
    .await;
    server.stop().await;

    let result = dom
        .split_once("<pre id=\"result\">")
        .and_then(|(_, rest)| rest.split_once("END"))
        .map(|(result, _)| result)
        .unwrap_or_else(|| panic!("the driver page wrote no result:\n{dom}"));
    let seen: Value = result
        .strip_prefix("RESULT")
        .and_then(|json| serde_json::from_str(&json.replace("&quot;", "\"")).ok())
        .unwrap_or_else(|| panic!("the driver page failed: {result}"));
    assert_eq!(
        seen,
        json!({
            "bearer_only before": "401", "key_only before": "401", "scoped before": "401",
            "bearer_only after": "200", "basic_only after": "200",
            "key_only after": "200", "scoped after": "200",
        })
    );
}
