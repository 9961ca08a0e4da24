//! Parses a route's path template (`/items/{id}/files/{*rest}`) into its placeholders.
//!
//! Only the template's shape is checked here; whether each placeholder has its parameter is
//! a check across the signature, in [`super::check`].

/// A `{name}` or `{*name}` in a path template.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Placeholder {
    pub(crate) name: String,
    pub(crate) catch_all: bool,
}

/// Parses a path template into its placeholders, or says what is wrong with it.
pub(crate) fn parse_template(path: &str) -> Result<Vec<Placeholder>, String> {
    // `#[get("")]` in a router stands for the router's prefix itself (`/v1/books`); outside
    // one, the app refuses it when it is built.
    if path.is_empty() {
        return Ok(Vec::new());
    }
    if !path.starts_with('/') {
        return Err(format!(
            "a route path must start with `/`: write \"/{path}\""
        ));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut placeholders: Vec<Placeholder> = Vec::new();
    for (position, segment) in segments.iter().enumerate() {
        if !segment.contains(['{', '}']) {
            continue;
        }
        let inner = segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .filter(|inner| !inner.contains(['{', '}']))
            .ok_or_else(|| {
                format!(
                    "malformed path segment `{segment}`: a placeholder is written `{{name}}` and \
                     fills a whole segment"
                )
            })?;
        let (name, catch_all) = match inner.strip_prefix('*') {
            Some(name) => (name, true),
            None => (inner, false),
        };
        if name.is_empty() {
            return Err(format!(
                "empty placeholder `{segment}`: name it, for example `{{id}}`"
            ));
        }
        if !is_identifier(name) {
            return Err(format!(
                "placeholder `{{{name}}}` must be a Rust identifier, because it names a parameter"
            ));
        }
        if catch_all && position + 1 != segments.len() {
            return Err(format!(
                "catch-all `{{*{name}}}` must be the last segment of the path"
            ));
        }
        if placeholders.iter().any(|p| p.name == name) {
            return Err(format!(
                "placeholder `{{{name}}}` appears twice in the path; each name must be unique"
            ));
        }
        placeholders.push(Placeholder {
            name: name.to_owned(),
            catch_all,
        });
    }
    Ok(placeholders)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_into_placeholders() {
        let cases: &[(&str, &[(&str, bool)])] = &[
            ("/", &[]),
            ("/items", &[]),
            ("/items/{id}", &[("id", false)]),
            ("/a/{x}/b/{y}", &[("x", false), ("y", false)]),
            ("/static/{*rest}", &[("rest", true)]),
            ("/{_id}", &[("_id", false)]),
        ];
        for (template, expected) in cases {
            let parsed = parse_template(template).unwrap();
            let expected: Vec<Placeholder> = expected
                .iter()
                .map(|(name, catch_all)| Placeholder {
                    name: (*name).to_owned(),
                    catch_all: *catch_all,
                })
                .collect();
            assert_eq!(parsed, expected, "{template}");
        }
    }

    #[test]
    fn malformed_templates_say_why() {
        let cases: &[(&str, &str)] = &[
            ("items", "must start with `/`"),
            ("/items/{id", "malformed path segment"),
            ("/items/id}", "malformed path segment"),
            ("/items/x{id}", "fills a whole segment"),
            ("/items/{}", "empty placeholder"),
            ("/items/{1d}", "must be a Rust identifier"),
            ("/items/{a-b}", "must be a Rust identifier"),
            ("/{*rest}/more", "must be the last segment"),
            ("/{id}/{id}", "appears twice"),
            ("/{{id}}", "malformed path segment"),
        ];
        for (template, fragment) in cases {
            let error = parse_template(template).unwrap_err();
            assert!(error.contains(fragment), "{template}: {error}");
        }
    }
}
