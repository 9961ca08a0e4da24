//! How the document shows each framework error: as the catalogue's problem details, or as
//! what the app renders instead.
//!
//! An app may answer a framework error its own way (a FastAPI-shaped 422, a plain-text 404).
//! Its renderer declares what it sends, and the document must say that, not the problem
//! details the framework would have sent: the component under `#/components/responses` and
//! every operation response that merges the error then show the app's content. The status,
//! description and headers stay the catalogue's, since the runtime keeps them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::catalogue::{FrameworkError, PROBLEM_JSON};

/// The content of each framework error the app renders itself; the others are problem
/// details.
#[derive(Debug, Default)]
pub(crate) struct FrameworkDocs(BTreeMap<FrameworkError, Map<String, Value>>);

impl FrameworkDocs {
    /// Documents `error` with `content` (a response's `content` object, empty if what is sent
    /// is not known) instead of problem details.
    pub(crate) fn set(&mut self, error: FrameworkError, content: Map<String, Value>) {
        self.0.insert(error, content);
    }

    /// The `content` of `error`'s response: the app's, or problem details; none for an error
    /// sent without a body.
    pub(crate) fn content(&self, error: FrameworkError) -> Map<String, Value> {
        match self.0.get(&error) {
            _ if !error.spec().problem_body => Map::new(),
            Some(content) => content.clone(),
            None => problem_content(error),
        }
    }

    /// `error`'s response object, as it stands under `#/components/responses`.
    pub(crate) fn response(&self, error: FrameworkError) -> Value {
        error.response_with(self.content(error))
    }
}

/// The `content` of a framework error sent as problem details.
pub(crate) fn problem_content(error: FrameworkError) -> Map<String, Value> {
    let mut content = Map::new();
    content.insert(PROBLEM_JSON.into(), json!({ "schema": error.schema() }));
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_the_app_renders_keeps_the_catalogues_description_and_headers() {
        let mut docs = FrameworkDocs::default();
        let mut content = Map::new();
        content.insert(
            "text/plain".into(),
            json!({ "schema": { "type": "string" } }),
        );
        docs.set(FrameworkError::MethodNotAllowed, content);
        let response = docs.response(FrameworkError::MethodNotAllowed);
        assert_eq!(
            response["description"],
            FrameworkError::MethodNotAllowed.spec().description
        );
        assert!(response["headers"]["Allow"].is_object());
        assert_eq!(
            response["content"],
            json!({ "text/plain": { "schema": { "type": "string" } } })
        );
        // The others are untouched.
        assert_eq!(
            docs.response(FrameworkError::NotFound),
            FrameworkError::NotFound.response()
        );
    }

    #[test]
    fn an_unknown_rendering_has_no_content() {
        let mut docs = FrameworkDocs::default();
        docs.set(FrameworkError::NotFound, Map::new());
        let response = docs.response(FrameworkError::NotFound);
        assert!(response.get("content").is_none(), "{response}");
        assert!(response["description"].is_string());
    }
}
