//! In-memory schema classes and objects: just enough create/read/update/delete/list for read-only
//! versus write access to be real. No vectors, no validation beyond names; not Weaviate's storage.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};

/// Classes by name and objects by (class, id).
#[derive(Debug, Default)]
pub struct Store {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    classes: BTreeMap<String, Value>,
    objects: BTreeMap<(String, String), Value>,
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The class or object does not exist.
    Missing,
    /// The class or object exists already (the text of the 422).
    Exists(String),
}

/// The configuration v1.38.11 gives a class that does not set it (recorded from
/// `GET /v1/schema/{class}` after a client's `collections.create`): the Python client reads
/// `vectorIndexConfig` and asserts it is there before it starts a batch.
const CLASS_DEFAULTS: &str = include_str!("class_defaults.json");

/// Fills what the class leaves unset with Weaviate's defaults: the index, multi-tenancy,
/// sharding and replication settings, and each named vector's `vectorIndexType` and
/// `vectorIndexConfig` (the top-level pair when the class uses the legacy single vectorizer).
fn fill_class_defaults(class: &mut Value) {
    let Ok(Value::Object(defaults)) = serde_json::from_str::<Value>(CLASS_DEFAULTS) else {
        return;
    };
    let Some(obj) = class.as_object_mut() else { return };
    for key in ["invertedIndexConfig", "multiTenancyConfig", "shardingConfig", "replicationConfig"] {
        if let Some(d) = defaults.get(key) {
            merge_missing(obj.entry(key).or_insert_with(|| json!({})), d);
        }
    }
    let index = |target: &mut serde_json::Map<String, Value>| {
        target
            .entry("vectorIndexType")
            .or_insert_with(|| defaults["vectorIndexType"].clone());
        merge_missing(
            target.entry("vectorIndexConfig").or_insert_with(|| json!({})),
            &defaults["vectorIndexConfig"],
        );
    };
    let legacy = !obj.contains_key("vectorConfig") && obj.contains_key("vectorizer");
    if legacy {
        index(obj);
    } else if let Some(vectors) = obj.get_mut("vectorConfig").and_then(Value::as_object_mut) {
        vectors.values_mut().filter_map(Value::as_object_mut).for_each(index);
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

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every class definition, ordered by name.
    pub fn classes(&self) -> Vec<Value> {
        self.lock().classes.values().cloned().collect()
    }

    /// One class definition.
    pub fn class(&self, name: &str) -> Option<Value> {
        self.lock().classes.get(name).cloned()
    }

    /// Adds a class (`definition` must carry `class`).
    pub fn create_class(&self, name: &str, mut definition: Value) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        if inner.classes.keys().any(|c| c.eq_ignore_ascii_case(name)) {
            return Err(StoreError::Exists(format!("class name {name} already exists")));
        }
        if let Some(obj) = definition.as_object_mut() {
            obj.entry("properties").or_insert_with(|| json!([]));
        }
        fill_class_defaults(&mut definition);
        inner.classes.insert(name.to_owned(), definition.clone());
        Ok(definition)
    }

    /// Replaces a class definition.
    pub fn update_class(&self, name: &str, definition: Value) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        let slot = inner.classes.get_mut(name).ok_or(StoreError::Missing)?;
        *slot = definition.clone();
        Ok(definition)
    }

    /// Appends a property to a class.
    pub fn add_property(&self, name: &str, property: Value) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        let class = inner.classes.get_mut(name).ok_or(StoreError::Missing)?;
        if let Some(list) = class.get_mut("properties").and_then(Value::as_array_mut) {
            list.push(property.clone());
        }
        Ok(property)
    }

    /// Deletes a class and its objects (deleting a missing class succeeds, as in Weaviate).
    pub fn delete_class(&self, name: &str) {
        let mut inner = self.lock();
        inner.classes.remove(name);
        inner.objects.retain(|(c, _), _| c != name);
    }

    /// Objects, optionally of one class.
    pub fn objects(&self, class: Option<&str>) -> Vec<Value> {
        self.lock()
            .objects
            .iter()
            .filter(|((c, _), _)| class.is_none_or(|want| want == c))
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// One object.
    pub fn object(&self, class: &str, id: &str) -> Option<Value> {
        self.lock().objects.get(&(class.to_owned(), id.to_owned())).cloned()
    }

    /// The first object with `id`, whatever its class.
    pub fn object_by_id(&self, id: &str) -> Option<Value> {
        self.lock().objects.iter().find(|((_, i), _)| i == id).map(|(_, o)| o.clone())
    }

    /// Stores an object, creating its class first if needed (Weaviate's auto-schema is on by default).
    pub fn put_object(&self, class: &str, id: &str, properties: Value, create: bool) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        let key = (class.to_owned(), id.to_owned());
        let exists = inner.objects.contains_key(&key);
        if create && exists {
            return Err(StoreError::Exists(format!("id '{id}' already exists")));
        }
        if !create && !exists {
            return Err(StoreError::Missing);
        }
        if !inner.classes.contains_key(class) {
            inner.classes.insert(class.to_owned(), json!({"class": class, "properties": []}));
        }
        let now = time::OffsetDateTime::now_utc();
        let millis = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let created = inner
            .objects
            .get(&key)
            .and_then(|o| o.get("creationTimeUnix").cloned())
            .unwrap_or(json!(millis));
        let object = json!({
            "class": class,
            "creationTimeUnix": created,
            "id": id,
            "lastUpdateTimeUnix": millis,
            "properties": properties,
        });
        inner.objects.insert(key, object.clone());
        Ok(object)
    }

    /// Deletes an object; false if missing.
    pub fn delete_object(&self, class: &str, id: &str) -> bool {
        self.lock().objects.remove(&(class.to_owned(), id.to_owned())).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_class_gets_weaviates_index_defaults_and_keeps_what_it_sets() {
        let store = Store::default();
        let class =
            json!({"class": "A", "vectorConfig": {"default": {"vectorizer": {"none": {}}, "vectorIndexConfig": {"distance": "dot"}}}});
        let created = store.create_class("A", class).expect("a new class");
        let vector = &created["vectorConfig"]["default"];
        assert_eq!(vector["vectorIndexType"], "hnsw");
        assert_eq!(vector["vectorIndexConfig"]["distance"], "dot", "a set value stays");
        assert_eq!(vector["vectorIndexConfig"]["efConstruction"], 128);
        assert_eq!(created["invertedIndexConfig"]["bm25"]["k1"], 1.2);
        assert_eq!(created["multiTenancyConfig"]["enabled"], false);
        assert_eq!(store.class("A"), Some(created));
    }

    #[test]
    fn a_legacy_single_vectorizer_class_gets_the_top_level_index_pair() {
        let created = Store::default()
            .create_class("B", json!({"class": "B", "vectorizer": "none"}))
            .expect("a new class");
        assert_eq!(created["vectorIndexType"], "hnsw");
        assert_eq!(created["vectorIndexConfig"]["distance"], "cosine");
    }
}
