//! Settings for serving behind a reverse proxy: whose forwarding headers to believe, and the
//! path prefix the proxy serves the app under.

use super::App;
use crate::proxy::ProxyHeaders;

impl App {
    /// The proxies whose forwarding headers are believed, as uvicorn's
    /// `--forwarded-allow-ips`: addresses (`10.0.0.1`, `::1`) and CIDR ranges (`10.0.0.0/8`,
    /// `fd00::/8`). Default: none, so [`ClientAddr`](crate::ClientAddr) is the peer's address
    /// and [`ClientScheme`](crate::ClientScheme) is the connection's (`http`, or `https` under
    /// [`App::tls`](crate::App::tls)), whatever the headers say.
    ///
    /// `*` trusts every peer, and with it the farthest entry of the header, which the client
    /// writes: only for an app that nothing but its proxy can reach. An IPv4-mapped IPv6 peer
    /// (`::ffff:10.0.0.1`) is matched as its IPv4 address. Calling this again replaces the
    /// list. An entry that does not parse (`10.0.0.1/8` included: bits past the prefix are
    /// most likely a typo) is an error when the app is built. `App::run` reads the list from
    /// `--forwarded-allow-ips` or `$OXAPI_FORWARDED_ALLOW_IPS` (comma-separated) as well.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::ClientAddr;
    ///
    /// #[get("/ip")]
    /// async fn ip(client: ClientAddr) -> String {
    ///     client.ip().to_string()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = App::new().forwarded_allow_ips(["127.0.0.1"]).routes(routes![ip]);
    /// let client = app.test_client();
    /// let response = client.get("/ip").header("x-forwarded-for", "203.0.113.7").send().await;
    /// assert_eq!(response.text(), "203.0.113.7");
    ///
    /// let errors = App::new().forwarded_allow_ips(["10.0.0.1/8"]).check().unwrap_err();
    /// assert!(errors.to_string().contains("10.0.0.1/8"));
    /// # }
    /// ```
    #[must_use]
    pub fn forwarded_allow_ips<I, S>(mut self, entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.forwarded_allow_ips = entries.into_iter().map(Into::into).collect();
        self
    }

    /// Which headers the trusted proxies write (default [`ProxyHeaders::XForwarded`]:
    /// `X-Forwarded-For` and `X-Forwarded-Proto`). Only that kind is read: configure your
    /// proxy to set it, overwriting what a client sent.
    ///
    /// ```
    /// use oxapi::prelude::*;
    /// use oxapi::{ClientAddr, ProxyHeaders};
    ///
    /// #[get("/ip")]
    /// async fn ip(ClientAddr(client): ClientAddr) -> String {
    ///     client.to_string()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = App::new()
    ///     .forwarded_allow_ips(["127.0.0.1"])
    ///     .proxy_headers(ProxyHeaders::Forwarded)
    ///     .routes(routes![ip])
    ///     .test_client();
    /// let forwarded = r#"for="[2001:db8::1]:4711";proto=https"#;
    /// let response = client.get("/ip").header("forwarded", forwarded).send().await;
    /// assert_eq!(response.text(), "[2001:db8::1]:4711");
    /// # }
    /// ```
    #[must_use]
    pub fn proxy_headers(mut self, headers: ProxyHeaders) -> Self {
        self.proxy_headers = headers;
        self
    }

    /// The path prefix a proxy serves the app under, as uvicorn's `--root-path`: the proxy
    /// forwards `/api/items` as `/items`, so routes stay as declared, but the document and the
    /// docs pages must name the prefix for clients outside.
    ///
    /// The document's `servers` starts with the prefix (`[{"url": "/api"}]` when no
    /// [`App::server`] is set; FastAPI does the same), and the docs pages load the document
    /// from `/api/openapi.json` and their assets from `/api/docs/...`. A trailing-slash
    /// redirect ([`App::redirect_trailing_slash`]) keeps the prefix too. A trailing `/` is
    /// ignored; a prefix that does not start with `/` is an error when the app is built.
    /// `App::run` reads it from `--root-path` or `$OXAPI_ROOT_PATH` as well, which win over
    /// this.
    ///
    /// ```
    /// use oxapi::prelude::*;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let client = App::new().root_path("/api").test_client();
    /// let document = client.get("/openapi.json").send().await.text();
    /// assert!(document.contains(r#""servers":[{"url":"/api"}]"#));
    /// let page = client.get("/docs").send().await.text();
    /// assert!(page.contains("\"/api/openapi.json\""));
    /// assert!(page.contains("src=\"/api/docs/swagger-ui-bundle.js\""));
    /// # }
    /// ```
    #[must_use]
    pub fn root_path(mut self, path: impl Into<String>) -> Self {
        self.root_path = path.into();
        self
    }
}

/// The root path without trailing `/`s (`/` alone is no prefix), or why it is not one.
pub(super) fn root_prefix(path: &str) -> Result<&str, &'static str> {
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        Ok("")
    } else if !path.starts_with('/') {
        Err("it must start with `/`, like `/api`")
    } else if path.contains(['?', '#']) || path.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        Err("a path prefix has no query, fragment, whitespace or control characters")
    } else {
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::root_prefix;

    #[test]
    fn root_paths() {
        let cases = [
            ("", Ok("")),
            ("/", Ok("")),
            ("/api", Ok("/api")),
            ("/api/", Ok("/api")),
            ("/api/v1//", Ok("/api/v1")),
            ("api", Err(())),
            ("https://example.com/api", Err(())),
            ("/api?x=1", Err(())),
            ("/api#top", Err(())),
            ("/my api", Err(())),
            ("/api\n", Err(())),
        ];
        for (path, expected) in cases {
            assert_eq!(root_prefix(path).map_err(drop), expected, "{path:?}");
        }
    }
}
