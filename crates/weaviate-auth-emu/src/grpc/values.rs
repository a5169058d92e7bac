//! Between the store's JSON objects and the protobuf messages: batch properties in
//! (`google.protobuf.Struct`), search results out (`weaviate.v1.Properties`).

use prost_types::value::Kind;
use serde_json::{Map, Value as Json};

use super::proto::weaviate::{
    batch_object, list_value, value, BoolValues, ListValue, MetadataRequest, MetadataResult, NumberValues, ObjectValues, Properties,
    PropertiesRequest, PropertiesResult, SearchResult, TextValues, Value,
};

/// The non-reference properties of a batch object as the JSON the store keeps.
pub fn batch_properties(properties: Option<&batch_object::Properties>) -> Json {
    let fields = properties
        .and_then(|p| p.non_ref_properties.as_ref())
        .map(struct_to_json)
        .unwrap_or_default();
    Json::Object(fields)
}

fn struct_to_json(s: &prost_types::Struct) -> Map<String, Json> {
    s.fields.iter().map(|(k, v)| (k.clone(), value_to_json(v))).collect()
}

fn value_to_json(v: &prost_types::Value) -> Json {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::NumberValue(n)) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
        Some(Kind::StringValue(s)) => Json::String(s.clone()),
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::StructValue(s)) => Json::Object(struct_to_json(s)),
        Some(Kind::ListValue(l)) => Json::Array(l.values.iter().map(value_to_json).collect()),
    }
}

/// One stored object (`{"id", "properties", "creationTimeUnix", ...}`) as a search result, with
/// the non-reference properties `properties` asks for (all of the class's `names` when absent,
/// as v1.38.11 does for the Python client) and the metadata `metadata` asks for (the id always,
/// as Weaviate sends it). Recorded from v1.38.11: every property of the class that the object
/// lacks comes back as a null value.
pub fn search_result(
    object: &Json,
    names: &[String],
    properties: Option<&PropertiesRequest>,
    metadata: Option<&MetadataRequest>,
) -> SearchResult {
    let id = object["id"].as_str().unwrap_or_default().to_owned();
    let wanted = |name: &str| properties.is_none_or(|p| p.return_all_nonref_properties || p.non_ref_properties.iter().any(|n| n == name));
    let stored = object["properties"].as_object();
    let fields = names
        .iter()
        .filter(|k| wanted(k))
        .map(|k| {
            let value = stored.and_then(|m| m.get(k)).and_then(json_to_value).unwrap_or(Value {
                kind: Some(value::Kind::NullValue(0)),
            });
            (k.clone(), value)
        })
        .collect();
    let time = |key: &str, asked: bool| match object[key].as_i64() {
        Some(t) if asked => (t, true),
        _ => (0, false),
    };
    let (creation_time_unix, creation_time_unix_present) = time("creationTimeUnix", metadata.is_some_and(|m| m.creation_time_unix));
    let (last_update_time_unix, last_update_time_unix_present) =
        time("lastUpdateTimeUnix", metadata.is_some_and(|m| m.last_update_time_unix));
    SearchResult {
        properties: Some(PropertiesResult {
            target_collection: object["class"].as_str().unwrap_or_default().to_owned(),
            non_ref_props: Some(Properties { fields }),
            ref_props_requested: false,
        }),
        metadata: Some(MetadataResult {
            id_as_bytes: uuid::Uuid::parse_str(&id).map(|u| u.as_bytes().to_vec()).unwrap_or_default(),
            id,
            creation_time_unix,
            creation_time_unix_present,
            last_update_time_unix,
            last_update_time_unix_present,
        }),
    }
}

/// A stored JSON value as Weaviate returns it; `None` for what Weaviate does not store (null) or
/// what this emulation cannot type (empty or mixed arrays).
fn json_to_value(v: &Json) -> Option<Value> {
    let kind = match v {
        Json::Null => return None,
        Json::Bool(b) => value::Kind::BoolValue(*b),
        Json::Number(n) => value::Kind::NumberValue(n.as_f64()?),
        Json::String(s) => value::Kind::TextValue(s.clone()),
        Json::Object(m) => value::Kind::ObjectValue(object_to_properties(m)),
        Json::Array(items) => value::Kind::ListValue(ListValue {
            kind: Some(list_to_kind(items)?),
        }),
    };
    Some(Value { kind: Some(kind) })
}

fn object_to_properties(m: &Map<String, Json>) -> Properties {
    Properties {
        fields: m.iter().filter_map(|(k, v)| Some((k.clone(), json_to_value(v)?))).collect(),
    }
}

fn list_to_kind(items: &[Json]) -> Option<list_value::Kind> {
    let first = items.first()?;
    Some(match first {
        Json::String(_) => list_value::Kind::TextValues(TextValues {
            values: items.iter().map(|i| i.as_str().map(str::to_owned)).collect::<Option<_>>()?,
        }),
        Json::Bool(_) => list_value::Kind::BoolValues(BoolValues {
            values: items.iter().map(Json::as_bool).collect::<Option<_>>()?,
        }),
        Json::Number(_) => list_value::Kind::NumberValues(NumberValues {
            values: items
                .iter()
                .map(|i| i.as_f64().map(f64::to_le_bytes))
                .collect::<Option<Vec<_>>>()?
                .concat(),
        }),
        Json::Object(_) => list_value::Kind::ObjectValues(ObjectValues {
            values: items
                .iter()
                .map(|i| i.as_object().map(object_to_properties))
                .collect::<Option<_>>()?,
        }),
        Json::Null | Json::Array(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn s5_2_batch_struct_becomes_store_json() {
        let mut fields = std::collections::BTreeMap::new();
        fields.insert("title".to_owned(), prost_types::Value::from("one".to_owned()));
        fields.insert("n".to_owned(), prost_types::Value::from(2.0));
        let p = batch_object::Properties {
            non_ref_properties: Some(prost_types::Struct { fields }),
        };
        assert_eq!(batch_properties(Some(&p)), json!({"title": "one", "n": 2.0}));
        assert_eq!(batch_properties(None), json!({}));
    }

    #[test]
    fn s5_2_search_result_returns_what_was_asked() {
        let id = "6f1c1a3e-0000-4000-8000-000000000001";
        let object = json!({"class": "C", "id": id, "creationTimeUnix": 5, "lastUpdateTimeUnix": 6,
            "properties": {"title": "one", "n": 2, "tags": ["a", "b"], "gone": null}});
        let all = PropertiesRequest {
            return_all_nonref_properties: true,
            ..Default::default()
        };
        let names: Vec<String> = ["n", "tags", "title"].map(String::from).to_vec();
        let r = search_result(&object, &names, Some(&all), None);
        let props = r.properties.expect("properties");
        assert_eq!(props.target_collection, "C");
        let fields = props.non_ref_props.expect("non-ref").fields;
        let mut names: Vec<_> = fields.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["n", "tags", "title"], "only the class's properties");
        assert_eq!(fields["title"].kind, Some(value::Kind::TextValue("one".into())));
        assert_eq!(fields["n"].kind, Some(value::Kind::NumberValue(2.0)));
        let meta = r.metadata.expect("metadata");
        assert_eq!((meta.id.as_str(), meta.id_as_bytes.len()), (id, 16));
        assert!(!meta.creation_time_unix_present);

        let one = PropertiesRequest {
            non_ref_properties: vec!["n".into()],
            ..Default::default()
        };
        let times = MetadataRequest {
            creation_time_unix: true,
            ..Default::default()
        };
        let r = search_result(&object, &names, Some(&one), Some(&times));
        let fields = r.properties.expect("properties").non_ref_props.expect("non-ref").fields;
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["n"]);
        let meta = r.metadata.expect("metadata");
        assert_eq!((meta.creation_time_unix, meta.creation_time_unix_present), (5, true));
        assert!(!meta.last_update_time_unix_present);
        let absent = search_result(&object, &names, None, None);
        assert_eq!(absent.properties.expect("properties").non_ref_props.expect("all").fields.len(), 3);
        let more: Vec<String> = ["n", "extra"].map(String::from).to_vec();
        let fields = search_result(&object, &more, None, None)
            .properties
            .expect("properties")
            .non_ref_props
            .expect("all")
            .fields;
        assert_eq!(
            fields["extra"].kind,
            Some(value::Kind::NullValue(0)),
            "a property the object lacks is null"
        );
    }
}
