//! The model and parameter zoo: one app with every kind of field type, rule, parameter,
//! response form, catch-all path, webhook and callback, whose document is pinned in
//! `tests/e2e/zoo.openapi.json` (review its diff like code; regenerate it with
//! `OXAPI_SNAPSHOTS=overwrite cargo test -p oxapi-tests --test e2e zoo`).
//!
//! The tests beside the snapshot check, over a real socket, what each declaration promises.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use http::Method;
use oxapi::prelude::*;
use oxapi::types::{Date, Decimal, SignedDuration, Time, Timestamp, Url, Uuid};
use oxapi::{
    BodyStream, JsonLines, LastEventId, OperationIdStrategy, Sse, Streaming, Tag, Webhook,
};
use oxapi_tests::{Client, Server, VERSIONS};
use serde_json::{Value, json};

/// Every scalar, container and common type a model field can have.
#[model]
#[serde(rename_all = "camelCase")]
struct Animal {
    /// The animal's id.
    id: Uuid,
    #[validate(length(min = 1, max = 40))]
    #[schemars(example = &"Rex")]
    name: String,
    is_tame: bool,
    legs: u8,
    #[validate(range(min = 1, max = 10_000))]
    weight_grams: u32,
    #[validate(range(exclusive_min = 0.0, exclusive_max = 100.0))]
    temperature: f64,
    ratio: f32,
    offset: i16,
    big: i64,
    huge: u64,
    /// Defaults to one.
    #[serde(default = "one")]
    count: u16,
    #[serde(default)]
    nick: Option<String>,
    #[serde(rename = "e-mail")]
    #[validate(email)]
    email: Option<String>,
    #[validate(length(max = 5))]
    tags: Vec<String>,
    scores: HashMap<String, u32>,
    by_day: BTreeMap<Date, u32>,
    born: Date,
    seen: Timestamp,
    feeds_at: Time,
    naps: SignedDuration,
    page: Url,
    price: Decimal,
    extra: oxapi::Value,
    kind: Kind,
    shape: Shape,
    owner: Option<Owner>,
}

fn owner_example() -> Owner {
    Owner { name: "Ada".into() }
}

fn one() -> u16 {
    1
}

/// A kind of animal.
#[model]
#[serde(rename_all = "lowercase")]
enum Kind {
    Cat,
    Dog,
}

/// A shape, tagged by `type`.
#[model]
#[serde(tag = "type", rename_all = "snake_case")]
enum Shape {
    Round { radius: f64 },
    Square { side: f64 },
}

/// Who owns an animal.
#[model]
#[schemars(example = owner_example())]
struct Owner {
    #[validate(length(min = 1))]
    name: String,
}

/// Filters for listing animals.
#[model]
struct Filters {
    /// Text to find in names.
    #[schemars(example = &"rex")]
    q: Option<String>,
    #[validate(range(min = 1, max = 100))]
    #[serde(default = "ten")]
    limit: u32,
    kind: Option<Kind>,
}

fn ten() -> u32 {
    10
}

/// A message sent with an error status.
#[model]
struct Message {
    message: String,
}

/// Someone else has the name.
#[model]
struct Conflict {
    name: String,
}

/// What the error side of a `Result` sends, with its status chosen at run time.
#[model]
struct Oops {
    reason: String,
}

/// List animals.
///
/// Filtered by the query.
#[get("/animals", tags = ["animals"])]
async fn list(
    filters: Query<Filters>,
    #[query] page: Option<u32>,
    #[header("x-request-id")] request_id: Option<String>,
    #[cookie] session: Option<String>,
) -> Json<Vec<Animal>> {
    let _ = (filters, page, request_id, session);
    Json(Vec::new())
}

/// Add an animal.
#[post(
    "/animals",
    tags = ["animals"],
    status = 201,
    response_description = "The animal, as stored.",
    responses(409 = ("The name is taken.", Conflict), 410 = "Adoption is closed.")
)]
async fn add(animal: Json<Animal>) -> Result<Json<Animal>, (StatusCode, Json<Conflict>)> {
    if animal.name == "Taken" {
        let name = animal.0.name;
        return Err((StatusCode::CONFLICT, Json(Conflict { name })));
    }
    Ok(animal)
}

/// Read an animal.
#[get(
    "/animals/{id}",
    tags = ["animals"],
    responses(404 = Message),
    openapi_extra = r#"{"x-internal": false, "externalDocs": {"url": "https://example.com/animals"}}"#
)]
async fn read(id: Uuid) -> Result<Json<Animal>, (StatusCode, Json<Message>)> {
    Err((
        StatusCode::NOT_FOUND,
        Json(Message {
            message: format!("no animal {id}"),
        }),
    ))
}

/// Rename an animal; the answer is 200 with the animal or 418 with the reason.
#[put("/animals/{id}/name", tags = ["animals"])]
fn rename(id: u64, name: String) -> Result<Json<Owner>, (StatusCode, Json<Oops>)> {
    let _ = id;
    if name.is_empty() {
        return Err((
            StatusCode::IM_A_TEAPOT,
            Json(Oops {
                reason: "no name".into(),
            }),
        ));
    }
    Ok(Json(Owner { name }))
}

/// A photo of an animal.
#[get("/photos/{*path}", tags = ["photos"], operation_id = "getPhoto")]
async fn photo(path: String) -> Bytes {
    Bytes::from(path)
}

/// Old way to add an animal.
#[deprecated = "use POST /animals"]
#[post("/animals/legacy", tags = ["animals"])]
async fn add_legacy(form: Form<Owner>) -> Created<Owner> {
    Created(form.0)
}

/// Remove an animal.
#[delete("/animals/{id}")]
async fn remove(id: u64) -> NoContent {
    let _ = id;
    NoContent
}

/// The home page.
#[get("/")]
async fn home() -> Html<&'static str> {
    Html("<h1>zoo</h1>")
}

/// Where the zoo moved.
#[get("/old")]
async fn old() -> Redirect {
    Redirect::to("/")
}

/// Health, for the load balancer only.
#[get("/health", hidden)]
async fn health() -> &'static str {
    "ok"
}

/// Feedings as they happen, as Server-Sent Events.
#[get("/feedings/live", tags = ["events"])]
async fn feedings_live(last: LastEventId) -> Sse<Fed> {
    let _ = last;
    Sse::new(oxapi::futures::stream::empty())
}

/// Every feeding, as JSON Lines.
#[get("/feedings", tags = ["events"])]
async fn feedings() -> JsonLines<Fed> {
    JsonLines::from_iter(Vec::new())
}

/// Upload a video of any size, read as it arrives.
#[put("/videos/{name}", tags = ["photos"])]
async fn upload_video(name: String, mut video: BodyStream) -> Result<String, ApiError> {
    use oxapi::futures::StreamExt;
    let mut bytes = 0;
    while let Some(chunk) = video.next().await {
        bytes += chunk?.len();
    }
    Ok(format!("{name}: {bytes} bytes"))
}

/// A download, streamed.
#[get("/videos/{name}", tags = ["photos"])]
async fn download_video(name: String) -> Streaming {
    Streaming::from_iter([name])
}

/// A photo and what it shows, as a form (FastAPI's `File()` and `Form()`).
#[derive(oxapi::FromMultipart)]
struct PhotoForm {
    /// The picture.
    image: oxapi::UploadFile,
    /// Who is in it.
    animal: String,
    /// More angles.
    #[allow(dead_code)]
    more: Vec<oxapi::UploadFile>,
    #[allow(dead_code)]
    taken_by: Option<String>,
}

/// Upload a photo with its caption fields.
#[post("/photos", tags = ["photos"])]
async fn upload_photo(form: oxapi::MultipartForm<PhotoForm>) -> String {
    format!("{} bytes of {}", form.image.size(), form.animal)
}

/// Any parts, read one by one.
#[post("/photos/raw", tags = ["photos"])]
async fn upload_parts(mut form: oxapi::Multipart) -> Result<String, ApiError> {
    let mut count = 0;
    while form.next_field().await?.is_some() {
        count += 1;
    }
    Ok(format!("{count} parts"))
}

/// A photo file, with ranges and validators.
#[get("/files/{name}", tags = ["photos"])]
async fn photo_file(
    name: String,
    request: oxapi::FileRequest,
) -> Result<oxapi::FileResponse, ApiError> {
    Ok(oxapi::FileResponse::open(name).await?.for_request(request))
}

/// Subscribe to feeding events.
#[post("/subscriptions", tags = ["events"])]
async fn subscribe(subscription: Json<Subscription>) -> StatusCode {
    let _ = subscription;
    StatusCode::ACCEPTED
}

/// Where to send feeding events.
#[model]
struct Subscription {
    callback_url: Url,
}

/// An animal was fed.
#[model]
struct Fed {
    animal: Uuid,
    at: Timestamp,
}

fn app() -> App {
    App::new()
        .title("Zoo")
        .summary("Every kind of declaration oxapi documents.")
        .version("1.0.0")
        .description("The zoo of models and parameters.")
        .terms_of_service("https://example.com/terms")
        .contact(oxapi::ContactInfo {
            name: Some("Keepers".into()),
            url: None,
            email: Some("keepers@example.com".into()),
        })
        .license(oxapi::LicenseInfo {
            name: "MIT".into(),
            url: None,
            identifier: Some("MIT".into()),
        })
        .server("https://zoo.example.com", "Production")
        .tag_with(
            Tag::new("animals")
                .description("Everything that lives here.")
                .external_docs("https://example.com/animals", Some("The keepers' guide")),
        )
        .tag("photos", "Pictures.")
        .operation_ids(OperationIdStrategy::TagFnName)
        .webhook(
            "animalFed",
            Webhook::post()
                .summary("An animal was fed.")
                .tag("events")
                .body::<Fed>(),
        )
        .callback(
            "events_subscribe",
            "fed",
            "{$request.body#/callback_url}",
            Webhook::post().body::<Fed>().describe_with(|op| {
                op.response_empty(204, None);
            }),
        )
        .routes(routes![
            list,
            add,
            read,
            rename,
            photo,
            add_legacy,
            remove,
            home,
            old,
            health,
            subscribe,
            feedings_live,
            feedings,
            upload_video,
            download_video,
            upload_photo,
            upload_parts,
            photo_file
        ])
}

fn snapshot_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/zoo.openapi.json")
}

/// The zoo's document, pinned: any change to what the document says shows as a diff here.
#[test]
fn the_zoo_document_is_pinned() {
    let generated =
        serde_json::to_string_pretty(&app().openapi().expect("the zoo builds")).unwrap() + "\n";
    let path = snapshot_path();
    if std::env::var_os("OXAPI_SNAPSHOTS").is_some_and(|v| v == "overwrite") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    if generated != pinned {
        let diff = similar::TextDiff::from_lines(&pinned, &generated)
            .unified_diff()
            .context_radius(3)
            .header("pinned", "generated")
            .to_string();
        panic!(
            "tests/e2e/zoo.openapi.json is out of date:\n{diff}\nreview, then regenerate with:\n  OXAPI_SNAPSHOTS=overwrite cargo test -p oxapi-tests --test e2e zoo"
        );
    }
}

fn operation<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    &document["paths"][path][method]
}

#[test]
fn app_metadata_and_tags_are_documented() {
    let document = app().openapi().unwrap();
    let info = &document["info"];
    assert_eq!(
        info["summary"],
        "Every kind of declaration oxapi documents."
    );
    assert_eq!(info["termsOfService"], "https://example.com/terms");
    assert_eq!(
        document["tags"][0]["externalDocs"],
        json!({ "url": "https://example.com/animals", "description": "The keepers' guide" })
    );
}

#[test]
fn operation_ids_follow_the_apps_strategy_unless_given() {
    let document = app().openapi().unwrap();
    let ids: Vec<(&str, &str, &Value)> = [
        ("/animals", "get"),
        ("/animals", "post"),
        ("/animals/{id}", "get"),
        ("/photos/{path}", "get"),
        ("/", "get"),
    ]
    .into_iter()
    .map(|(path, method)| {
        (
            path,
            method,
            &operation(&document, path, method)["operationId"],
        )
    })
    .collect();
    assert_eq!(
        ids.iter().map(|(_, _, id)| *id).collect::<Vec<_>>(),
        [
            &json!("animals_list"),
            &json!("animals_add"),
            &json!("animals_read"),
            // Given with `operation_id = ..`: kept.
            &json!("getPhoto"),
            // No tag: the function's name.
            &json!("home"),
        ]
    );
}

#[test]
fn responses_with_models_descriptions_and_extras_are_documented() {
    let document = app().openapi().unwrap();
    let add = operation(&document, "/animals", "post");
    assert_eq!(
        add["responses"]["201"]["description"],
        "The animal, as stored."
    );
    assert_eq!(
        add["responses"]["409"],
        json!({
            "description": "The name is taken.",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Conflict" } } },
        })
    );
    assert_eq!(
        add["responses"]["410"]["description"],
        "Adoption is closed."
    );

    let read = operation(&document, "/animals/{id}", "get");
    // The model's doc comment describes it; the handler's own `(StatusCode, Json<Message>)`
    // error is `default`, the success keeps `Animal`.
    assert_eq!(
        read["responses"]["404"]["description"],
        "A message sent with an error status."
    );
    assert_eq!(
        read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Animal"
    );
    assert_eq!(read["x-internal"], false);
    assert_eq!(read["externalDocs"]["url"], "https://example.com/animals");
}

#[test]
fn examples_reach_the_document() {
    let document = app().openapi().unwrap();
    let animal = &document["components"]["schemas"]["Animal"];
    assert_eq!(animal["properties"]["name"]["examples"], json!(["Rex"]));
    assert_eq!(animal["properties"]["count"]["default"], 1);
    // A model's example, the body of `PUT`'s answer and `POST /animals/legacy`'s form.
    assert_eq!(
        document["components"]["schemas"]["Owner"]["examples"],
        json!([{ "name": "Ada" }])
    );
    let list = operation(&document, "/animals", "get");
    let q = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "q")
        .unwrap();
    assert_eq!(q["example"], "rex");
    let limit = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap();
    assert_eq!(limit["schema"]["default"], 10);
}

#[test]
fn webhooks_and_callbacks_are_documented_without_framework_errors() {
    let document = app().openapi().unwrap();
    let fed = &document["webhooks"]["animalFed"]["post"];
    assert_eq!(fed["summary"], "An animal was fed.");
    assert_eq!(
        fed["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Fed"
    );
    assert_eq!(fed["responses"], json!({ "200": { "description": "OK" } }));
    assert!(fed.get("x-oxapi-dispatch").is_none());

    let callback = &operation(&document, "/subscriptions", "post")["callbacks"]["fed"]["{$request.body#/callback_url}"]
        ["post"];
    assert_eq!(
        callback["responses"],
        json!({ "204": { "description": "No Content" } })
    );
}

#[test]
fn a_callback_for_no_operation_fails_the_build() {
    let errors = app()
        .callback("nope", "x", "{$request.body#/url}", Webhook::post())
        .check()
        .unwrap_err();
    assert_eq!(
        errors.to_string(),
        "the app has 1 error(s)\n  - callback `x` is for operation `nope`, which no route has"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zoo_serves_what_it_documents() {
    let server = Server::start(app()).await;
    for version in VERSIONS {
        let c = Client::new(&server, version);
        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let r = c.get(&format!("/animals/{id}")).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json(), json!({ "message": format!("no animal {id}") }));
        let r = c.get("/photos/2026/rex.jpg").await;
        assert_eq!(&r.body[..], b"2026/rex.jpg");
        let r = c
            .send(
                Method::PUT,
                "/animals/1/name",
                &[("content-type", "text/plain")],
                "",
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.json()),
            (418, json!({"reason": "no name"}))
        );
        let r = c
            .post_json(
                "/animals",
                &json!({
                    "id": id, "name": "Rex", "isTame": true, "legs": 4, "weightGrams": 9000,
                    "temperature": 38.5, "ratio": 0.5, "offset": -3, "big": -1, "huge": 1,
                    "tags": [], "scores": {"agility": 3}, "byDay": {"2026-12-01": 2},
                    "born": "2020-05-01", "seen": "2026-12-01T17:00:00Z", "feedsAt": "08:30:00",
                    "naps": "PT2H", "page": "https://example.com/rex", "price": "12.50",
                    "extra": null, "kind": "dog", "shape": {"type": "round", "radius": 1.0},
                    "owner": null,
                })
                .to_string(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["count"], 1);
        assert_eq!(r.json()["naps"], "PT2H");
        let mut taken = r.json();
        taken["name"] = json!("Taken");
        let r = c.post_json("/animals", &taken.to_string()).await;
        assert_eq!(
            (r.status.as_u16(), r.json()),
            (409, json!({"name": "Taken"}))
        );
        assert_eq!(c.get("/health").await.text(), "ok");
        let r = c.get("/feedings/live").await;
        assert_eq!(r.header("content-type"), Some("text/event-stream"));
        assert_eq!(
            c.get("/feedings").await.header("content-type"),
            Some("application/jsonl")
        );
        let r = c.send(Method::PUT, "/videos/a", &[], "12345").await;
        assert_eq!(r.text(), "a: 5 bytes");
        assert_eq!(c.get("/videos/b").await.text(), "b");
    }
    server.stop().await;
}
