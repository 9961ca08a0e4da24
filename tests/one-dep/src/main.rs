//! A service whose `Cargo.toml` names `oxapi` alone: serde, JSON Schema and validation
//! derives come through `#[model]`, the runtime through `App::run`, timers through
//! `oxapi::tokio`.

use oxapi::prelude::*;

/// A note.
#[model]
#[serde(rename_all = "camelCase")]
struct Note {
    /// The note's text.
    #[validate(length(min = 1, max = 140))]
    text: String,
    /// Whether it is pinned.
    #[serde(default)]
    is_pinned: bool,
}

/// A note's priority.
#[model]
#[serde(rename_all = "lowercase")]
enum Priority {
    Low,
    High,
}

/// An event, with the common types `oxapi::types` brings.
#[model]
struct Event {
    id: oxapi::types::Uuid,
    at: oxapi::types::Timestamp,
    on: oxapi::types::Date,
    lasts: oxapi::types::SignedDuration,
    link: oxapi::types::Url,
    price: oxapi::types::Decimal,
    /// Anything.
    extra: oxapi::Value,
}

/// Echo an event.
#[post("/events/{id}")]
async fn add_event(id: oxapi::types::Uuid, event: Json<Event>) -> Json<oxapi::Value> {
    Json(oxapi::json!({ "path": id, "event": event.0.id, "at": event.0.at }))
}

/// Echo a note.
#[post("/notes/{priority}", status = 201)]
async fn add_note(priority: Priority, note: Json<Note>) -> Json<Note> {
    oxapi::tokio::task::yield_now().await;
    let _ = priority;
    note
}

fn app() -> App {
    App::new()
        .title("Notes")
        .routes(routes![add_note, add_event])
}

fn main() -> std::process::ExitCode {
    app().run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[oxapi::test]
    async fn serves_validates_and_documents_with_one_dependency() {
        let client = app().test_client();
        let reply = client
            .post("/notes/high")
            .header("content-type", "application/json")
            .body(r#"{"text":"hi","isPinned":true}"#)
            .send()
            .await;
        assert_eq!(reply.status(), 201);
        assert_eq!(reply.text(), r#"{"text":"hi","isPinned":true}"#);
        let reply = client
            .post("/notes/urgent")
            .header("content-type", "application/json")
            .body(r#"{"text":""}"#)
            .send()
            .await;
        assert_eq!(reply.status(), 422);

        let document = app().openapi().expect("the app builds");
        let note = &document["components"]["schemas"]["Note"];
        assert_eq!(note["properties"]["text"]["maxLength"], 140);
        assert!(note["properties"].get("isPinned").is_some());

        let id = "67e55044-10b1-426f-9247-bb680e5fe0c8";
        let reply = client
            .post(&format!("/events/{id}"))
            .header("content-type", "application/json")
            .body(format!(
                r#"{{"id":"{id}","at":"2026-12-01T17:00:00Z","on":"2026-12-01","lasts":"PT1H30M","link":"https://example.com/a","price":"12.50","extra":[1]}}"#
            ))
            .send()
            .await;
        assert_eq!(reply.status(), 200, "{}", reply.text());
        assert_eq!(
            reply.text(),
            format!(r#"{{"path":"{id}","event":"{id}","at":"2026-12-01T17:00:00Z"}}"#)
        );
        let event = &document["components"]["schemas"]["Event"]["properties"];
        for (field, format) in [
            ("id", "uuid"),
            ("at", "date-time"),
            ("on", "date"),
            ("lasts", "duration"),
            ("link", "uri"),
        ] {
            assert_eq!(event[field]["format"], format, "{field}");
        }
    }

    #[test]
    fn the_manifest_names_oxapi_alone() {
        let manifest = include_str!("../Cargo.toml");
        let mut section = "";
        let mut dependencies = Vec::new();
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line;
            } else if section.ends_with("dependencies]")
                && !line.is_empty()
                && !line.starts_with('#')
            {
                dependencies.push(
                    line.split(['.', '=', ' '])
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        assert_eq!(dependencies, ["oxapi"], "{manifest}");
    }
}
