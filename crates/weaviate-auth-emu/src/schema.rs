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
        if name.is_empty() {
            return Err(Error::InvalidClassName(name));
        }
        let mut definition = body.unwrap_or(Value::Null);
        if let Some(obj) = definition.as_object_mut() {
            obj.entry("properties").or_insert_with(|| json!([]));
        }
        fill_class_defaults(&mut definition);
        self.store.create_class(&name, definition.clone()).map_err(|e| match e {
            StoreError::Exists | StoreError::Missing => Error::ClassExists(name),
        })?;
        Ok(definition)
    }

    /// `GET /v1/schema/{name}`: permission before existence.
    pub fn get(&self, name: &str) -> Result<Value, Error> {
        self.caller.authorize(Verb::Read, Resource::Collections(name.to_owned()))?;
        self.store.class(name).ok_or(Error::EmptyNotFound)
    }

    /// `PUT /v1/schema/{name}`: replaces the definition; the body is read after the permission check.
    pub fn update(&self, name: &str, body: Result<Option<Value>, Error>) -> Result<Value, Error> {
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
        self.caller.authorize(Verb::Update, Resource::Collections(name.to_owned()))?;
        let property = body?.unwrap_or(Value::Null);
        self.store
            .update_class(name, |class| {
                if let Some(list) = class.get_mut("properties").and_then(Value::as_array_mut) {
                    list.push(property.clone());
                }
            })
            .map_err(|_| Error::EmptyNotFound)?;
        Ok(property)
    }

    /// `DELETE /v1/schema/{name}`: authorization comes before existence (spec 4.1), and deleting
    /// a missing class succeeds, as in Weaviate.
    pub fn delete(&self, name: &str) -> Result<(), Error> {
        self.caller.authorize(Verb::Delete, Resource::Collections(name.to_owned()))?;
        self.store.delete_class(name);
        Ok(())
    }
}

/// The `class` member of a body, or `""`.
pub fn class_name(body: Option<&Value>) -> String {
    body.and_then(|b| b["class"].as_str()).unwrap_or("").to_owned()
}

/// The definition auto-schema gives a class that an object names before it exists.
pub fn auto_class(name: &str) -> Value {
    json!({"class": name, "properties": []})
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
