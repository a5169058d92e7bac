//! Objects (`/v1/objects` and gRPC `BatchObjects`/`BatchStream`): who reads and writes which
//! object, in Weaviate's order, and whether its property values fit the class
//! (`property_types.rs`). The objects are kept in `store.rs`; the REST handlers
//! (`rest/objects.rs`) and the gRPC service call `Objects`.

pub mod property_types;

use serde_json::{json, Value};

use crate::authorization::{Caller, Resource, Verb};
use crate::error::Error;
use crate::schema::{auto_schema, canonical, class_name};
use crate::store::{Store, StoreError};
use property_types::Transport;

/// The object rules for one caller.
#[derive(Debug, Clone, Copy)]
pub struct Objects<'a> {
    store: &'a Store,
    caller: Caller<'a>,
}

/// One object as REST's reads show it: with `"vectorWeights": null` (recorded on v1.38.11).
fn as_read(mut object: Value) -> Value {
    object["vectorWeights"] = Value::Null;
    object
}

fn object_resource(class: &str, id: &str) -> Resource {
    Resource::Object {
        collection: class.to_owned(),
        id: id.to_owned(),
    }
}

impl<'a> Objects<'a> {
    /// The rules over `store` for `caller`.
    pub fn new(store: &'a Store, caller: Caller<'a>) -> Self {
        Objects { store, caller }
    }

    /// Whether `properties` fit the class `class` (a class not yet defined takes anything).
    fn check_types(&self, class: &str, properties: &Value, transport: Transport) -> Result<(), String> {
        match self.store.class(class) {
            Some(definition) => property_types::check(class, &definition, properties, transport),
            None => Ok(()),
        }
    }

    /// `GET /v1/objects[?class=C]`. Recorded on v1.38.11: with a class, a denial comes wrapped,
    /// an unknown class is an empty 404 and `deprecations` is `[]`; without, it is `null`.
    pub fn list(&self, class: Option<&str>) -> Result<Value, Error> {
        let class = class.map(canonical);
        match &class {
            Some(c) => {
                self.caller
                    .authorize(Verb::Read, Resource::Data(c.clone()))
                    .map_err(|e| Error::ClassFilterDenied(e.to_string()))?;
                if self.store.class(c).is_none() {
                    return Err(Error::EmptyNotFound);
                }
            }
            None => self.caller.authorize(Verb::Read, Resource::Data("*".into()))?,
        }
        let objects: Vec<Value> = self.store.objects(class.as_deref()).into_iter().map(as_read).collect();
        let total = objects.len();
        Ok(json!({
            "deprecations": if class.is_some() { json!([]) } else { Value::Null },
            "objects": objects,
            "totalResults": total,
        }))
    }

    /// `POST /v1/objects`: the permission on the named class first; a missing id is generated and
    /// a missing class created (Weaviate's auto-schema is on by default); the property values
    /// must fit the class.
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
        self.check_types(&class, &properties, Transport::Rest)
            .map_err(Error::InvalidObject)?;
        if self.store.object(&class, &id).is_some() {
            return Err(Error::ObjectExists(id));
        }
        auto_schema(self.store, &class, &properties);
        self.store.put_object(&class, &id, properties, true).map_err(|e| match e {
            StoreError::Exists | StoreError::Missing => Error::ObjectExists(id),
        })
    }

    /// `GET` or `HEAD /v1/objects/{class}/{id}`: permission (on the object) before existence.
    pub fn get(&self, class: &str, id: &str) -> Result<Value, Error> {
        let class = canonical(class);
        self.caller.authorize(Verb::Read, object_resource(&class, id))?;
        self.store.object(&class, id).map(as_read).ok_or(Error::EmptyNotFound)
    }

    /// `PUT /v1/objects/{class}/{id}`: replaces the properties of an existing object. Recorded on
    /// v1.38.11: a body is required, its `id` must be the path's, its `class` must be set (and
    /// is the one looked up), and the values must fit the class.
    pub fn replace(&self, class: &str, id: &str, body: Result<Option<Value>, Error>) -> Result<Value, Error> {
        self.caller.authorize(Verb::Update, object_resource(&canonical(class), id))?;
        let body = body?.ok_or(Error::BodyRequired)?;
        if body["id"].as_str() != Some(id) {
            return Err(Error::ObjectIdImmutable);
        }
        let class = class_name(Some(&body));
        if class.is_empty() {
            return Err(Error::ObjectClassEmpty);
        }
        if self.store.object(&class, id).is_none() {
            return Err(Error::EmptyNotFound);
        }
        let properties = body.get("properties").cloned().unwrap_or(json!({}));
        self.check_types(&class, &properties, Transport::Rest)
            .map_err(Error::InvalidObject)?;
        auto_schema(self.store, &class, &properties);
        self.store
            .put_object(&class, id, properties, false)
            .map_err(|_| Error::EmptyNotFound)
    }

    /// `PATCH /v1/objects/{class}/{id}`: merges the properties into the existing object (the
    /// body's class and id are not used). Recorded on v1.38.11: a denial comes wrapped, a
    /// missing body is an empty 400, a bad value a wrapped 422.
    pub fn merge(&self, class: &str, id: &str, body: Result<Option<Value>, Error>) -> Result<(), Error> {
        let class = canonical(class);
        self.caller
            .authorize(Verb::Update, object_resource(&class, id))
            .map_err(|e| Error::ClassFilterDenied(e.to_string()))?;
        let body = body?.ok_or(Error::MergeBodyMissing)?;
        let existing = self.store.object(&class, id).ok_or(Error::EmptyNotFound)?;
        let mut properties = existing["properties"].clone();
        if !properties.is_object() {
            properties = json!({});
        }
        if let (Some(target), Some(update)) = (properties.as_object_mut(), body["properties"].as_object()) {
            for (k, v) in update {
                target.insert(k.clone(), v.clone());
            }
        }
        self.check_types(&class, &properties, Transport::Rest)
            .map_err(Error::InvalidMerge)?;
        auto_schema(self.store, &class, &properties);
        self.store
            .put_object(&class, id, properties, false)
            .map_err(|_| Error::EmptyNotFound)?;
        Ok(())
    }

    /// `DELETE /v1/objects/{class}/{id}`.
    pub fn delete(&self, class: &str, id: &str) -> Result<(), Error> {
        let class = canonical(class);
        self.caller.authorize(Verb::Delete, object_resource(&class, id))?;
        if self.store.delete_object(&class, id) {
            Ok(())
        } else {
            Err(Error::EmptyNotFound)
        }
    }

    /// `GET /v1/objects/{id}` (deprecated): read permission on that id in every collection.
    pub fn get_by_id(&self, id: &str) -> Result<Value, Error> {
        self.caller.authorize(Verb::Read, object_resource("*", id))?;
        self.store.object_by_id(id).map(as_read).ok_or(Error::EmptyNotFound)
    }

    /// `DELETE /v1/objects/{id}` (deprecated): delete permission on that id in every collection.
    pub fn delete_by_id(&self, id: &str) -> Result<(), Error> {
        self.caller.authorize(Verb::Delete, object_resource("*", id))?;
        let object = self.store.object_by_id(id).ok_or(Error::EmptyNotFound)?;
        self.store.delete_object(object["class"].as_str().unwrap_or(""), id);
        Ok(())
    }

    /// One object of a gRPC batch. Recorded on v1.38.11: the permission is `U` on the object's
    /// collection (`objects/*`), and a denial or a value that does not fit is this object's
    /// error, not the call's.
    pub fn batch_put(&self, class: &str, id: &str, properties: Value) -> Result<(), Error> {
        let class = canonical(class);
        self.caller.authorize(Verb::Update, Resource::Data(class.clone()))?;
        self.check_types(&class, &properties, Transport::Grpc)
            .map_err(Error::InvalidProperty)?;
        auto_schema(self.store, &class, &properties);
        if self.store.put_object(&class, id, properties.clone(), false).is_err() {
            self.store
                .put_object(&class, id, properties, true)
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
            .replace(
                "book",
                id,
                Ok(Some(json!({"class": "book", "id": id, "properties": {"title": "b"}}))),
            )
            .expect("a replaced object");
        assert_eq!(replaced["creationTimeUnix"], created["creationTimeUnix"]);
        assert_eq!(objects.list(Some("Book")).expect("a list")["totalResults"], 1);
        assert_eq!(objects.create(&json!({"properties": {}})), Err(Error::ObjectClassEmpty));
        assert_eq!(
            objects.replace("Book", id, Ok(Some(json!({"class": "Book"})))),
            Err(Error::ObjectIdImmutable)
        );
        objects
            .merge("Book", id, Ok(Some(json!({"properties": {"pages": 3}}))))
            .expect("a merge");
        let merged = objects.get("Book", id).expect("the object");
        assert_eq!(merged["properties"], json!({"pages": 3, "title": "b"}));
        assert_eq!(merged["vectorWeights"], Value::Null);
        assert_eq!(objects.list(Some("Nothing")), Err(Error::EmptyNotFound));
    }

    #[test]
    fn values_that_do_not_fit_the_class_are_refused_in_each_transport_s_words() {
        let store = Store::default();
        let authorizer = Authorizer::from_config(&Config::default());
        crate::schema::Schema::new(&store, authorizer.caller(None))
            .create(Some(
                json!({"class": "Book", "properties": [{"name": "title", "dataType": ["text"]}]}),
            ))
            .expect("a class");
        let objects = Objects::new(&store, authorizer.caller(None));
        assert_eq!(
            objects.create(&json!({"class": "Book", "properties": {"title": 5}})),
            Err(Error::InvalidObject(
                "invalid text property 'title' on class 'Book': not a string, but json.Number".into()
            ))
        );
        assert_eq!(
            objects.batch_put("Book", "00000000-0000-0000-0000-000000000001", json!({"title": 5.0})),
            Err(Error::InvalidProperty(
                "invalid text property 'title' on class 'Book': not a string, but float64".into()
            ))
        );
    }
}
