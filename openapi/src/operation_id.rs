//! How operations are named (`operationId`) when their route does not say.

/// What an [`OperationIdStrategy`] may name an operation from.
#[derive(Debug, Clone, Copy)]
pub struct OperationIdInput<'a> {
    /// The handler function's name.
    pub fn_name: &'a str,
    /// The method, like `GET`.
    pub method: &'a str,
    /// The path template, like `/items/{id}`.
    pub path: &'a str,
    /// The operation's tags: its route's, then its routers'.
    pub tags: &'a [&'a str],
}

/// How the app names operations whose route gives no `operation_id = ..`.
///
/// Client generators name their methods after operation ids; [`TagFnName`](Self::TagFnName)
/// gives ids unique across tags (`items_read`, `users_read`) from short function names.
///
/// ```
/// use oxapi_openapi::{OperationIdInput, OperationIdStrategy};
///
/// let input = OperationIdInput { fn_name: "read", method: "GET", path: "/items/{id}", tags: &["items"] };
/// assert_eq!(OperationIdStrategy::FnName.operation_id(&input), "read");
/// assert_eq!(OperationIdStrategy::TagFnName.operation_id(&input), "items_read");
/// let custom = OperationIdStrategy::Custom(|op| format!("{}{}", op.method.to_lowercase(), op.fn_name));
/// assert_eq!(custom.operation_id(&input), "getread");
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub enum OperationIdStrategy {
    /// The function's name (the default).
    #[default]
    FnName,
    /// The first tag and the function's name, joined by `_`: `items_read_item`. An operation
    /// without tags keeps its function's name. A tag's characters other than ASCII letters,
    /// digits and `_` become `_`.
    TagFnName,
    /// A function of the operation's name, method, path and tags.
    Custom(fn(&OperationIdInput<'_>) -> String),
}

impl OperationIdStrategy {
    /// The id of the operation `input` describes.
    pub fn operation_id(&self, input: &OperationIdInput<'_>) -> String {
        match self {
            Self::FnName => input.fn_name.to_owned(),
            Self::TagFnName => match input.tags.first() {
                Some(tag) => {
                    let tag: String = tag
                        .chars()
                        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                        .collect();
                    format!("{tag}_{}", input.fn_name)
                }
                None => input.fn_name.to_owned(),
            },
            Self::Custom(name) => name(input),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_fn_name_joins_the_first_tag_and_the_name() {
        let cases: &[(&[&str], &str)] = &[
            (&["items"], "items_read"),
            (&["Shop items", "x"], "Shop_items_read"),
            (&[], "read"),
        ];
        for (tags, expected) in cases {
            let input = OperationIdInput {
                fn_name: "read",
                method: "GET",
                path: "/",
                tags,
            };
            assert_eq!(
                OperationIdStrategy::TagFnName.operation_id(&input),
                *expected
            );
        }
    }
}
