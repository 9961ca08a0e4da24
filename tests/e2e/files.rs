//! Files over a real socket, on HTTP/1.1 and h2c: a file route and a static directory with
//! content types, validators (304), ranges (206, merged overlaps, 416), HEAD; and no path out
//! of the static root, however it is spelled.

use std::path::PathBuf;

use http::Method;
use oxapi::prelude::*;
use oxapi::{FileRequest, FileResponse};
use oxapi_tests::{Client, Server, VERSIONS, raw, raw_status};

/// `root/` (served) beside `secret.txt` (not served), for one test; removed at the end.
struct Tree(PathBuf);

const CONTENT: &str = "0123456789abcdefghij";

impl Tree {
    fn new(name: &str) -> Self {
        let base = std::env::temp_dir().join(format!("oxapi-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(base.join("secret.txt"), "secret").unwrap();
        std::fs::write(root.join("a.txt"), CONTENT).unwrap();
        std::fs::write(root.join("page.html"), "<p>hi</p>").unwrap();
        std::fs::write(root.join("docs/index.html"), "<h1>docs</h1>").unwrap();
        std::os::unix::fs::symlink(base.join("secret.txt"), root.join("out.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("a.txt"), root.join("in.txt")).unwrap();
        Self(base)
    }

    fn root(&self) -> PathBuf {
        self.0.join("root")
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The path the test serves, as app state.
struct Served(PathBuf);

#[get("/download")]
async fn download(request: FileRequest, served: State<Served>) -> Result<FileResponse, ApiError> {
    Ok(FileResponse::open(&served.0.0)
        .await?
        .for_request(request)
        .attachment("a \"b\".txt"))
}

#[get("/missing")]
async fn missing() -> Result<FileResponse, ApiError> {
    FileResponse::open("/nonexistent/oxapi/file").await
}

fn app(tree: &Tree) -> App {
    App::new()
        .state(Served(tree.root().join("a.txt")))
        .routes(routes![download, missing])
        .static_files("/static", tree.root())
}

/// Request headers, as (name, value) pairs.
type Headers<'a> = &'a [(&'a str, &'a str)];

async fn get(client: &Client, path: &str, headers: &[(&str, &str)]) -> oxapi_tests::Reply {
    client.send(Method::GET, path, headers, "").await
}

#[tokio::test]
async fn a_file_has_its_type_validators_and_length() {
    let tree = Tree::new("whole");
    let server = Server::start(app(&tree)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        for path in ["/download", "/static/a.txt", "/static/in.txt"] {
            let reply = get(&client, path, &[]).await;
            assert_eq!(reply.status, 200, "{path} {version:?}");
            assert_eq!(reply.text(), CONTENT, "{path}");
            assert_eq!(reply.header("content-type"), Some("text/plain"), "{path}");
            assert_eq!(reply.header("content-length"), Some("20"), "{path}");
            assert_eq!(reply.header("accept-ranges"), Some("bytes"), "{path}");
            assert!(
                reply.header("etag").is_some_and(|tag| tag.starts_with('"')),
                "{path}"
            );
            assert!(reply.header("last-modified").is_some(), "{path}");
        }
        let reply = get(&client, "/download", &[]).await;
        assert_eq!(
            reply.header("content-disposition"),
            Some("attachment; filename=\"a _b_.txt\"")
        );
        let reply = get(&client, "/static/page.html", &[]).await;
        assert_eq!(reply.header("content-type"), Some("text/html"));
        let reply = get(&client, "/static/docs/", &[]).await;
        assert_eq!(reply.text(), "<h1>docs</h1>");
        get(&client, "/missing", &[]).await.problem(404);
        get(&client, "/static/nothing.txt", &[]).await.problem(404);
    }
    server.stop().await;
}

#[tokio::test]
async fn validators_answer_304() {
    let tree = Tree::new("cond");
    let server = Server::start(app(&tree)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        for path in ["/download", "/static/a.txt"] {
            let first = get(&client, path, &[]).await;
            let etag = first.header("etag").unwrap();
            let modified = first.header("last-modified").unwrap();
            let cases: [(Headers<'_>, u16); 5] = [
                (&[("if-none-match", etag)], 304),
                (&[("if-none-match", &format!("\"other\", W/{etag}"))], 304),
                (&[("if-none-match", "\"other\"")], 200),
                (&[("if-modified-since", modified)], 304),
                (
                    &[("if-modified-since", "Thu, 01 Jan 1970 00:00:00 GMT")],
                    200,
                ),
            ];
            for (headers, status) in cases {
                let reply = get(&client, path, headers).await;
                assert_eq!(reply.status, status, "{path} {headers:?}");
                if status == 304 {
                    assert!(reply.body.is_empty());
                    assert_eq!(reply.header("etag"), Some(etag));
                }
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn ranges_get_206_merged_or_the_whole_file_and_416_out_of_the_file() {
    let tree = Tree::new("range");
    let server = Server::start(app(&tree)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        for path in ["/download", "/static/a.txt"] {
            let etag = get(&client, path, &[])
                .await
                .header("etag")
                .unwrap()
                .to_owned();
            let cases: [(Headers<'_>, u16, &str, Option<&str>); 8] = [
                (&[("range", "bytes=2-4")], 206, "234", Some("bytes 2-4/20")),
                (&[("range", "bytes=-3")], 206, "hij", Some("bytes 17-19/20")),
                (
                    &[("range", "bytes=15-99")],
                    206,
                    "fghij",
                    Some("bytes 15-19/20"),
                ),
                // Overlapping and adjacent ranges are one.
                (
                    &[("range", "bytes=0-3,2-5,6-6")],
                    206,
                    "0123456",
                    Some("bytes 0-6/20"),
                ),
                // Ranges apart: the whole file.
                (&[("range", "bytes=0-1,5-6")], 200, CONTENT, None),
                // Forged: not a valid spec.
                (&[("range", "bytes=5-1")], 200, CONTENT, None),
                (
                    &[("range", "bytes=0-1"), ("if-range", &etag)],
                    206,
                    "01",
                    Some("bytes 0-1/20"),
                ),
                (
                    &[("range", "bytes=0-1"), ("if-range", "\"old\"")],
                    200,
                    CONTENT,
                    None,
                ),
            ];
            for (headers, status, body, content_range) in cases {
                let reply = get(&client, path, headers).await;
                assert_eq!(reply.status, status, "{path} {headers:?}");
                assert_eq!(reply.text(), body, "{path} {headers:?}");
                assert_eq!(
                    reply.header("content-range"),
                    content_range,
                    "{path} {headers:?}"
                );
                assert_eq!(
                    reply.header("content-length"),
                    Some(body.len().to_string().as_str())
                );
            }
            let forged = format!("bytes={}", vec!["0-0"; 1000].join(","));
            assert_eq!(get(&client, path, &[("range", &forged)]).await.status, 200);
            let reply = get(&client, path, &[("range", "bytes=20-")]).await;
            let problem = reply.problem(416);
            assert_eq!(reply.header("content-range"), Some("bytes */20"));
            assert_eq!(problem["detail"], "the file has 20 bytes");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn head_sends_the_headers_alone() {
    let tree = Tree::new("head");
    let server = Server::start(app(&tree)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        for path in ["/download", "/static/a.txt"] {
            let reply = client.send(Method::HEAD, path, &[], "").await;
            assert_eq!(reply.status, 200, "{path}");
            assert!(reply.body.is_empty(), "{path}");
            assert_eq!(reply.header("content-length"), Some("20"), "{path}");
            assert!(reply.header("etag").is_some(), "{path}");
        }
        let reply = client.send(Method::POST, "/static/a.txt", &[], "").await;
        reply.problem(405);
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }
    server.stop().await;
}

#[tokio::test]
async fn no_path_leaves_the_static_root() {
    let tree = Tree::new("traversal");
    let server = Server::start(app(&tree)).await;
    let attempts = [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/secret.txt",
        "/static/.%2e/secret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/docs/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/static/..%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/docs/..%5c..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/out.txt",
        "/static/a.txt%00.html",
    ];
    for path in attempts {
        let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        let answer = raw(server.addr(), request.as_bytes()).await;
        let status = raw_status(&answer);
        assert!(status == 404 || status == 400, "{path}: {answer}");
        assert!(
            !answer.contains("secret\r\n") && !answer.ends_with("secret"),
            "{path}: {answer}"
        );
    }
    // The server goes on.
    let client = Client::new(&server, oxapi_tests::Version::Http1);
    assert_eq!(get(&client, "/static/a.txt", &[]).await.text(), CONTENT);
    server.stop().await;
}
