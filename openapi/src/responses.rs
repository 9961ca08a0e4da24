//! One operation's responses: what the operation's own code documents and what the framework
//! can send, merged into one response per status.
//!
//! The rule, when both document a status: **one response, with the operation's own
//! description, whose problem schema is `anyOf` the operation's schema and the framework
//! error's.** Both bodies can really be sent with that status (a handler's own 500 and a
//! panic's, a custom extractor's 422 and a validation failure's), so keeping only one would
//! make the document lie to a client that matches on the problem `type`; and the author who
//! wrote `responses(500 = "..")` or `HttpError::describe` knows the operation better than the
//! framework's generic text, so their description is the one shown. A status only the
//! framework documents stays a `$ref` to its component, so the document does not repeat it.
//!
//! A framework error the app renders itself brings the app's content instead of problem
//! details (see [`FrameworkDocs`]); the merge is the same, media type by media type.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::catalogue::FrameworkError;
use crate::framework::FrameworkDocs;

/// The responses of one operation, by status.
#[derive(Debug, Default)]
pub(crate) struct Responses(BTreeMap<u16, Slot>);

/// What is documented for one status.
#[derive(Debug, Default)]
struct Slot {
    /// The operation's own response object: from its route's `responses(..)`, its return type
    /// or its error type's `describe`.
    own: Option<Map<String, Value>>,
    /// The framework errors that can also be sent with this status.
    framework: Vec<FrameworkError>,
}

impl Responses {
    /// The operation's own response for `status`, made with `description` (or the status's
    /// reason phrase) if it has none yet. A description given first is kept.
    pub(crate) fn own(
        &mut self,
        status: u16,
        description: Option<&str>,
    ) -> &mut Map<String, Value> {
        self.0
            .entry(status)
            .or_default()
            .own
            .get_or_insert_with(|| {
                let description = description.unwrap_or_else(|| reason(status));
                let mut object = Map::new();
                object.insert("description".into(), Value::from(description));
                object
            })
    }

    /// Gives the success response `description` (`response_description = ..`): the one at
    /// `status` if the operation documents it, else its first own success.
    pub(crate) fn describe_success(&mut self, status: u16, description: String) {
        let own = match self.0.get(&status).and_then(|slot| slot.own.as_ref()) {
            Some(_) => Some(status),
            None => self
                .0
                .iter()
                .find(|(code, slot)| (200..300).contains(*code) && slot.own.is_some())
                .map(|(code, _)| *code),
        };
        if let Some(own) = own.and_then(|code| self.0.get_mut(&code)?.own.as_mut()) {
            own.insert("description".into(), Value::String(description));
        }
    }

    /// Records that the framework may answer with `error`.
    pub(crate) fn framework(&mut self, error: FrameworkError) {
        let framework = &mut self.0.entry(error.spec().status).or_default().framework;
        if !framework.contains(&error) {
            framework.push(error);
        }
    }

    /// Whether the operation documents a success or redirect of its own.
    pub(crate) fn has_own_success(&self) -> bool {
        self.0
            .iter()
            .any(|(status, slot)| (200..400).contains(status) && slot.own.is_some())
    }

    /// Removes the operation's own response for `status`, if it has one.
    pub(crate) fn take_own(&mut self, status: u16) -> Option<Map<String, Value>> {
        self.0.get_mut(&status).and_then(|slot| slot.own.take())
    }

    /// The `responses` object: one response per status, merged by the rule above, with each
    /// framework error's content as `framework` documents it.
    pub(crate) fn render(self, framework: &FrameworkDocs) -> BTreeMap<u16, Value> {
        self.0
            .into_iter()
            .map(|(status, slot)| (status, slot.render(framework)))
            .collect()
    }
}

impl Slot {
    fn render(self, framework: &FrameworkDocs) -> Value {
        match (self.own, self.framework.as_slice()) {
            (None, [error]) => error.reference(),
            (Some(own), []) => Value::Object(own),
            (own, errors) => {
                // No own response but several framework errors: a `$ref` can name only one,
                // so the response is written out, with each error's description.
                let own = own.unwrap_or_else(|| {
                    let descriptions: Vec<&str> =
                        errors.iter().map(|e| e.spec().description).collect();
                    let mut object = Map::new();
                    object.insert("description".into(), descriptions.join(" ").into());
                    object
                });
                Value::Object(merge(own, errors, framework))
            }
        }
    }
}

/// Adds the framework `errors`' bodies and headers to the operation's own response, keeping
/// its description and whatever it says of a header; where both have a schema for one media
/// type, the schema is `anyOf` both.
fn merge(
    mut own: Map<String, Value>,
    errors: &[FrameworkError],
    framework: &FrameworkDocs,
) -> Map<String, Value> {
    for error in errors {
        if let Value::Object(headers) = error.headers() {
            let own_headers = own
                .entry("headers")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(own_headers) = own_headers.as_object_mut() {
                for (name, header) in headers {
                    own_headers.entry(name).or_insert(header);
                }
            }
        }
    }
    if own
        .get("headers")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        own.remove("headers");
    }
    // Media type by media type: the operation's own schema first, then each error's.
    let mut added: Vec<(String, Vec<Value>)> = Vec::new();
    for error in errors {
        for (media_type, media) in framework.content(*error) {
            let index = match added.iter().position(|(known, _)| *known == media_type) {
                Some(index) => index,
                None => {
                    added.push((media_type, Vec::new()));
                    added.len() - 1
                }
            };
            if let Some(schema) = media.get("schema") {
                added[index].1.push(schema.clone());
            }
        }
    }
    if added.is_empty() {
        return own;
    }
    let content = own
        .entry("content")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(content) = content.as_object_mut() {
        for (media_type, schemas) in added {
            let media = content
                .entry(media_type)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(media) = media.as_object_mut() {
                let mut all: Vec<Value> = media.remove("schema").into_iter().collect();
                all.extend(schemas);
                match <[Value; 1]>::try_from(all) {
                    Ok([schema]) => {
                        media.insert("schema".into(), schema);
                    }
                    Err(all) if all.is_empty() => {}
                    Err(all) => {
                        media.insert("schema".into(), json!({ "anyOf": all }));
                    }
                }
            }
        }
    }
    own
}

/// The description of a response nothing describes: the status's reason phrase.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        410 => "Gone",
        429 => "Too Many Requests",
        _ if status < 300 => "Success",
        _ if status < 400 => "Redirect",
        _ if status < 500 => "Client error",
        _ => "Server error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::PROBLEM_JSON;

    fn problem_ref() -> Value {
        json!({ "$ref": "#/components/schemas/Problem" })
    }

    /// The operation's own problem response, as `problem_response` writes it.
    fn own_problem(responses: &mut Responses, status: u16, description: &str) {
        responses.own(status, Some(description)).insert(
            "content".into(),
            json!({ PROBLEM_JSON: { "schema": problem_ref() } }),
        );
    }

    #[test]
    fn a_status_only_the_framework_documents_is_a_reference() {
        let mut responses = Responses::default();
        responses.framework(FrameworkError::Internal);
        assert_eq!(
            responses.render(&FrameworkDocs::default())[&500],
            json!({ "$ref": "#/components/responses/InternalError" })
        );
    }

    #[test]
    fn the_operations_description_wins_and_both_bodies_are_documented() {
        // In either order: the route's `responses(..)` comes first, an error type's
        // `describe` after the extractors'.
        for own_first in [true, false] {
            let mut responses = Responses::default();
            if own_first {
                own_problem(&mut responses, 500, "The database is down.");
                responses.framework(FrameworkError::Internal);
            } else {
                responses.framework(FrameworkError::Internal);
                own_problem(&mut responses, 500, "The database is down.");
            }
            assert_eq!(
                responses.render(&FrameworkDocs::default())[&500],
                json!({
                    "description": "The database is down.",
                    "content": { PROBLEM_JSON: { "schema": { "anyOf": [
                        problem_ref(),
                        FrameworkError::Internal.schema(),
                    ] } } },
                }),
                "own first: {own_first}"
            );
        }
    }

    #[test]
    fn framework_headers_join_the_operations_own() {
        let mut responses = Responses::default();
        own_problem(&mut responses, 503, "Maintenance.");
        responses.framework(FrameworkError::Overloaded);
        let rendered = &responses.render(&FrameworkDocs::default())[&503];
        assert_eq!(rendered["description"], "Maintenance.");
        assert_eq!(
            rendered["headers"]["Retry-After"],
            FrameworkError::Overloaded.headers()["Retry-After"]
        );
    }

    #[test]
    fn another_media_type_of_the_operation_is_kept_beside_the_problem() {
        let mut responses = Responses::default();
        responses.own(500, Some("Plain text.")).insert(
            "content".into(),
            json!({ "text/plain": { "schema": { "type": "string" } } }),
        );
        responses.framework(FrameworkError::Internal);
        let rendered = &responses.render(&FrameworkDocs::default())[&500];
        assert_eq!(
            rendered["content"]["text/plain"]["schema"]["type"],
            "string"
        );
        assert_eq!(
            rendered["content"][PROBLEM_JSON]["schema"],
            FrameworkError::Internal.schema()
        );
    }

    #[test]
    fn several_framework_errors_at_one_status_are_written_out() {
        // No two entries share a status today; a later one may, and a `$ref` names one.
        let slot = Slot {
            own: None,
            framework: vec![FrameworkError::Malformed, FrameworkError::Validation],
        };
        let rendered = slot.render(&FrameworkDocs::default());
        assert_eq!(
            rendered["description"],
            format!(
                "{} {}",
                FrameworkError::Malformed.spec().description,
                FrameworkError::Validation.spec().description
            )
        );
        assert_eq!(
            rendered["content"][PROBLEM_JSON]["schema"]["anyOf"],
            json!([
                FrameworkError::Malformed.schema(),
                FrameworkError::Validation.schema()
            ])
        );
    }

    #[test]
    fn the_first_own_description_of_a_status_is_kept() {
        let mut responses = Responses::default();
        own_problem(&mut responses, 404, "From the route.");
        own_problem(&mut responses, 404, "From the error type.");
        assert_eq!(
            responses.render(&FrameworkDocs::default())[&404]["description"],
            "From the route."
        );
    }

    #[test]
    fn only_own_successes_count_as_documented() {
        let mut responses = Responses::default();
        responses.framework(FrameworkError::Internal);
        assert!(!responses.has_own_success());
        responses.own(201, None);
        assert!(responses.has_own_success());
        assert_eq!(
            responses.render(&FrameworkDocs::default())[&201],
            json!({ "description": "Created" })
        );
    }
}
