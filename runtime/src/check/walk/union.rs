//! Unions (`anyOf`/`oneOf`): how serde's enums and `Option`s are checked.

use serde_json::{Map, Value};

use super::super::words::{either, got, literal, one_of, types_noun};
use super::{Segment, Walk, type_admits};

impl<'s> Walk<'s> {
    /// `anyOf`/`oneOf`: serde's enums and `Option`s. A value one branch accepts is fine.
    /// Otherwise the errors come from the one branch the value is evidently meant for (its
    /// type, its tag, its single key); if none stands out, one error names what was allowed.
    pub(super) fn union(&mut self, branches: &'s [Value], value: &Value) {
        let mut results = Vec::with_capacity(branches.len());
        let found = std::mem::take(&mut self.errors);
        for branch in branches {
            self.value(branch, value);
            let errors = std::mem::take(&mut self.errors);
            if errors.is_empty() {
                self.errors = found;
                return;
            }
            results.push(errors);
        }
        self.errors = found;
        let meant: Vec<usize> = (0..branches.len())
            .filter(|&i| self.meant_for(&branches[i], value))
            .collect();
        if let [only] = meant.as_slice() {
            let errors = std::mem::take(&mut results[*only]);
            self.errors.extend(errors);
            return;
        }
        if let Value::Object(object) = value
            && let Some(tag) = self.common_tag(branches)
        {
            let allowed: Vec<Value> = branches
                .iter()
                .filter_map(|b| branch_tag(self.schema.flatten(b), &tag).cloned())
                .collect();
            return self.at(Segment::Key(&tag), |walk| match object.get(&tag) {
                None => walk.push("missing", "field required".into()),
                Some(other) => {
                    let message = format!("expected {}, got {}", one_of(&allowed), got(other));
                    walk.push("enum", message);
                }
            });
        }
        if meant.len() > 1 {
            // Several fit the shape (untagged variants): the closest one's errors.
            let closest = meant.iter().copied().min_by_key(|&i| results[i].len());
            if let Some(closest) = closest {
                let errors = std::mem::take(&mut results[closest]);
                self.errors.extend(errors);
                return;
            }
        }
        let mut allowed = Vec::new();
        for branch in branches {
            let words = self.describe(branch);
            if !allowed.contains(&words) {
                allowed.push(words);
            }
        }
        let message = format!("expected {}, got {}", either(&allowed), got(value));
        self.push("type", message)
    }

    /// Whether `value` is evidently meant for `branch`: its type fits, and for an object
    /// its tags match (`"type": "circle"`), or it holds the branch's one key (`{"Circle":
    /// ..}`).
    fn meant_for(&self, branch: &'s Value, value: &Value) -> bool {
        let Some(branch) = self.schema.flatten(branch).as_object() else {
            return true;
        };
        if let Some(types) = branch.get("type")
            && !type_admits(types, value)
        {
            return false;
        }
        if let Some(allowed) = branch.get("const") {
            return allowed == value;
        }
        if let Some(Value::Array(allowed)) = branch.get("enum") {
            return allowed.contains(value);
        }
        let (Value::Object(object), Some(properties)) =
            (value, branch.get("properties").and_then(Value::as_object))
        else {
            return true;
        };
        let mut tagged = false;
        for name in properties.keys() {
            if let Some(tag) = tag_of(properties, name) {
                tagged = true;
                if object.get(name) != Some(tag) {
                    return false;
                }
            }
        }
        if !tagged
            && branch.get("additionalProperties") == Some(&Value::Bool(false))
            && properties.len() == 1
        {
            return properties.keys().all(|key| object.contains_key(key));
        }
        true
    }

    /// The property that tags every branch (`#[serde(tag = "type")]`), if there is one.
    fn common_tag(&self, branches: &'s [Value]) -> Option<String> {
        let first = self.schema.flatten(branches.first()?);
        let mut names = first.get("properties")?.as_object()?.keys();
        names
            .find(|name| {
                branches
                    .iter()
                    .all(|b| branch_tag(self.schema.flatten(b), name).is_some())
            })
            .cloned()
    }

    /// What a union branch allows, in words: `null`, `an object`, `"red"`.
    fn describe(&self, branch: &'s Value) -> String {
        let branch = self.schema.flatten(branch);
        if let Some(allowed) = branch.get("const") {
            return literal(allowed);
        }
        if let Some(Value::Array(allowed)) = branch.get("enum") {
            return one_of(allowed);
        }
        match branch.get("type") {
            Some(types) => types_noun(types),
            None => "a value".to_owned(),
        }
    }
}

/// The value the property `name` of an object branch must hold, if it is a tag.
fn branch_tag<'v>(branch: &'v Value, name: &str) -> Option<&'v Value> {
    tag_of(branch.get("properties")?.as_object()?, name)
}

/// The value the property `name` must hold, if it is a tag (a `const`, or an `enum` of one).
fn tag_of<'v>(properties: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    let property = properties.get(name)?;
    if let Some(value) = property.get("const") {
        return Some(value);
    }
    match property.get("enum") {
        Some(Value::Array(values)) if values.len() == 1 => values.first(),
        _ => None,
    }
}
