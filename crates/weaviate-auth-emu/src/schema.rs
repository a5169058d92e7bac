//! Collection definitions (`/v1/schema`): who sees and changes which class, in Weaviate's order,
//! and what v1.38.11 adds to a class it creates. The definitions are kept in `store.rs`; the REST
//! handlers (`rest/schema.rs`) call `Schema`.

use serde_json::{json, Value};

use crate::authorization::{Caller, Resource, Verb};
use crate::error::Error;
use crate::store::{Store, StoreError};

/// The configuration v1.38.11 gives a class that does not set it (recorded from
/// `GET /v1/schema/{class}` after a client's `collections.create`): the Python client reads
/// `vectorIndexConfig` and asserts it is there before it starts a batch.
const CLASS_DEFAULTS: &str = include_str!("class_defaults.json");

/// Weaviate's defaults for a class it creates (its `setNewClassDefaults`, recorded on v1.38.11):
/// * without named vectors (`vectorConfig`), the legacy vector: `vectorizer` `none` (the
///   `DEFAULT_VECTORIZER_MODULE` the suite runs with, and Weaviate's own default), `vectorIndexType`
///   `hnsw` and the full `vectorIndexConfig`; with named vectors, each one's index pair;
/// * multi-tenancy off unless set; with it on, a sharding configuration of zeros and empty texts;
/// * `invertedIndexConfig`: `usingBlockMaxWAND` forced on, the cleanup interval when unset or 0,
///   `bm25` and `stopwords` only when absent (a partial `bm25` keeps Go's zero for the rest);
/// * sharding and replication settings;
/// * each property's tokenization and index switches (`fill_property_defaults`).
fn fill_class_defaults(class: &mut Value) {
    let Ok(Value::Object(defaults)) = serde_json::from_str::<Value>(CLASS_DEFAULTS) else {
        return;
    };
    let Some(obj) = class.as_object_mut() else { return };
    let multi_tenant = obj.get("multiTenancyConfig").is_some_and(|m| m["enabled"] == json!(true));
    merge_missing(
        obj.entry("multiTenancyConfig").or_insert_with(|| json!({})),
        &defaults["multiTenancyConfig"],
    );
    if multi_tenant {
        // Tenant shards are made as tenants come: Weaviate prints a zero sharding configuration.
        obj.insert("shardingConfig".into(), zero_sharding());
    } else {
        merge_missing(
            obj.entry("shardingConfig").or_insert_with(|| json!({})),
            &defaults["shardingConfig"],
        );
    }
    merge_missing(
        obj.entry("replicationConfig").or_insert_with(|| json!({})),
        &defaults["replicationConfig"],
    );
    fill_inverted_defaults(
        obj.entry("invertedIndexConfig").or_insert_with(|| json!({})),
        &defaults["invertedIndexConfig"],
    );
    let index = |target: &mut serde_json::Map<String, Value>| {
        target
            .entry("vectorIndexType")
            .or_insert_with(|| defaults["vectorIndexType"].clone());
        merge_missing(
            target.entry("vectorIndexConfig").or_insert_with(|| json!({})),
            &defaults["vectorIndexConfig"],
        );
    };
    let named = obj.get("vectorConfig").and_then(Value::as_object).is_some_and(|v| !v.is_empty());
    let legacy = ["vectorizer", "vectorIndexType", "vectorIndexConfig"]
        .iter()
        .any(|k| obj.get(*k).is_some_and(|v| !v.is_null()));
    if !named || legacy {
        obj.entry("vectorizer").or_insert_with(|| json!("none"));
        index(obj);
    }
    if let Some(vectors) = obj.get_mut("vectorConfig").and_then(Value::as_object_mut) {
        vectors.values_mut().filter_map(Value::as_object_mut).for_each(index);
    }
    if let Some(properties) = obj.get_mut("properties").and_then(Value::as_array_mut) {
        properties
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(fill_property_defaults);
    }
}

fn zero_sharding() -> Value {
    json!({"actualCount": 0, "actualVirtualCount": 0, "desiredCount": 0, "desiredVirtualCount": 0,
        "function": "", "key": "", "strategy": "", "virtualPerPhysical": 0})
}

/// `invertedIndexConfig`: Weaviate fills whole members, not their fields.
fn fill_inverted_defaults(inverted: &mut Value, defaults: &Value) {
    let Some(inv) = inverted.as_object_mut() else { return };
    inv.insert("usingBlockMaxWAND".into(), json!(true));
    if inv.get("cleanupIntervalSeconds").and_then(Value::as_i64).unwrap_or(0) == 0 {
        inv.insert("cleanupIntervalSeconds".into(), defaults["cleanupIntervalSeconds"].clone());
    }
    match inv.get_mut("bm25").and_then(Value::as_object_mut) {
        Some(bm25) => {
            for key in ["b", "k1"] {
                bm25.entry(key).or_insert_with(|| json!(0));
            }
        }
        None => {
            inv.insert("bm25".into(), defaults["bm25"].clone());
        }
    }
    match inv.get_mut("stopwords").and_then(Value::as_object_mut) {
        Some(stopwords) => {
            for key in ["additions", "removals"] {
                stopwords.entry(key).or_insert(Value::Null);
            }
        }
        None => {
            inv.insert("stopwords".into(), defaults["stopwords"].clone());
        }
    }
}

fn is_text(data_type: &str) -> bool {
    matches!(data_type, "text" | "text[]" | "string" | "string[]")
}

/// One property's defaults (Weaviate's `setPropertyDefaults`, then its v1.19 migration):
/// tokenization `word` for text, `indexFilterable` on, `indexSearchable` on for text only,
/// `indexRangeFilters` off; a legacy `indexInverted` alone sets the first two instead; then
/// `string`/`string[]` become `text`/`text[]`, their `word` tokenization `whitespace`.
fn fill_property_defaults(property: &mut serde_json::Map<String, Value>) {
    let data_type = property.get("dataType").and_then(|t| t[0].as_str()).unwrap_or("").to_owned();
    let text = is_text(&data_type);
    if text && property.get("tokenization").and_then(Value::as_str).unwrap_or("").is_empty() {
        property.insert("tokenization".into(), json!("word"));
    }
    let unset = |p: &serde_json::Map<String, Value>, k: &str| p.get(k).is_none_or(Value::is_null);
    let inverted = property.remove("indexInverted").filter(|v| !v.is_null());
    let legacy_only = inverted.is_some()
        && ["indexFilterable", "indexSearchable", "indexRangeFilters"]
            .iter()
            .all(|k| unset(property, k));
    if let (true, Some(inverted)) = (legacy_only, inverted) {
        property.insert("indexFilterable".into(), inverted.clone());
        property.insert("indexSearchable".into(), if text { inverted } else { json!(false) });
        property.insert("indexRangeFilters".into(), json!(false));
    } else {
        for (key, value) in [("indexFilterable", true), ("indexSearchable", text), ("indexRangeFilters", false)] {
            if unset(property, key) {
                property.insert(key.into(), json!(value));
            }
        }
    }
    if let Some(nested) = property.get_mut("nestedProperties").and_then(Value::as_array_mut) {
        nested.iter_mut().filter_map(Value::as_object_mut).for_each(fill_nested_defaults);
    }
    let migrated = match data_type.as_str() {
        "string" => Some("text"),
        "string[]" => Some("text[]"),
        _ => None,
    };
    if let Some(new_type) = migrated {
        property.insert("dataType".into(), json!([new_type]));
        if property.get("tokenization").and_then(Value::as_str) == Some("word") {
            property.insert("tokenization".into(), json!("whitespace"));
        }
    }
}

/// A nested property's defaults: as a property's, but `blob` is not filterable and there is no
/// legacy switch; nested objects recurse.
fn fill_nested_defaults(property: &mut serde_json::Map<String, Value>) {
    let data_type = property.get("dataType").and_then(|t| t[0].as_str()).unwrap_or("").to_owned();
    let text = matches!(data_type.as_str(), "text" | "text[]");
    if text && property.get("tokenization").and_then(Value::as_str).unwrap_or("").is_empty() {
        property.insert("tokenization".into(), json!("word"));
    }
    let filterable = !matches!(data_type.as_str(), "blob" | "blobHash");
    for (key, value) in [
        ("indexFilterable", filterable),
        ("indexSearchable", text),
        ("indexRangeFilters", false),
    ] {
        if property.get(key).is_none_or(Value::is_null) {
            property.insert(key.into(), json!(value));
        }
    }
    if let Some(nested) = property.get_mut("nestedProperties").and_then(Value::as_array_mut) {
        nested.iter_mut().filter_map(Value::as_object_mut).for_each(fill_nested_defaults);
    }
}

/// Adds the keys of `defaults` that `target` lacks, recursively; what is set stays.
fn merge_missing(target: &mut Value, defaults: &Value) {
    if let (Some(t), Some(d)) = (target.as_object_mut(), defaults.as_object()) {
        for (k, v) in d {
            match t.get_mut(k) {
                Some(existing) => merge_missing(existing, v),
                None => {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
    }
}

/// The schema rules for one caller.
#[derive(Debug, Clone, Copy)]
pub struct Schema<'a> {
    store: &'a Store,
    caller: Caller<'a>,
}

impl<'a> Schema<'a> {
    /// The rules over `store` for `caller`.
    pub fn new(store: &'a Store, caller: Caller<'a>) -> Self {
        Schema { store, caller }
    }

    /// `GET /v1/schema`: the classes the caller may read. Recorded on v1.38.11: with the admin
    /// list, a caller on no list gets `null` when classes exist, `[]` when none.
    pub fn list(&self) -> Value {
        let classes = self.store.classes();
        if let Some(list) = self.caller.authorizer().admin_list() {
            if !list.lists(self.caller.principal()) {
                return json!({"classes": if classes.is_empty() { json!([]) } else { Value::Null }});
            }
        }
        let visible: Vec<Value> = classes
            .into_iter()
            .filter(|c| {
                let name = c["class"].as_str().unwrap_or("").to_owned();
                self.caller.allows(Verb::Read, &Resource::Collections(name))
            })
            .collect();
        json!({"classes": visible})
    }

    /// `POST /v1/schema`: the permission on the named class first, then the name, then existence.
    pub fn create(&self, body: Option<Value>) -> Result<Value, Error> {
        let name = class_name(body.as_ref());
        self.caller.authorize(Verb::Create, Resource::Collections(name.clone()))?;
        if !valid_class_name(&name) {
            return Err(Error::InvalidClassName(name));
        }
        let mut definition = body.unwrap_or(Value::Null);
        if let Some(obj) = definition.as_object_mut() {
            // Recorded on v1.38.11: a class sent without properties has `"properties": null`.
            obj.entry("properties").or_insert(Value::Null);
            obj.insert("class".into(), json!(name));
        }
        fill_class_defaults(&mut definition);
        self.store.create_class(&name, definition.clone()).map_err(|e| match e {
            StoreError::Exists | StoreError::Missing => Error::ClassExists(name),
        })?;
        Ok(definition)
    }

    /// `GET /v1/schema/{name}`: permission before existence.
    pub fn get(&self, name: &str) -> Result<Value, Error> {
        let name = &canonical(name);
        self.caller.authorize(Verb::Read, Resource::Collections(name.to_owned()))?;
        self.store.class(name).ok_or(Error::EmptyNotFound)
    }

    /// `PUT /v1/schema/{name}`: replaces the definition; the body is read after the permission check.
    pub fn update(&self, name: &str, body: Result<Option<Value>, Error>) -> Result<Value, Error> {
        let name = &canonical(name);
        self.caller.authorize(Verb::Update, Resource::Collections(name.to_owned()))?;
        let definition = body?.unwrap_or(Value::Null);
        self.store
            .update_class(name, |class| {
                *class = definition.clone();
            })
            .map_err(|_| Error::EmptyNotFound)?;
        Ok(definition)
    }

    /// `POST /v1/schema/{name}/properties`: appends a property; the body is read after the permission check.
    pub fn add_property(&self, name: &str, body: Result<Option<Value>, Error>) -> Result<Value, Error> {
        let name = &canonical(name);
        self.caller.authorize(Verb::Update, Resource::Collections(name.to_owned()))?;
        let property = body?.unwrap_or(Value::Null);
        self.store
            .update_class(name, |class| {
                if !class["properties"].is_array() {
                    class["properties"] = json!([]);
                }
                if let Some(list) = class.get_mut("properties").and_then(Value::as_array_mut) {
                    let mut added = property.clone();
                    if let Some(obj) = added.as_object_mut() {
                        fill_property_defaults(obj);
                    }
                    list.push(added);
                }
            })
            .map_err(|_| Error::EmptyNotFound)?;
        Ok(property)
    }

    /// `DELETE /v1/schema/{name}`: authorization comes before existence (spec 4.1), and deleting
    /// a missing class succeeds, as in Weaviate.
    pub fn delete(&self, name: &str) -> Result<(), Error> {
        let name = &canonical(name);
        self.caller.authorize(Verb::Delete, Resource::Collections(name.to_owned()))?;
        self.store.delete_class(name);
        Ok(())
    }
}

/// The `class` member of a body as Weaviate uses it (`canonical`), or `""`.
pub fn class_name(body: Option<&Value>) -> String {
    canonical(body.and_then(|b| b["class"].as_str()).unwrap_or(""))
}

/// Recorded on v1.38.11: Weaviate upper-cases the first letter of every class name it is given,
/// in bodies and paths alike (`lower` is stored, found, authorized and deleted as `Lower`).
pub fn canonical(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Weaviate's class-name rule: a capital letter, then letters, digits and `_`, 255 at most.
fn valid_class_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && name.len() <= 255
}

/// Auto-schema (on by default in v1.38.11): creates the class an object names if it is missing,
/// and adds a typed property for each value the class does not define, as v1.38.11 does
/// (recorded): numbers are `number`, RFC 3339 strings `date`, uuid strings `uuid`, other strings,
/// `null` and empty arrays `text`/`text[]`, maps `object` with nested properties. Each gets
/// Weaviate's dated description and the property defaults; v1.38.11 lists them in map order,
/// which varies, the emulation by name.
pub fn auto_schema(store: &Store, class: &str, properties: &Value) {
    let stamp = auto_schema_stamp();
    store.ensure_class(class, || {
        let mut definition = json!({"class": class, "description": format!("This property was generated by Weaviate's auto-schema feature on {stamp}"), "properties": []});
        fill_class_defaults(&mut definition);
        definition
    });
    let Some(values) = properties.as_object() else { return };
    // The class exists now; `Missing` cannot happen and would leave it unchanged.
    let _ = store.update_class(class, |definition| {
        if !definition["properties"].is_array() {
            definition["properties"] = json!([]);
        }
        let Some(list) = definition.get_mut("properties").and_then(Value::as_array_mut) else {
            return;
        };
        for (name, value) in values {
            if list.iter().any(|p| p["name"].as_str() == Some(name)) {
                continue;
            }
            let mut property = inferred_property(name, value, false, &stamp);
            if let Some(obj) = property.as_object_mut() {
                fill_property_defaults(obj);
            }
            list.push(property);
        }
    });
}

fn inferred_property(name: &str, value: &Value, nested: bool, stamp: &str) -> Value {
    let data_type = inferred_type(value);
    let kind = if nested { "nested property" } else { "property" };
    let mut property = json!({
        "dataType": [data_type],
        "description": format!("This {kind} was generated by Weaviate's auto-schema feature on {stamp}"),
        "name": name,
    });
    let members = match value {
        Value::Object(map) => Some(map),
        Value::Array(items) => items.first().and_then(Value::as_object),
        _ => None,
    };
    if let Some(map) = members.filter(|_| data_type.starts_with("object")) {
        let mut nested_properties: Vec<Value> = map.iter().map(|(k, v)| inferred_property(k, v, true, stamp)).collect();
        nested_properties
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(fill_nested_defaults);
        property["nestedProperties"] = Value::Array(nested_properties);
    }
    property
}

fn inferred_type(value: &Value) -> &'static str {
    let scalar = |v: &Value| match v {
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Object(_) => "object",
        Value::String(s) if time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok() => "date",
        Value::String(s) if s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() => "uuid",
        Value::String(_) | Value::Null | Value::Array(_) => "text",
    };
    match value {
        Value::Array(items) => match items.first().map(scalar) {
            Some("number") => "number[]",
            Some("boolean") => "boolean[]",
            Some("object") => "object[]",
            Some("date") => "date[]",
            Some("uuid") => "uuid[]",
            _ => "text[]",
        },
        other => scalar(other),
    }
}

/// Now as Go's `time.ANSIC` prints it in UTC, e.g. `Sun Dec  6 01:30:13 2026`.
fn auto_schema_stamp() -> String {
    let t = time::OffsetDateTime::now_utc();
    let weekday = t.weekday().to_string();
    let month = t.month().to_string();
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        &weekday[..3],
        &month[..3],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization::Authorizer;
    use crate::config::Config;

    fn created(definition: Value) -> Value {
        let store = Store::default();
        let authorizer = Authorizer::from_config(&Config::default());
        let schema = Schema::new(&store, authorizer.caller(None));
        let name = class_name(Some(&definition));
        let created = schema.create(Some(definition)).expect("a new class");
        assert_eq!(store.class(&name).as_ref(), Some(&created), "what is answered is what is kept");
        created
    }

    #[test]
    fn a_new_class_gets_weaviates_index_defaults_and_keeps_what_it_sets() {
        let created = created(
            json!({"class": "A", "vectorConfig": {"default": {"vectorizer": {"none": {}}, "vectorIndexConfig": {"distance": "dot"}}}}),
        );
        let vector = &created["vectorConfig"]["default"];
        assert_eq!(vector["vectorIndexType"], "hnsw");
        assert_eq!(vector["vectorIndexConfig"]["distance"], "dot", "a set value stays");
        assert_eq!(vector["vectorIndexConfig"]["efConstruction"], 128);
        assert_eq!(created["invertedIndexConfig"]["bm25"]["k1"], 1.2);
        assert_eq!(created["multiTenancyConfig"]["enabled"], false);
    }

    #[test]
    fn a_legacy_single_vectorizer_class_gets_the_top_level_index_pair() {
        let created = created(json!({"class": "B", "vectorizer": "none"}));
        assert_eq!(created["vectorIndexType"], "hnsw");
        assert_eq!(created["vectorIndexConfig"]["distance"], "cosine");
    }

    #[test]
    fn auto_schema_types_what_objects_carry_as_v1_38_11_does() {
        let store = Store::default();
        let props = json!({"t": "x", "n": 3, "b": true, "d": "2024-01-01T00:00:00Z",
            "u": "00000000-0000-0000-0000-000000000001", "e": [], "z": null, "na": [1.5], "o": {"k": "v"}});
        auto_schema(&store, "Auto", &props);
        let class = store.class("Auto").expect("a class");
        let types: Vec<(String, String)> = class["properties"]
            .as_array()
            .expect("properties")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("").to_owned(),
                    p["dataType"][0].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let want = [
            ("b", "boolean"),
            ("d", "date"),
            ("e", "text[]"),
            ("n", "number"),
            ("na", "number[]"),
            ("o", "object"),
            ("t", "text"),
            ("u", "uuid"),
            ("z", "text"),
        ];
        assert_eq!(types, want.map(|(a, b)| (a.to_owned(), b.to_owned())).to_vec());
        assert_eq!(class["vectorizer"], "none");
        let object = &class["properties"][5];
        assert_eq!(object["nestedProperties"][0]["tokenization"], "word");
        assert!(object["nestedProperties"][0]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("This nested property was generated by Weaviate's auto-schema feature on ")));
        assert_eq!(auto_schema_stamp().len(), "Sun Dec  6 01:30:13 2026".len());
    }

    #[test]
    fn a_duplicate_class_in_another_case_is_refused() {
        let store = Store::default();
        let authorizer = Authorizer::from_config(&Config::default());
        let schema = Schema::new(&store, authorizer.caller(None));
        schema.create(Some(json!({"class": "Book"}))).expect("a new class");
        assert_eq!(
            schema.create(Some(json!({"class": "BOOK"}))),
            Err(Error::ClassExists("BOOK".into()))
        );
        assert_eq!(schema.create(Some(json!({}))), Err(Error::InvalidClassName(String::new())));
    }
}
