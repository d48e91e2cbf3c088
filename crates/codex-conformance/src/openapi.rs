//! OpenAPI 3.0 schema objects to JSON Schema (draft 2020-12).
//!
//! OpenAPI 3.0 schemas are "almost" JSON Schema; the differences that matter here:
//! `nullable: true` (JSON Schema spells it as a `null` type), `$ref`s into
//! `#/components/schemas` (rewritten to `#/$defs`, where [`defs`] puts the converted
//! components), boolean `exclusiveMinimum`/`exclusiveMaximum`, `readOnly`/`writeOnly`
//! (which change what `required` means per direction), and OpenAPI-only annotations
//! (`example`, `discriminator`, `xml`, `x-*`) that are dropped. `format` is dropped
//! unless asked for ([`Formats::Keep`]): parameters and response bodies keep it (an
//! answer's `uri` and `date-time` strings must be what GitHub sends); request bodies and
//! GitHub's own examples drop it (the examples break `uri` and friends), so those are
//! checked for types, required, enums, nullability, composition, items and
//! additionalProperties only.

use serde_json::{Map, Value, json};

/// Which side of an exchange a schema describes: `readOnly` properties are not
/// required in requests, `writeOnly` ones not in responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Request,
    Response,
}

/// Whether `format` keywords survive conversion (and so get validated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Formats {
    Drop,
    Keep,
}

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// Converts every `components.schemas` entry of `document` into a `$defs` map.
pub(crate) fn defs(document: &Value, direction: Direction, formats: Formats) -> Map<String, Value> {
    document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, schema)| (name.clone(), convert(schema, direction, formats)))
                .collect()
        })
        .unwrap_or_default()
}

/// A self-contained JSON Schema: `schema` converted, with `defs` alongside so its
/// `$ref`s resolve locally.
pub(crate) fn root(
    schema: &Value,
    defs: &Map<String, Value>,
    direction: Direction,
    formats: Formats,
) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": defs,
        "allOf": [convert(schema, direction, formats)],
    })
}

/// Converts one OpenAPI 3.0 schema object (recursively).
pub(crate) fn convert(schema: &Value, direction: Direction, formats: Formats) -> Value {
    let Some(obj) = schema.as_object() else {
        return schema.clone();
    };
    let nullable = obj.get("nullable").and_then(Value::as_bool) == Some(true);

    // In OpenAPI 3.0 a `$ref` replaces the whole object; siblings are ignored, except
    // that we honour a `nullable` next to it (the evident intent where it appears).
    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        let target = match reference.strip_prefix(SCHEMA_REF_PREFIX) {
            Some(name) => format!("#/$defs/{name}"),
            None => reference.to_owned(),
        };
        let converted = json!({ "$ref": target });
        return if nullable {
            or_null(converted)
        } else {
            converted
        };
    }

    let skipped = |name: &str| {
        obj.get("properties")
            .and_then(|p| p.get(name))
            .is_some_and(|p| match direction {
                Direction::Request => p.get("readOnly") == Some(&Value::Bool(true)),
                Direction::Response => p.get("writeOnly") == Some(&Value::Bool(true)),
            })
    };

    let mut out = Map::new();
    for (key, value) in obj {
        match key.as_str() {
            "nullable" | "example" | "examples" | "discriminator" | "xml" | "externalDocs"
            | "deprecated" | "readOnly" | "writeOnly" => {}
            "format" if formats == Formats::Drop => {}
            k if k.starts_with("x-") => {}
            "properties" | "patternProperties" => {
                let props = value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, schema)| (name.clone(), convert(schema, direction, formats)))
                    .collect();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), convert(value, direction, formats));
            }
            "allOf" | "oneOf" | "anyOf" => {
                let list = value.as_array().into_iter().flatten();
                let list = list.map(|s| convert(s, direction, formats)).collect();
                out.insert(key.clone(), Value::Array(list));
            }
            "required" => {
                let names = value.as_array().into_iter().flatten();
                let names = names.filter(|n| !n.as_str().is_some_and(skipped)).cloned();
                out.insert(key.clone(), Value::Array(names.collect()));
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                // 3.0: a boolean modifying minimum/maximum; 2020-12: the bound itself.
                let bound = if key == "exclusiveMinimum" {
                    "minimum"
                } else {
                    "maximum"
                };
                if value == &Value::Bool(true)
                    && let Some(limit) = obj.get(bound)
                {
                    out.insert(key.clone(), limit.clone());
                }
            }
            "minimum" | "maximum" => {
                let exclusive = if key == "minimum" {
                    "exclusiveMinimum"
                } else {
                    "exclusiveMaximum"
                };
                if obj.get(exclusive) != Some(&Value::Bool(true)) {
                    out.insert(key.clone(), value.clone());
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if !nullable {
        return Value::Object(out);
    }

    // Nullable: widen a plain `type` in place (keeps error messages precise), else wrap.
    let composite = ["allOf", "oneOf", "anyOf", "not"]
        .iter()
        .any(|k| out.contains_key(*k));
    match out.get("type").and_then(Value::as_str).map(str::to_owned) {
        Some(ty) if !composite => {
            out.insert("type".into(), json!([ty, "null"]));
            if let Some(Value::Array(values)) = out.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
            Value::Object(out)
        }
        _ => or_null(Value::Object(out)),
    }
}

fn or_null(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(schema: &Value, instance: &Value) -> bool {
        let root = root(schema, &Map::new(), Direction::Response, Formats::Drop);
        jsonschema::options()
            .should_validate_formats(false)
            .build(&root)
            .unwrap()
            .is_valid(instance)
    }

    #[test]
    fn nullable_type_allows_null() {
        let s = json!({"type": "string", "nullable": true});
        assert_eq!(
            convert(&s, Direction::Response, Formats::Drop),
            json!({"type": ["string", "null"]})
        );
        assert!(valid(&s, &Value::Null));
        assert!(!valid(&json!({"type": "string"}), &Value::Null));
    }

    #[test]
    fn nullable_enum_gains_null() {
        let s = json!({"type": "string", "enum": ["open", "closed"], "nullable": true});
        assert!(valid(&s, &Value::Null));
        assert!(valid(&s, &json!("open")));
        assert!(!valid(&s, &json!("bogus")));
    }

    #[test]
    fn nullable_composition_and_ref_are_wrapped() {
        let all = json!({"allOf": [{"type": "object", "required": ["a"]}], "nullable": true});
        assert!(valid(&all, &Value::Null));
        assert!(valid(&all, &json!({"a": 1})));
        assert!(!valid(&all, &json!({})));
        let one = json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true});
        assert!(valid(&one, &Value::Null));
        assert!(!valid(&one, &json!(true)));
        let reference = json!({"$ref": "#/components/schemas/x", "nullable": true});
        assert_eq!(
            convert(&reference, Direction::Response, Formats::Drop),
            json!({"anyOf": [{"$ref": "#/$defs/x"}, {"type": "null"}]})
        );
    }

    #[test]
    fn drops_openapi_only_keywords_and_format() {
        let s = json!({
            "type": "object",
            "example": {"a": 1},
            "x-github": {"x": 1},
            "discriminator": {"propertyName": "kind"},
            "properties": {"url": {"type": "string", "format": "uri", "example": "x"}},
        });
        assert_eq!(
            convert(&s, Direction::Response, Formats::Drop),
            json!({"type": "object", "properties": {"url": {"type": "string"}}})
        );
        assert!(valid(&s, &json!({"url": "not a uri"})));
    }

    #[test]
    fn formats_can_be_kept() {
        let s = json!({"type": "string", "format": "date-time"});
        assert_eq!(convert(&s, Direction::Request, Formats::Keep), s);
    }

    #[test]
    fn property_named_like_a_keyword_is_kept() {
        let s = json!({"type": "object", "properties": {"format": {"type": "string"}, "example": {"type": "integer"}}});
        assert!(!valid(&s, &json!({"example": "x"})));
    }

    #[test]
    fn read_only_is_not_required_in_requests() {
        let s = json!({
            "type": "object",
            "required": ["id", "name"],
            "properties": {"id": {"type": "integer", "readOnly": true}, "name": {"type": "string"}},
        });
        assert_eq!(
            convert(&s, Direction::Request, Formats::Drop)["required"],
            json!(["name"])
        );
        assert_eq!(
            convert(&s, Direction::Response, Formats::Drop)["required"],
            json!(["id", "name"])
        );
    }

    #[test]
    fn boolean_exclusive_bounds() {
        let s = json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true});
        assert!(!valid(&s, &json!(0)));
        assert!(valid(&s, &json!(1)));
        let inclusive = json!({"type": "integer", "minimum": 0, "exclusiveMinimum": false});
        assert!(valid(&inclusive, &json!(0)));
    }
}
