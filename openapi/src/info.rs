//! The document's description of the API as a whole: `info`, `servers` and `tags`.

use serde_json::{Map, Value};
use utoipa::openapi::external_docs::ExternalDocs;
use utoipa::openapi::{Contact, Info, License, OpenApi, Paths, Server};

/// The document's description of the API as a whole.
#[derive(Debug, Clone)]
pub struct ApiInfo {
    /// The API's title.
    pub title: String,
    /// A short summary of the API (OpenAPI 3.1 `info.summary`).
    pub summary: Option<String>,
    /// The API's version.
    pub version: String,
    /// A longer description (CommonMark).
    pub description: Option<String>,
    /// A URL to the terms of service.
    pub terms_of_service: Option<String>,
    /// Who to contact: name, URL, email.
    pub contact: Option<ContactInfo>,
    /// The license: name and URL or SPDX identifier.
    pub license: Option<LicenseInfo>,
    /// Servers, with descriptions.
    pub servers: Vec<(String, Option<String>)>,
    /// Tags, in display order.
    pub tags: Vec<Tag>,
}

/// Contact details for the API.
#[derive(Debug, Clone, Default)]
pub struct ContactInfo {
    /// A person or team.
    pub name: Option<String>,
    /// A web page.
    pub url: Option<String>,
    /// An email address.
    pub email: Option<String>,
}

/// The API's license.
#[derive(Debug, Clone)]
pub struct LicenseInfo {
    /// The license's name, like `MIT`.
    pub name: String,
    /// A URL to the license text.
    pub url: Option<String>,
    /// An SPDX expression, like `MIT OR Apache-2.0` (OpenAPI 3.1).
    pub identifier: Option<String>,
}

/// A tag operations are grouped by, as the document lists it: a description and a link to
/// more documentation.
///
/// ```
/// use oxapi_openapi::Tag;
///
/// let tag = Tag::new("items")
///     .description("Things we sell.")
///     .external_docs("https://example.com/items", Some("The catalogue guide"));
/// assert_eq!(tag.name, "items");
/// ```
#[derive(Debug, Clone)]
pub struct Tag {
    /// The tag's name, as operations name it.
    pub name: String,
    /// A description (CommonMark).
    pub description: Option<String>,
    /// More documentation: a URL and its description.
    pub external_docs: Option<(String, Option<String>)>,
}

impl Tag {
    /// A tag with a name and nothing else.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: None,
            external_docs: None,
        }
    }

    /// Sets the tag's description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Links the tag to more documentation (OpenAPI `externalDocs`).
    #[must_use]
    pub fn external_docs(mut self, url: impl Into<String>, description: Option<&str>) -> Self {
        self.external_docs = Some((url.into(), description.map(str::to_owned)));
        self
    }
}

impl ApiInfo {
    /// Info with a title and version and nothing else.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            summary: None,
            version: version.into(),
            description: None,
            terms_of_service: None,
            contact: None,
            license: None,
            servers: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// The document's head: `openapi`, `info`, `servers` and `tags`.
    pub(crate) fn to_value(&self) -> Value {
        let mut document = serde_json::to_value(self.to_openapi()).unwrap_or(Value::Null);
        // utoipa's `Info` has no `summary` (new in OpenAPI 3.1): it goes after the title.
        if let (Some(summary), Some(info)) = (
            &self.summary,
            document.get_mut("info").and_then(Value::as_object_mut),
        ) {
            let mut with_summary = Map::new();
            for (key, value) in std::mem::take(info) {
                let is_title = key == "title";
                with_summary.insert(key, value);
                if is_title {
                    with_summary.insert("summary".into(), Value::String(summary.clone()));
                }
            }
            *info = with_summary;
        }
        document
    }

    fn to_openapi(&self) -> OpenApi {
        let mut info = Info::new(self.title.clone(), self.version.clone());
        info.description = self.description.clone();
        info.terms_of_service = self.terms_of_service.clone();
        info.contact = self.contact.as_ref().map(|c| {
            let mut contact = Contact::new();
            contact.name = c.name.clone();
            contact.url = c.url.clone();
            contact.email = c.email.clone();
            contact
        });
        info.license = self.license.as_ref().map(|l| {
            let mut license = License::new(l.name.clone());
            license.url = l.url.clone();
            license.identifier = l.identifier.clone();
            license
        });
        let mut openapi = OpenApi::new(info, Paths::new());
        if !self.servers.is_empty() {
            openapi.servers = Some(
                self.servers
                    .iter()
                    .map(|(url, description)| {
                        let mut server = Server::new(url.clone());
                        server.description = description.clone();
                        server
                    })
                    .collect(),
            );
        }
        if !self.tags.is_empty() {
            openapi.tags = Some(
                self.tags
                    .iter()
                    .map(|tag| {
                        let mut out = utoipa::openapi::Tag::new(&tag.name);
                        out.description = tag.description.clone();
                        out.external_docs = tag.external_docs.as_ref().map(|(url, description)| {
                            let mut docs = ExternalDocs::new(url);
                            docs.description = description.clone();
                            docs
                        });
                        out
                    })
                    .collect(),
            );
        }
        openapi
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summary_terms_and_tag_docs_are_documented() {
        let mut info = ApiInfo::new("Shop", "1");
        info.summary = Some("Sells things.".into());
        info.terms_of_service = Some("https://example.com/terms".into());
        info.tags.push(
            Tag::new("items")
                .description("Things.")
                .external_docs("https://example.com/items", Some("Guide")),
        );
        let document = info.to_value();
        let keys: Vec<&String> = document["info"].as_object().unwrap().keys().collect();
        assert_eq!(keys[..2], ["title", "summary"]);
        assert_eq!(
            document["info"]["termsOfService"],
            "https://example.com/terms"
        );
        assert_eq!(
            document["tags"][0],
            json!({
                "name": "items",
                "description": "Things.",
                "externalDocs": { "url": "https://example.com/items", "description": "Guide" },
            })
        );
    }
}
