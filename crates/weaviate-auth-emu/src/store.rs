//! In-memory schema classes and objects: just enough create/read/update/delete/list for read-only
//! versus write access to be real. Only storage: what a class or object must look like, and what
//! Weaviate adds to it, is decided in `schema.rs` and `objects.rs`. No vectors; not Weaviate's storage.

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

/// Why a store operation failed; `schema.rs` and `objects.rs` turn it into Weaviate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The class or object does not exist.
    Missing,
    /// The class or object exists already.
    Exists,
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

    /// Adds a class unless one of the same name in any case exists.
    pub fn create_class(&self, name: &str, definition: Value) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner.classes.keys().any(|c| c.eq_ignore_ascii_case(name)) {
            return Err(StoreError::Exists);
        }
        inner.classes.insert(name.to_owned(), definition);
        Ok(())
    }

    /// Adds a class if none of that exact name exists (auto-schema).
    pub fn ensure_class(&self, name: &str, definition: impl FnOnce() -> Value) {
        self.lock().classes.entry(name.to_owned()).or_insert_with(definition);
    }

    /// Changes a class definition in place.
    pub fn update_class<T>(&self, name: &str, change: impl FnOnce(&mut Value) -> T) -> Result<T, StoreError> {
        let mut inner = self.lock();
        let class = inner.classes.get_mut(name).ok_or(StoreError::Missing)?;
        Ok(change(class))
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

    /// Stores an object: `create` refuses an existing id, otherwise a missing one is refused.
    /// The creation time of a replaced object stays.
    pub fn put_object(&self, class: &str, id: &str, properties: Value, create: bool) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        let key = (class.to_owned(), id.to_owned());
        let exists = inner.objects.contains_key(&key);
        if create && exists {
            return Err(StoreError::Exists);
        }
        if !create && !exists {
            return Err(StoreError::Missing);
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
