//! Docs pages.
//!
//! Two interactive pages for a served OpenAPI document, both working with no network:
//!
//! - **Swagger UI**, from the copy vendored in `utoipa-swagger-ui-vendored` (the build script of
//!   `utoipa-swagger-ui` unpacks it from that crate with the `vendored` feature; nothing is
//!   downloaded). The page HTML is written here so its configuration is explicit: the online
//!   validator is off (`validatorUrl: null`), otherwise Swagger UI would send the document's URL
//!   to `validator.swagger.io`.
//! - **Scalar**, from the bundle shipped in `scalar_api_reference`. The page is configured with
//!   no default fonts (they come from `fonts.scalar.com`), no telemetry, no Agent Scalar (AI
//!   chat), no MCP integration, no developer tools and no client button, and with no request
//!   proxy, so "Test Request" goes straight to the API.
//!
//! Every page loads its scripts and styles from URLs the server gives, which it maps to
//! [`swagger_ui_asset`] and [`scalar_asset`]; nothing is taken from a CDN.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The content type of the HTML pages returned by [`swagger_ui_html`] and [`scalar_html`].
pub const PAGE_CONTENT_TYPE: &str = "text/html; charset=utf-8";

const CSS: &str = "text/css; charset=utf-8";
const JAVASCRIPT: &str = "application/javascript";
const PNG: &str = "image/png";

/// One static file of a docs page.
#[derive(Clone)]
pub struct Asset {
    /// The file's content.
    pub bytes: Cow<'static, [u8]>,
    /// The value for the `Content-Type` header, e.g. `"application/javascript"`.
    pub content_type: &'static str,
}

impl fmt::Debug for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Asset")
            .field("len", &self.bytes.len())
            .field("content_type", &self.content_type)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Swagger UI
// ---------------------------------------------------------------------------------------------

/// The Swagger UI files served to the browser, with their content types. Only these names are
/// served; the rest of the distribution (the stock `index.html` and initializer, the ES
/// bundles) is not needed by [`swagger_ui_html`].
const SWAGGER_UI_FILES: &[(&str, &str)] = &[
    ("swagger-ui.css", CSS),
    ("swagger-ui-bundle.js", JAVASCRIPT),
    ("swagger-ui-standalone-preset.js", JAVASCRIPT),
    ("favicon-32x32.png", PNG),
    ("favicon-16x16.png", PNG),
    ("oauth2-redirect.html", PAGE_CONTENT_TYPE),
    ("oauth2-redirect.js", JAVASCRIPT),
];

/// The Swagger UI page for the document at `openapi_url`; its assets are fetched from
/// `assets_base` (e.g. `"/docs/"`) which the server maps to [`swagger_ui_asset`].
///
/// A `/` is added to `assets_base` if it does not end with one, so `"/docs"` and `"/docs/"`
/// give the same page. The OAuth2 redirect page is `oauth2-redirect.html` under `assets_base`.
/// `title` and the URLs are escaped; the page has one inline script (the configuration).
pub fn swagger_ui_html(title: &str, openapi_url: &str, assets_base: &str) -> String {
    let base = with_trailing_slash(assets_base);
    let base_attr = escape_html(&base);
    let title = escape_html(title);
    let url_js = js_value(&serde_json::Value::from(openapi_url));
    let base_js = js_value(&serde_json::Value::from(base.as_ref()));
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" type="text/css" href="{base_attr}swagger-ui.css">
<link rel="icon" type="image/png" href="{base_attr}favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{base_attr}favicon-16x16.png" sizes="16x16">
<style>
html {{ box-sizing: border-box; overflow-y: scroll; }}
*, *:before, *:after {{ box-sizing: inherit; }}
body {{ margin: 0; background: #fafafa; }}
</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{base_attr}swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="{base_attr}swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script>
window.onload = function () {{
  window.ui = SwaggerUIBundle({{
    url: {url_js},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    oauth2RedirectUrl: new URL({base_js} + 'oauth2-redirect.html', window.location.href).href,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout'
  }});
}};
</script>
</body>
</html>
"#
    )
}

/// A Swagger UI asset by file name, e.g. `"swagger-ui-bundle.js"`, `"swagger-ui.css"`; `None`
/// for unknown names (and for any path with `".."`).
///
/// The names are those [`swagger_ui_html`] references: `swagger-ui.css`,
/// `swagger-ui-bundle.js`, `swagger-ui-standalone-preset.js`, `favicon-32x32.png`,
/// `favicon-16x16.png`, plus `oauth2-redirect.html` and `oauth2-redirect.js` for OAuth2 flows.
/// The bytes are borrowed from the binary.
pub fn swagger_ui_asset(file: &str) -> Option<Asset> {
    if file.contains("..") {
        return None;
    }
    let &(name, content_type) = SWAGGER_UI_FILES.iter().find(|(name, _)| *name == file)?;
    // The vendored files are reachable only through `serve`; the configuration matters only
    // for `swagger-initializer.js`, which is not served here.
    let config = Arc::new(utoipa_swagger_ui::Config::<'static>::default());
    let served = utoipa_swagger_ui::serve(name, config).ok()??;
    if served.gzpipped {
        // Only with utoipa-swagger-ui's `gzip` feature, which this crate does not turn on; the
        // bytes would need a `Content-Encoding` header `Asset` does not carry.
        return None;
    }
    Some(Asset {
        bytes: served.bytes,
        content_type,
    })
}

// ---------------------------------------------------------------------------------------------
// Scalar
// ---------------------------------------------------------------------------------------------

/// The name of the Scalar bundle in `scalar_api_reference`.
/// The file name of the Scalar bundle, served by [`scalar_asset`].
pub const SCALAR_BUNDLE: &str = "scalar.js";

/// The Scalar page for the document at `openapi_url`, loading its bundle from `bundle_url`
/// (e.g. `"/scalar/scalar.js"`), which the server maps to [`scalar_asset`].
///
/// The page references no other URL: default fonts, telemetry, Agent Scalar, MCP, the developer
/// tools and the client button are off, and no request proxy is set. `title` and the URLs are
/// escaped; the page has one inline script (the configuration).
pub fn scalar_html(title: &str, openapi_url: &str, bundle_url: &str) -> String {
    let title = escape_html(title);
    let bundle_attr = escape_html(bundle_url);
    let config = serde_json::json!({
        "url": openapi_url,
        "withDefaultFonts": false,
        "telemetry": false,
        "agent": { "disabled": true },
        "mcp": { "disabled": true },
        "showDeveloperTools": "never",
        "hideClientButton": true,
        "defaultOpenAllTags": true,
    });
    let config_js = js_value(&config);
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<div id="app"></div>
<script src="{bundle_attr}"></script>
<script>
Scalar.createApiReference('#app', {config_js});
</script>
</body>
</html>
"#
    )
}

/// A Scalar asset by file name (the JS bundle, `"scalar.js"`), `None` otherwise.
///
/// The bundle is copied out of `scalar_api_reference` once and then borrowed.
pub fn scalar_asset(file: &str) -> Option<Asset> {
    if file != SCALAR_BUNDLE {
        return None;
    }
    static BUNDLE: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    let bytes = BUNDLE
        .get_or_init(|| scalar_api_reference::get_asset(SCALAR_BUNDLE))
        .as_deref()?;
    Some(Asset {
        bytes: Cow::Borrowed(bytes),
        content_type: JAVASCRIPT,
    })
}

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

fn with_trailing_slash(base: &str) -> Cow<'_, str> {
    if base.ends_with('/') {
        Cow::Borrowed(base)
    } else {
        Cow::Owned(format!("{base}/"))
    }
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as a JavaScript expression safe inside an inline `<script>`: `<`, `>` and `&`
/// are written as `\u` escapes (so no `</script>` or `<!--` can appear), and so are U+2028 and
/// U+2029. The escapes occur only inside strings, where they mean the same characters.
fn js_value(value: &serde_json::Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values of every `href="…"` and `src="…"` attribute in `html`.
    fn referenced(html: &str) -> Vec<String> {
        let mut urls = Vec::new();
        for attr in ["href=\"", "src=\""] {
            let mut rest = html;
            while let Some(start) = rest.find(attr) {
                rest = &rest[start + attr.len()..];
                let Some(end) = rest.find('"') else { break };
                urls.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
        urls
    }

    #[test]
    fn swagger_ui_page_is_configured() {
        let html = swagger_ui_html("My API", "/openapi.json", "/docs/");
        assert!(html.contains("<title>My API</title>"));
        assert!(html.contains(r#"url: "/openapi.json","#));
        assert!(html.contains("validatorUrl: null,"));
        assert!(html.contains("deepLinking: true,"));
        assert!(html.contains("dom_id: '#swagger-ui',"));
        assert!(html.contains(r#"<div id="swagger-ui"></div>"#));
        assert!(html.contains(r#"href="/docs/swagger-ui.css""#));
        assert!(html.contains(r#"src="/docs/swagger-ui-bundle.js""#));
        assert!(html.contains(r#"src="/docs/swagger-ui-standalone-preset.js""#));
        assert!(html.contains(r#"href="/docs/favicon-32x32.png""#));
        assert!(!html.contains("http://") && !html.contains("https://"));
        // The same page without the trailing slash.
        assert_eq!(html, swagger_ui_html("My API", "/openapi.json", "/docs"));
    }

    #[test]
    fn swagger_ui_page_escapes() {
        let html = swagger_ui_html("</script><b>", "/api\"</script>.json", "/d\"<x>/");
        assert!(!html.contains("<b>"));
        assert!(html.contains("<title>&lt;/script&gt;&lt;b&gt;</title>"));
        assert_eq!(html.matches("</script>").count(), 3);
        assert!(html.contains(r#"url: "/api\"\u003c/script\u003e.json","#));
        assert!(html.contains(r#"href="/d&quot;&lt;x&gt;/swagger-ui.css""#));
        assert!(!html.contains("<x>"));
    }

    #[test]
    fn swagger_ui_assets_are_served() {
        let html = swagger_ui_html("API", "/openapi.json", "/docs/");
        let refs = referenced(&html);
        assert_eq!(refs.len(), 5, "{refs:?}");
        for url in refs {
            let file = url
                .strip_prefix("/docs/")
                .unwrap_or_else(|| panic!("{url}"));
            let asset = swagger_ui_asset(file).unwrap_or_else(|| panic!("{file} not served"));
            assert!(!asset.bytes.is_empty(), "{file}");
            let expected = match file.rsplit('.').next() {
                Some("css") => "text/css; charset=utf-8",
                Some("js") => "application/javascript",
                Some("png") => "image/png",
                _ => panic!("unexpected {file}"),
            };
            assert_eq!(asset.content_type, expected, "{file}");
        }
        let css = swagger_ui_asset("swagger-ui.css").unwrap_or_else(|| panic!("css"));
        assert!(std::str::from_utf8(&css.bytes).is_ok_and(|s| s.contains(".swagger-ui")));
        let png = swagger_ui_asset("favicon-16x16.png").unwrap_or_else(|| panic!("png"));
        assert!(png.bytes.starts_with(b"\x89PNG"));
        let bundle = swagger_ui_asset("swagger-ui-bundle.js").unwrap_or_else(|| panic!("js"));
        assert!(bundle.bytes.len() > 100_000);
        assert!(format!("{bundle:?}").contains(&format!("len: {}", bundle.bytes.len())));

        let redirect = swagger_ui_asset("oauth2-redirect.html").unwrap_or_else(|| panic!("html"));
        assert_eq!(redirect.content_type, "text/html; charset=utf-8");
        let redirect = swagger_ui_asset("oauth2-redirect.js").unwrap_or_else(|| panic!("js"));
        assert_eq!(redirect.content_type, "application/javascript");
    }

    #[test]
    fn swagger_ui_unknown_assets_are_none() {
        for file in [
            "",
            "/",
            "index.html",
            "swagger-initializer.js",
            "nope.js",
            "../swagger-ui.css",
            "../../Cargo.toml",
            "x/../swagger-ui.css",
            "..",
            "/swagger-ui.css",
            "swagger-ui.css/",
        ] {
            assert!(swagger_ui_asset(file).is_none(), "{file}");
        }
    }

    #[test]
    fn scalar_page_is_configured() {
        let html = scalar_html("My API", "/openapi.json", "/scalar/scalar.js");
        assert!(html.contains("<title>My API</title>"));
        assert!(html.contains(r#"<script src="/scalar/scalar.js"></script>"#));
        assert!(html.contains(r#""url":"/openapi.json""#));
        assert!(html.contains(r#""withDefaultFonts":false"#));
        assert!(html.contains(r#""telemetry":false"#));
        assert!(html.contains(r#""agent":{"disabled":true}"#));
        assert!(html.contains(r#""mcp":{"disabled":true}"#));
        assert!(html.contains(r#""showDeveloperTools":"never""#));
        assert!(html.contains(r#""hideClientButton":true"#));
        assert!(!html.contains("proxy"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert_eq!(referenced(&html), ["/scalar/scalar.js"]);
    }

    #[test]
    fn scalar_page_escapes() {
        let html = scalar_html("</script><b>", "/a</script>.json", "/s\".js");
        assert!(html.contains("<title>&lt;/script&gt;&lt;b&gt;</title>"));
        assert!(!html.contains("<b>"));
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(html.contains(r#""url":"/a\u003c/script\u003e.json""#));
        assert!(html.contains(r#"src="/s&quot;.js""#));
    }

    #[test]
    fn scalar_bundle_is_served() {
        let asset = scalar_asset("scalar.js").unwrap_or_else(|| panic!("bundle"));
        assert_eq!(asset.content_type, "application/javascript");
        assert!(asset.bytes.len() > 100_000);
        assert!(std::str::from_utf8(&asset.bytes).is_ok_and(|s| s.contains("createApiReference")));
        for file in [
            "",
            "index.html",
            "../scalar.js",
            "scalar.js/",
            "/scalar.js",
            "x.js",
        ] {
            assert!(scalar_asset(file).is_none(), "{file}");
        }
    }

    #[test]
    fn js_values_cannot_close_the_script() {
        let value = serde_json::Value::from("</script><!-- & \u{2028}\u{2029}");
        let js = js_value(&value);
        assert_eq!(js, r#""\u003c/script\u003e\u003c!-- \u0026 \u2028\u2029""#);
        let back: serde_json::Value = serde_json::from_str(&js).unwrap_or_default();
        assert_eq!(back, value);
    }
}
