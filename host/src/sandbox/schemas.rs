//! The JSON Schemas a plugin declares (its config's and each action's
//! payload's), compiled once when the plugin is loaded, so the host can
//! check every config and payload before the guest runs and answer
//! `422` naming the field: `prizes[1].weight`, `amount`.
//!
//! A schema that is not a valid JSON Schema makes the plugin's manifest
//! bad output: a plugin cannot declare a contract the host cannot check.
//! Schemas are compiled without network or file access; a `$ref` must
//! point inside the schema itself.

use std::collections::HashMap;

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::failure::PluginFailure;
use super::output::{ConfigProblem, Manifest};

/// At most this many problems are reported for one document.
const MAX_PROBLEMS: usize = 20;

/// A plugin's compiled schemas.
pub struct Schemas {
    config: Validator,
    payloads: HashMap<String, Validator>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("payloads", &self.payloads.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn compile(schema: &Value, what: &str) -> Result<Validator, PluginFailure> {
    jsonschema::options().build(schema).map_err(|e| {
        PluginFailure::BadOutput(format!("describe: {what} is not a valid JSON Schema: {e}"))
    })
}

impl Schemas {
    /// Compile the manifest's schemas.
    pub(crate) fn compile(manifest: &Manifest) -> Result<Schemas, PluginFailure> {
        let config = compile(&manifest.config_schema, "the config schema")?;
        let mut payloads = HashMap::with_capacity(manifest.actions.len());
        for a in &manifest.actions {
            let v = compile(
                &a.payload_schema,
                &format!("the payload schema of {:?}", a.name),
            )?;
            payloads.insert(a.name.clone(), v);
        }
        Ok(Schemas { config, payloads })
    }

    /// The problems of `config` against the config schema (empty if none).
    pub fn check_config(&self, config: &Value) -> Vec<ConfigProblem> {
        problems(&self.config, config)
    }

    /// The problems of `payload` against `action`'s payload schema (empty
    /// if none, or if the plugin declares no such action).
    pub fn check_payload(&self, action: &str, payload: &Value) -> Vec<ConfigProblem> {
        match self.payloads.get(action) {
            Some(v) => problems(v, payload),
            None => Vec::new(),
        }
    }
}

fn problems(validator: &Validator, doc: &Value) -> Vec<ConfigProblem> {
    if validator.is_valid(doc) {
        return Vec::new();
    }
    validator
        .iter_errors(doc)
        .take(MAX_PROBLEMS)
        .map(|e| problem(&e, doc))
        .collect()
}

/// One error as `field` and message; a missing or unexpected field is
/// named by its own path, not its parent's.
fn problem(e: &ValidationError<'_>, doc: &Value) -> ConfigProblem {
    let mut field = String::new();
    for segment in e.instance_path().iter() {
        match segment {
            LocationSegment::Property(name) => push_field(&mut field, &name),
            LocationSegment::Index(i) => {
                field.push('[');
                field.push_str(&i.to_string());
                field.push(']');
            }
        }
    }
    match e.kind() {
        ValidationErrorKind::Required { property } => {
            if let Some(name) = property.as_str() {
                push_field(&mut field, name);
            }
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected }
            if unexpected.len() == 1 =>
        {
            push_field(&mut field, &unexpected[0]);
        }
        // `additionalProperties: false` beside no properties at all is
        // reported against the parent: name the one member holding the
        // refused value.
        ValidationErrorKind::FalseSchema => {
            let parent = doc.pointer(e.instance_path().as_str());
            if let Some(Value::Object(members)) = parent {
                let holding: Vec<&String> = members
                    .iter()
                    .filter(|(_, v)| *v == e.instance().as_ref())
                    .map(|(k, _)| k)
                    .collect();
                if let [name] = holding[..] {
                    push_field(&mut field, name);
                }
            }
        }
        _ => {}
    }
    ConfigProblem {
        field,
        message: super::output::truncate(e.to_string(), 1024),
    }
}

fn push_field(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schemas(payload: Value) -> Schemas {
        let manifest: Manifest = serde_json::from_value(json!({
            "name": "t", "version": "1", "summary": "", "budget": {},
            "config_schema": {
                "type": "object", "additionalProperties": false, "required": ["prizes"],
                "properties": {"prizes": {"type": "array", "items": {
                    "type": "object", "properties": {"weight": {"type": "integer", "minimum": 1}}
                }}}
            },
            "actions": [{"name": "grab", "summary": "", "payload_schema": payload}],
        }))
        .unwrap();
        Schemas::compile(&manifest).unwrap()
    }

    #[test]
    fn problems_name_the_field() {
        let s = schemas(json!({"type": "object", "additionalProperties": false,
            "properties": {"amount": {"type": "integer"}}}));
        let p = s.check_payload("grab", &json!({"foo": 1}));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].field, "foo");
        let unit =
            schemas(json!({"type": "object", "properties": {}, "additionalProperties": false}));
        let p = unit.check_payload("grab", &json!({"foo": 1}));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].field, "foo", "{p:?}");
        let p = s.check_payload("grab", &json!({"amount": "x"}));
        assert_eq!(p[0].field, "amount");
        assert!(s.check_payload("grab", &json!({"amount": 3})).is_empty());
        let p = s.check_config(&json!({"prizes": [{"weight": 1}, {"weight": 0}]}));
        assert_eq!(p[0].field, "prizes[1].weight", "{p:?}");
        let p = s.check_config(&json!({}));
        assert_eq!(p[0].field, "prizes", "{p:?}");
    }

    #[test]
    fn an_invalid_schema_is_bad_output() {
        let manifest: Manifest = serde_json::from_value(json!({
            "name": "t", "version": "1", "summary": "", "budget": {},
            "config_schema": {"type": 17}, "actions": [],
        }))
        .unwrap();
        let e = Schemas::compile(&manifest).unwrap_err();
        assert!(
            matches!(e, PluginFailure::BadOutput(ref m) if m.contains("config schema")),
            "{e:?}"
        );
    }
}
