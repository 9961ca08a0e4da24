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

/// Echo a note.
#[post("/notes/{priority}", status = 201)]
async fn add_note(priority: Priority, note: Json<Note>) -> Json<Note> {
    oxapi::tokio::task::yield_now().await;
    let _ = priority;
    note
}

fn app() -> App {
    App::new().title("Notes").routes(routes![add_note])
}

fn main() -> std::process::ExitCode {
    app().run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[oxapi::tokio::test(crate = "oxapi::tokio")]
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
