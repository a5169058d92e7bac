//! Property values checked against the data types of their class, with v1.38.11's messages
//! (recorded from `BatchObjects`, `BatchStream` and `POST /v1/objects`). Weaviate names the Go type
//! it got, and that depends on the transport: a REST body keeps numbers as `json.Number`, a gRPC
//! struct gives `float64`. Properties the class does not define pass (auto-schema adds them), and
//! so do `null` values and references.
//!
//! Not emulated: the element checks of `date[]` and `uuid[]` values, the contents of
//! `geoCoordinates` and `phoneNumber` maps, and the `500` v1.38.11 answers over REST for a mixed
//! array.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

/// How the values arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A REST JSON body (numbers are `json.Number`).
    Rest,
    /// A gRPC `google.protobuf.Struct` (numbers are `float64`).
    Grpc,
}

/// The first property of `properties` (by name) whose value does not fit its data type in
/// `class` (named `class_name`), as Weaviate's message.
pub fn check(class_name: &str, class: &Value, properties: &Value, transport: Transport) -> Result<(), String> {
    let Some(values) = properties.as_object() else {
        return Ok(());
    };
    let defined = class["properties"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for (name, value) in values {
        let Some(definition) = defined.iter().find(|p| p["name"].as_str() == Some(name)) else {
            continue;
        };
        let at = Place {
            class: class_name,
            name,
            transport,
        };
        check_value(&at, definition, value)?;
    }
    Ok(())
}

/// Where a value sits: its class, its (dotted, when nested) name and how it arrived.
struct Place<'a> {
    class: &'a str,
    name: &'a str,
    transport: Transport,
}

impl Place<'_> {
    fn fail(&self, kind: &str, why: impl std::fmt::Display) -> String {
        format!("invalid {kind} property '{}' on class '{}': {why}", self.name, self.class)
    }

    /// Go's `%T` of a decoded JSON value.
    fn go_type(&self, value: &Value) -> &'static str {
        match value {
            Value::Null => "<nil>",
            Value::Bool(_) => "bool",
            Value::Number(_) if self.transport == Transport::Rest => "json.Number",
            Value::Number(_) => "float64",
            Value::String(_) => "string",
            Value::Array(_) => "[]interface {}",
            Value::Object(_) => "map[string]interface {}",
        }
    }
}

/// Go's `%v` of a decoded JSON value (numbers as Go prints a float64, or as sent over REST).
fn go_value(value: &Value, transport: Transport) -> String {
    match value {
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if transport == Transport::Rest => n.to_string(),
        Value::Number(n) => go_float(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(|v| go_value(v, transport)).collect::<Vec<_>>().join(" ")),
        Value::Object(map) => format!(
            "map[{}]",
            map.iter()
                .map(|(k, v)| format!("{k}:{}", go_value(v, transport)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// A float64 as Go's `%v` prints the usual ones: integral values without a fraction.
fn go_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

fn is_integral(value: &Value, transport: Transport) -> bool {
    match value {
        Value::Number(n) if transport == Transport::Rest => n.is_i64() || n.is_u64(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn is_date(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok())
}

fn check_value(at: &Place<'_>, definition: &Value, value: &Value) -> Result<(), String> {
    if value.is_null() {
        return Ok(());
    }
    let data_type = definition["dataType"][0].as_str().unwrap_or("");
    let t = at.transport;
    match data_type {
        "text" | "string" if !value.is_string() => Err(at.fail("text", format!("not a string, but {}", at.go_type(value)))),
        "int" if !is_integral(value, t) => Err(match (t, value) {
            (Transport::Rest, Value::Number(n)) => at.fail("integer", format!("the JSON number '{n}' could not be converted to an int")),
            _ => at.fail(
                "integer",
                format!("requires an integer, the given value is '{}'", go_value(value, t)),
            ),
        }),
        "number" if !value.is_number() => Err(at.fail("number", format!("requires a float, the given value is '{}'", go_value(value, t)))),
        "boolean" if !value.is_boolean() => Err(at.fail("boolean", format!("not a bool, but {}", at.go_type(value)))),
        "date" if !is_date(value) => Err(at.fail(
            "date",
            format!(
                "requires a string with a RFC3339 formatted date, but the given value is '{}'",
                go_value(value, t)
            ),
        )),
        "uuid" if value.as_str().is_none_or(|s| uuid::Uuid::parse_str(s).is_err()) => Err(at.fail(
            "uuid",
            format!("requires a string of UUID format, but the given value is '{}'", go_value(value, t)),
        )),
        "blob" => match value.as_str() {
            None => Err(at.fail("blob", format!("not a blob base64 string, but {}", at.go_type(value)))),
            Some(s) if STANDARD.decode(s).is_err() => Err(at.fail("blob", "not a valid blob base64 string")),
            Some(_) => Ok(()),
        },
        "geoCoordinates" | "phoneNumber" if !value.is_object() => {
            Err(at.fail(data_type, format!("{data_type} must be a map, but got: {}", at.go_type(value))))
        }
        "object" => check_object(at, definition, value),
        "text[]" | "string[]" => check_array(at, ("text", "text"), value, |v| v.is_string()),
        "boolean[]" => check_array(at, ("boolean", "boolean"), value, Value::is_boolean),
        "int[]" => check_array(at, ("integer", "integer"), value, |v| is_integral(v, t)),
        // Recorded on v1.38.11: a number array's bad value is named an integer array value.
        "number[]" => check_array(at, ("number", "integer"), value, Value::is_number),
        "date[]" => check_array(at, ("date", "date"), value, |_| true),
        "uuid[]" => check_array(at, ("uuid", "uuid"), value, |_| true),
        _ => Ok(()),
    }
}

fn check_object(at: &Place<'_>, definition: &Value, value: &Value) -> Result<(), String> {
    let Some(map) = value.as_object() else {
        return Err(at.fail("object", format!("object must be a map, but got: {}", at.go_type(value))));
    };
    let nested = definition["nestedProperties"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for (name, inner) in map {
        let Some(nested_definition) = nested.iter().find(|p| p["name"].as_str() == Some(name)) else {
            continue;
        };
        let dotted = format!("{}.{name}", at.name);
        let inner_at = Place {
            class: at.class,
            name: &dotted,
            transport: at.transport,
        };
        check_value(&inner_at, nested_definition, inner).map_err(|why| at.fail("object", format!("property '{dotted}': {why}")))?;
    }
    Ok(())
}

/// An array property: not an array, elements of two kinds (gRPC), or elements of the wrong kind.
/// `labels` name the property's kind and the kind its bad value is said to have.
fn check_array(at: &Place<'_>, labels: (&str, &str), value: &Value, element_fits: impl Fn(&Value) -> bool) -> Result<(), String> {
    let (label, value_label) = labels;
    let Some(items) = value.as_array() else {
        let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        return Err(at.fail(
            &format!("{label} array"),
            format!("not {article} {label} array, but {}", at.go_type(value)),
        ));
    };
    if at.transport == Transport::Grpc {
        if let Some(first) = items.first() {
            if let Some((i, other)) = items.iter().enumerate().find(|(_, v)| struct_kind(v) != struct_kind(first)) {
                return Err(format!(
                    "property '{}' on class '{}': element [{i}]: mismatched data type - '{}' expected, got '{}'",
                    at.name,
                    at.class,
                    struct_kind(first),
                    struct_kind(other)
                ));
            }
        }
    }
    if items.iter().all(&element_fits) {
        return Ok(());
    }
    let shown: Vec<String> = items
        .iter()
        .map(|v| match (v, at.transport) {
            (Value::String(s), _) => s.clone(),
            (Value::Number(n), Transport::Rest) => n.to_string(),
            (other, Transport::Grpc) => format!("%!s({}={})", go_scalar_type(other), go_value(other, Transport::Grpc)),
            (other, Transport::Rest) => go_value(other, Transport::Rest),
        })
        .collect();
    Err(at.fail(
        &format!("{label} array"),
        format!("invalid {value_label} array value: [{}]", shown.join(" ")),
    ))
}

/// The kind the gRPC layer names when an array mixes kinds.
fn struct_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "text",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Go's `%T` of a scalar inside a typed gRPC array.
fn go_scalar_type(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::Null | Value::String(_) | Value::Array(_) | Value::Object(_) => "string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types() -> Value {
        json!({"class": "Types", "properties": [
            {"name": "t", "dataType": ["text"]},
            {"name": "i", "dataType": ["int"]},
            {"name": "n", "dataType": ["number"]},
            {"name": "b", "dataType": ["boolean"]},
            {"name": "d", "dataType": ["date"]},
            {"name": "u", "dataType": ["uuid"]},
            {"name": "ta", "dataType": ["text[]"]},
            {"name": "ia", "dataType": ["int[]"]},
            {"name": "o", "dataType": ["object"], "nestedProperties": [{"name": "x", "dataType": ["text"]}]},
            {"name": "bl", "dataType": ["blob"]},
            {"name": "r", "dataType": ["Other"]},
        ]})
    }

    fn grpc(props: Value) -> Result<(), String> {
        check("Types", &types(), &props, Transport::Grpc)
    }

    #[test]
    fn grpc_messages_are_v1_38_11s() {
        // Each expected text was recorded from BatchObjects on v1.38.11.
        let cases = [
            (json!({"t": 5.0}), "invalid text property 't' on class 'Types': not a string, but float64"),
            (json!({"t": ["a"]}), "invalid text property 't' on class 'Types': not a string, but []interface {}"),
            (json!({"i": 1.5}), "invalid integer property 'i' on class 'Types': requires an integer, the given value is '1.5'"),
            (json!({"i": "1"}), "invalid integer property 'i' on class 'Types': requires an integer, the given value is '1'"),
            (json!({"n": true}), "invalid number property 'n' on class 'Types': requires a float, the given value is 'true'"),
            (json!({"b": 1.0}), "invalid boolean property 'b' on class 'Types': not a bool, but float64"),
            (
                json!({"d": 5.0}),
                "invalid date property 'd' on class 'Types': requires a string with a RFC3339 formatted date, but the given value is '5'",
            ),
            (
                json!({"u": "x"}),
                "invalid uuid property 'u' on class 'Types': requires a string of UUID format, but the given value is 'x'",
            ),
            (json!({"ta": "x"}), "invalid text array property 'ta' on class 'Types': not a text array, but string"),
            (
                json!({"ta": [1.0]}),
                "invalid text array property 'ta' on class 'Types': invalid text array value: [%!s(float64=1)]",
            ),
            (
                json!({"ta": ["a", 2.0]}),
                "property 'ta' on class 'Types': element [1]: mismatched data type - 'text' expected, got 'number'",
            ),
            (json!({"ia": 5.0}), "invalid integer array property 'ia' on class 'Types': not an integer array, but float64"),
            (
                json!({"ia": [1.5]}),
                "invalid integer array property 'ia' on class 'Types': invalid integer array value: [%!s(float64=1.5)]",
            ),
            (
                json!({"ia": [true]}),
                "invalid integer array property 'ia' on class 'Types': invalid integer array value: [%!s(bool=true)]",
            ),
            (json!({"o": "x"}), "invalid object property 'o' on class 'Types': object must be a map, but got: string"),
            (
                json!({"o": {"x": 5.0}}),
                "invalid object property 'o' on class 'Types': property 'o.x': invalid text property 'o.x' on class 'Types': not a string, but float64",
            ),
            (json!({"bl": "notbase64!"}), "invalid blob property 'bl' on class 'Types': not a valid blob base64 string"),
        ];
        for (props, want) in cases {
            assert_eq!(grpc(props.clone()), Err(want.to_owned()), "{props}");
        }
    }

    #[test]
    fn fitting_null_undefined_and_reference_values_pass() {
        let ok = json!({"t": "a", "i": 3.0, "n": 1.5, "b": true, "d": "2024-01-01T00:00:00Z",
            "u": "00000000-0000-0000-0000-000000000001", "ta": ["a"], "o": {"x": "y", "z": 1.0}, "bl": "aGk=",
            "r": "anything", "new": 5.0});
        assert_eq!(grpc(ok), Ok(()));
        assert_eq!(grpc(json!({"t": null})), Ok(()));
    }

    #[test]
    fn rest_names_numbers_as_json_numbers() {
        // Recorded from POST /v1/objects on v1.38.11 (the handler adds "invalid object: ").
        let rest = |props: Value| check("Types", &types(), &props, Transport::Rest);
        assert_eq!(
            rest(json!({"t": 5})),
            Err("invalid text property 't' on class 'Types': not a string, but json.Number".into())
        );
        assert_eq!(
            rest(json!({"i": 1.5})),
            Err("invalid integer property 'i' on class 'Types': the JSON number '1.5' could not be converted to an int".into())
        );
        assert_eq!(
            rest(json!({"ta": [1]})),
            Err("invalid text array property 'ta' on class 'Types': invalid text array value: [1]".into())
        );
        assert_eq!(rest(json!({"i": 3})), Ok(()));
    }
}
