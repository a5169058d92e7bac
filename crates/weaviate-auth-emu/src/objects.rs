//! Objects (`/v1/objects` and gRPC `BatchObjects`): who reads and writes which object, in
//! Weaviate's order. The objects are kept in `store.rs`; the REST handlers (`rest/objects.rs`) and
//! the gRPC service call `Objects`.

use serde_json::{json, Value};

use crate::authorization::{Caller, Resource, Verb};
use crate::error::Error;
use crate::schema::{auto_class, class_name};
use crate::store::{Store, StoreError};

/// The object rules for one caller.
#[derive(Debug, Clone, Copy)]
pub struct Objects<'a> {
    store: &'a Store,
    caller: Caller<'a>,
}

impl<'a> Objects<'a> {
    /// The rules over `store` for `caller`.
    pub fn new(store: &'a Store, caller: Caller<'a>) -> Self {
        Objects { store, caller }
    }

    /// `GET /v1/objects[?class=C]`. Recorded on v1.38.11: with a class, a denial comes wrapped
    /// and `deprecations` is `[]`; without, it is `null`.
    pub fn list(&self, class: Option<&str>) -> Result<Value, Error> {
        match class {
            Some(c) => self
                .caller
                .authorize(Verb::Read, Resource::Data(c.to_owned()))
                .map_err(|e| Error::ClassFilterDenied(e.to_string()))?,
            None => self.caller.authorize(Verb::Read, Resource::Data("*".into()))?,
        }
        let objects: Vec<Value> = self
            .store
            .objects(class)
            .into_iter()
            .map(|mut o| {
                o["vectorWeights"] = Value::Null;
                o
            })
            .collect();
        let total = objects.len();
        Ok(json!({
            "deprecations": if class.is_some() { json!([]) } else { Value::Null },
            "objects": objects,
            "totalResults": total,
        }))
    }

    /// `POST /v1/objects`: the permission on the named class first; a missing id is generated and
    /// a missing class created (Weaviate's auto-schema is on by default).
    pub fn create(&self, body: &Value) -> Result<Value, Error> {
        let class = class_name(Some(body));
        self.caller.authorize(Verb::Create, Resource::Data(class.clone()))?;
        if class.is_empty() {
            return Err(Error::ObjectClassEmpty);
        }
        let id = body["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let properties = body.get("properties").cloned().unwrap_or(json!({}));
        self.store.ensure_class(&class, || auto_class(&class));
        self.store.put_object(&class, &id, properties, true).map_err(|e| match e {
            StoreError::Exists | StoreError::Missing => Error::ObjectExists(id),
        })
    }

    /// `GET` or `HEAD /v1/objects/{class}/{id}`: permission before existence.
    pub fn get(&self, class: &str, id: &str) -> Result<Value, Error> {
        self.caller.authorize(Verb::Read, Resource::Data(class.to_owned()))?;
        self.store.object(class, id).ok_or(Error::EmptyNotFound)
    }

    /// `PUT` or `PATCH /v1/objects/{class}/{id}`: replaces the properties of an existing object;
    /// the body is read after the permission check.
    pub fn update(&self, class: &str, id: &str, body: Result<Option<Value>, Error>) -> Result<Value, Error> {
        self.caller.authorize(Verb::Update, Resource::Data(class.to_owned()))?;
        let body = body?.unwrap_or(Value::Null);
        let properties = body.get("properties").cloned().unwrap_or(json!({}));
        self.store
            .put_object(class, id, properties, false)
            .map_err(|_| Error::EmptyNotFound)
    }

    /// `DELETE /v1/objects/{class}/{id}`.
    pub fn delete(&self, class: &str, id: &str) -> Result<(), Error> {
        self.caller.authorize(Verb::Delete, Resource::Data(class.to_owned()))?;
        if self.store.delete_object(class, id) {
            Ok(())
        } else {
            Err(Error::EmptyNotFound)
        }
    }

    /// `GET /v1/objects/{id}` (deprecated): read permission on every collection.
    pub fn get_by_id(&self, id: &str) -> Result<Value, Error> {
        self.caller.authorize(Verb::Read, Resource::Data("*".into()))?;
        self.store.object_by_id(id).ok_or(Error::EmptyNotFound)
    }

    /// `DELETE /v1/objects/{id}` (deprecated): delete permission on every collection.
    pub fn delete_by_id(&self, id: &str) -> Result<(), Error> {
        self.caller.authorize(Verb::Delete, Resource::Data("*".into()))?;
        let object = self.store.object_by_id(id).ok_or(Error::EmptyNotFound)?;
        self.store.delete_object(object["class"].as_str().unwrap_or(""), id);
        Ok(())
    }

    /// One object of a gRPC batch. Recorded on v1.38.11: the permission is `U` on the object's
    /// collection, and a denial is this object's error, not the call's.
    pub fn batch_put(&self, class: &str, id: &str, properties: Value) -> Result<(), Error> {
        self.caller.authorize(Verb::Update, Resource::Data(class.to_owned()))?;
        self.store.ensure_class(class, || auto_class(class));
        if self.store.put_object(class, id, properties.clone(), false).is_err() {
            self.store
                .put_object(class, id, properties, true)
                .map_err(|_| Error::ObjectExists(id.to_owned()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization::Authorizer;
    use crate::config::Config;

    #[test]
    fn an_object_creates_its_class_and_keeps_its_creation_time_when_replaced() {
        let store = Store::default();
        let authorizer = Authorizer::from_config(&Config::default());
        let objects = Objects::new(&store, authorizer.caller(None));
        let id = "00000000-0000-0000-0000-000000000001";
        let created = objects
            .create(&json!({"class": "Book", "id": id, "properties": {"title": "a"}}))
            .expect("a new object");
        assert!(store.class("Book").is_some(), "auto-schema");
        assert_eq!(
            objects.create(&json!({"class": "Book", "id": id})),
            Err(Error::ObjectExists(id.into()))
        );
        let replaced = objects
            .update("Book", id, Ok(Some(json!({"properties": {"title": "b"}}))))
            .expect("a replaced object");
        assert_eq!(replaced["creationTimeUnix"], created["creationTimeUnix"]);
        assert_eq!(objects.list(Some("Book")).expect("a list")["totalResults"], 1);
        assert_eq!(objects.create(&json!({"properties": {}})), Err(Error::ObjectClassEmpty));
    }
}
