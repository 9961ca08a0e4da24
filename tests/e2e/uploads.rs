//! Multipart uploads over a real socket, on HTTP/1.1 and h2c: typed forms with files and
//! scalar fields, parts streamed one by one, files spooled to a temporary file past the
//! threshold; every bad body (no boundary, truncated, a part without a name, a part or body
//! over its limit, too many parts) a clear problem; temporary files gone after a success, after
//! a 413 and after a client that left mid-upload.

use std::path::{Path, PathBuf};
use std::time::Duration;

use http::Method;
use oxapi::prelude::*;
use oxapi::{FromMultipart, Multipart, MultipartConfig, MultipartForm, Rejection, UploadFile};
use oxapi_tests::{Client, Server, VERSIONS, raw, raw_status};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BOUNDARY: &str = "oxapi-test-boundary";

/// One part of a multipart body: its name, its file name if it is a file, its content.
struct Part<'a> {
    name: &'a str,
    file_name: Option<&'a str>,
    content: &'a [u8],
}

fn field<'a>(name: &'a str, content: &'a [u8]) -> Part<'a> {
    Part {
        name,
        file_name: None,
        content,
    }
}

fn file<'a>(name: &'a str, file_name: &'a str, content: &'a [u8]) -> Part<'a> {
    Part {
        name,
        file_name: Some(file_name),
        content,
    }
}

/// A whole multipart body of `parts`.
fn body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match part.file_name {
            Some(file_name) => format!(
                "content-disposition: form-data; name=\"{}\"; filename=\"{file_name}\"\r\ncontent-type: application/octet-stream\r\n",
                part.name
            ),
            None => format!("content-disposition: form-data; name=\"{}\"\r\n", part.name),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(part.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A directory of its own for one test's temporary files, removed at the end.
struct SpoolDir(PathBuf);

impl SpoolDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("oxapi-uploads-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.0)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect()
    }

    /// Waits until the directory holds `count` files; the timeout is a hang guard.
    async fn until_count(&self, count: usize) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while self.files().len() != count {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} files in {:?} within 10 s: {:?}",
                count,
                self.0,
                self.files()
            )
        });
    }
}

impl Drop for SpoolDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file and FastAPI-style form fields in one handler.
#[derive(FromMultipart)]
struct Avatar {
    /// The picture.
    image: UploadFile,
    /// Its width in pixels.
    width: u32,
    caption: Option<String>,
    extra: Vec<UploadFile>,
}

#[post("/avatar", body_limit = 1_000_000)]
async fn avatar(form: MultipartForm<Avatar>) -> Result<Json<oxapi::Value>, ApiError> {
    let Avatar {
        image,
        width,
        caption,
        extra,
    } = form.0;
    let content = image.bytes().await.map_err(ApiError::internal)?;
    let mut copied = Vec::new();
    image
        .copy_to(&mut copied)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "file_name": image.file_name(),
        "content_type": image.content_type(),
        "size": image.size(),
        "on_disk": image.path().is_some_and(Path::exists),
        "same": content.as_ref() == copied.as_slice(),
        "first": content.first(),
        "width": width,
        "caption": caption,
        "extra": extra.iter().map(UploadFile::size).collect::<Vec<_>>(),
    })))
}

/// Counts each part's bytes as they stream by.
#[post("/parts", body_limit = 1_000_000)]
async fn parts(mut multipart: Multipart) -> Result<String, Rejection> {
    let mut seen = Vec::new();
    while let Some(mut field) = multipart.next_field().await? {
        let mut size = 0;
        while let Some(chunk) = field.chunk().await? {
            size += chunk.len();
        }
        seen.push(format!("{}:{size}", field.name()));
    }
    Ok(seen.join(","))
}

fn app(spool: &SpoolDir) -> App {
    App::new()
        .state(
            MultipartConfig::default()
                .spool_threshold(1024)
                .part_limit(200_000)
                .max_parts(5)
                .spool_dir(&spool.0),
        )
        .routes(routes![avatar, parts])
}

async fn post(client: &Client, path: &str, body: Vec<u8>) -> oxapi_tests::Reply {
    client
        .send(
            Method::POST,
            path,
            &[("content-type", &content_type())],
            body,
        )
        .await
}

#[tokio::test]
async fn a_typed_form_reads_files_and_fields_and_leaves_no_temporary_file() {
    let spool = SpoolDir::new("typed");
    let server = Server::start(app(&spool)).await;
    let big = vec![7u8; 100_000];
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let parts = [
            field("width", b"64"),
            file("image", "cat.png", &big),
            file("extra", "a.txt", b"a"),
            file("extra", "bb.txt", b"bb"),
            field("ignored", b"x"),
        ];
        let reply = post(&client, "/avatar", body(&parts)).await;
        assert_eq!(reply.status, 200, "{version:?}: {}", reply.text());
        assert_eq!(
            reply.json(),
            json!({
                "file_name": "cat.png",
                "content_type": "application/octet-stream",
                "size": 100_000,
                "on_disk": true,
                "same": true,
                "first": 7,
                "width": 64,
                "caption": null,
                "extra": [1, 2],
            }),
            "{version:?}"
        );
        // A small file stays in memory.
        let reply = post(
            &client,
            "/avatar",
            body(&[
                file("image", "a", b"tiny"),
                field("width", b"1"),
                field("caption", b"hi"),
            ]),
        )
        .await;
        assert_eq!(reply.json()["on_disk"], false, "{version:?}");
        assert_eq!(reply.json()["caption"], "hi", "{version:?}");
        assert!(spool.files().is_empty(), "{version:?}: {:?}", spool.files());
    }
    server.stop().await;
}

#[tokio::test]
async fn a_typed_form_lists_every_missing_or_invalid_field() {
    let spool = SpoolDir::new("invalid");
    let server = Server::start(app(&spool)).await;
    let client = Client::new(&server, oxapi_tests::Version::Http1);
    let reply = post(&client, "/avatar", body(&[field("width", b"wide")])).await;
    let problem = reply.problem(422);
    assert_eq!(
        oxapi_tests::locations(&problem),
        ["body.image", "body.width"]
    );
    let reply = post(
        &client,
        "/avatar",
        body(&[
            file("image", "a", b"1"),
            file("image", "b", b"2"),
            field("width", b"1"),
        ]),
    )
    .await;
    assert_eq!(oxapi_tests::locations(&reply.problem(422)), ["body.image"]);
    server.stop().await;
}

#[tokio::test]
async fn parts_stream_one_by_one() {
    let spool = SpoolDir::new("stream");
    let server = Server::start(app(&spool)).await;
    for version in VERSIONS {
        let client = Client::new(&server, version);
        let reply = post(
            &client,
            "/parts",
            body(&[field("a", b"hello"), file("b", "b.bin", &[0; 150_000])]),
        )
        .await;
        assert_eq!(reply.text(), "a:5,b:150000", "{version:?}");
    }
    server.stop().await;
}

/// A bad body and the problem it must get.
struct Bad {
    name: &'static str,
    content_type: String,
    body: Vec<u8>,
    status: u16,
    /// A part of the problem's `detail`.
    detail: &'static str,
}

impl Bad {
    fn new(name: &'static str, body: Vec<u8>, status: u16, detail: &'static str) -> Self {
        Self {
            name,
            content_type: content_type(),
            body,
            status,
            detail,
        }
    }

    fn content_type(mut self, content_type: &str) -> Self {
        self.content_type = content_type.to_owned();
        self
    }
}

#[tokio::test]
async fn bad_bodies_get_clear_problems_and_the_server_goes_on() {
    let spool = SpoolDir::new("bad");
    let server = Server::start(app(&spool)).await;
    let client = Client::new(&server, oxapi_tests::Version::Http1);
    let whole = body(&[field("a", b"hello"), field("b", b"world")]);
    let many_files = ["a", "b", "c", "d", "e", "f"].map(|name| file(name, "big", &[1; 199_000]));
    let six_fields = ["a", "b", "c", "d", "e", "f"].map(|name| field(name, b"1"));
    let no_name =
        format!("--{BOUNDARY}\r\ncontent-disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n");
    let cases = [
        Bad::new("no boundary", whole.clone(), 400, "boundary").content_type("multipart/form-data"),
        Bad::new("not multipart", whole.clone(), 415, "multipart/form-data")
            .content_type("text/plain"),
        Bad::new(
            "truncated",
            whole[..whole.len() - 20].to_vec(),
            400,
            "ended before its closing boundary",
        ),
        Bad::new("no name", no_name.into_bytes(), 400, "no name"),
        Bad::new(
            "part over its limit",
            body(&[file("image", "big", &[1; 200_001])]),
            413,
            "`image` is larger than 200000 bytes",
        ),
        Bad::new(
            "body over the route's limit",
            body(&many_files),
            413,
            "larger than 1000000 bytes",
        ),
        Bad::new(
            "too many parts",
            body(&six_fields),
            413,
            "more than 5 parts",
        ),
    ];
    for path in ["/parts", "/avatar"] {
        for case in &cases {
            let headers = [("content-type", case.content_type.as_str())];
            let reply = client
                .send(Method::POST, path, &headers, case.body.clone())
                .await;
            let problem = reply.problem(case.status);
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains(case.detail),
                "{path} {}: {problem}",
                case.name
            );
        }
    }
    assert!(spool.files().is_empty(), "{:?}", spool.files());
    // Nothing else was disturbed.
    let reply = post(&client, "/parts", body(&[field("a", b"ok")])).await;
    assert_eq!(reply.text(), "a:2");
    server.stop().await;
}

#[tokio::test]
async fn a_spooled_file_over_the_part_limit_leaves_no_temporary_file() {
    let spool = SpoolDir::new("over");
    let server = Server::start(app(&spool)).await;
    // Raw, without Content-Length up front mattering: the part grows past its limit after it
    // has spooled to disk.
    let content = body(&[file("image", "big", &[1; 300_000]), field("width", b"1")]);
    let mut request = format!(
        "POST /avatar HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n",
        content_type(),
        content.len()
    )
    .into_bytes();
    request.extend_from_slice(&content);
    let answer = raw(server.addr(), &request).await;
    assert_eq!(raw_status(&answer), 413, "{answer}");
    assert!(spool.files().is_empty(), "{:?}", spool.files());
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_leaves_mid_upload_leaves_no_temporary_file() {
    let spool = SpoolDir::new("leave");
    let server = Server::start(app(&spool)).await;
    let head = format!(
        "POST /avatar HTTP/1.1\r\nhost: x\r\ncontent-type: {}\r\ncontent-length: 500000\r\n\r\n--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\n",
        content_type()
    );
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[1; 50_000]).await.unwrap();
    // The file is past the threshold, so it is on disk now.
    spool.until_count(1).await;
    drop(stream);
    spool.until_count(0).await;
    server.stop().await;
}

#[tokio::test]
async fn a_body_cut_short_mid_part_is_a_400() {
    let spool = SpoolDir::new("cut");
    let server = Server::start(app(&spool)).await;
    let head = format!(
        "POST /parts HTTP/1.1\r\nhost: x\r\ncontent-type: {}\r\ntransfer-encoding: chunked\r\n\r\n",
        content_type()
    );
    let part = format!("--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nhello");
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
        .write_all(format!("{:x}\r\n{part}\r\n0\r\n\r\n", part.len()).as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert_eq!(raw_status(&answer), 400, "{answer}");
    assert!(answer.contains("closing boundary"), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn the_document_describes_the_form() {
    let spool = SpoolDir::new("doc");
    let document = app(&spool).openapi().unwrap();
    let body = &document["paths"]["/avatar"]["post"]["requestBody"];
    assert_eq!(body["required"], true);
    let schema = &body["content"]["multipart/form-data"]["schema"];
    assert_eq!(
        schema,
        &json!({
            "type": "object",
            "properties": {
                "image": { "type": "string", "format": "binary", "description": "The picture." },
                "width": { "type": "integer", "format": "uint32", "minimum": 0, "maximum": 4_294_967_295_u32, "description": "Its width in pixels." },
                "caption": { "type": "string" },
                "extra": { "type": "array", "items": { "type": "string", "format": "binary" } },
            },
            "required": ["image", "width"],
        })
    );
    let responses = &document["paths"]["/avatar"]["post"]["responses"];
    for status in ["400", "413", "415", "422"] {
        assert!(responses.get(status).is_some(), "{status}: {responses}");
    }
}
