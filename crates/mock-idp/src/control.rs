//! The test control plane (P125-P130, P135-P149): `{base}/_mock/*` per tenant, `/_mock/*`
//! server-wide, and the same operations as methods of `Tenant` and `MockIdp` (P126).
//!
//! Handlers are thin: they parse (unknown fields and impossible values are a 400 that names the
//! field), call one `Tenant` method, and return JSON. Every method validates its whole request
//! before it changes anything, so a refused request leaves the tenant as it was. The logic of
//! keys lives in `rotation.rs`, of faults in `faults/`, of the journal in `journal.rs`.
//!
//! Routes (all JSON):
//!
//! | Route | Does |
//! |---|---|
//! | `GET/POST/DELETE {base}/_mock/faults`, `DELETE {base}/_mock/faults/{id}` | list, arm, clear faults |
//! | `GET/POST {base}/_mock/keys`, `POST {base}/_mock/keys/rotate` | list, add, rotate keys |
//! | `POST {base}/_mock/keys/{kid}/activate\|publish\|hide\|retire\|delete`, `DELETE {base}/_mock/keys/{kid}` | one key |
//! | `GET {base}/_mock/keys/{kid}/export` | private key, when `export_keys` (P37) |
//! | `GET/POST {base}/_mock/clock` | read, freeze, advance, offset, real |
//! | `GET/DELETE {base}/_mock/journal` (= `_mock/log`), `GET/DELETE {base}/_mock/counters` | journal |
//! | `GET {base}/_mock/log/wait?endpoint=jwks&count=N&timeout_ms=T` | wait, 408 on timeout |
//! | `GET/POST {base}/_mock/users`, `DELETE {base}/_mock/users/{name}`; same for `clients` | accounts |
//! | `POST {base}/_mock/reset` | back to the configured state |
//! | `GET/POST /_mock/issuers`, `DELETE /_mock/issuers/{name}` | tenants at runtime |
//!
//! Who may call them is decided in `admin.rs` (P125): once any admin token is configured, every
//! route but `/_mock/ready` and `/_mock/ca.pem` needs `Authorization: Bearer <token>`, and the
//! server-wide ones only take the server's token; with `server.control = false` they all answer
//! 404. The check runs in the layer (`middleware::layer`), before any handler.
//!
//! ```no_run
//! # async fn demo() {
//! use std::time::Duration;
//! use mock_idp::{Endpoint, FaultSpec, MockIdp};
//!
//! // Arrange: discovery answers 503 to the next two requests.
//! let idp = MockIdp::start().await;
//! idp.add_fault(FaultSpec::status(Endpoint::Discovery, 503).times(2)).unwrap();
//! // Act: start the relying party under test here; it should retry.
//! // Assert: it fetched discovery a third time, without any sleep in the test.
//! idp.wait_for(Endpoint::Discovery, 3, Duration::from_secs(10)).await.unwrap();
//! # }
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::accounts::{Accounts, Client, User};
use crate::clock::{ClockChange, ClockMode, ClockRequest};
use crate::config::{ClientConfig, Config, TenantConfig, UserConfig};
use crate::endpoint::Endpoint;
use crate::error::{ConfigError, Error, Result};
use crate::extract::TenantRef;
use crate::faults::{FaultInfo, FaultSpec, RawFaultSpec};
use crate::journal::{Entry, Query};
use crate::rotation::{AddKey, KeyAction, KeyList, RotateKeys, When};
use crate::state::AppState;
use crate::tenant::Tenant;

/// Largest JSON body of a control request.
pub const MAX_CONTROL_BODY: usize = 1024 * 1024;
/// Longest wait `_mock/log/wait` accepts, in milliseconds.
pub const MAX_WAIT_MS: u64 = 300_000;
/// Wait used when `timeout_ms` is absent.
pub const DEFAULT_WAIT_MS: u64 = 10_000;

/// The control routes, merged into `server::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_mock/issuers", get(list_issuers).post(create_issuer))
        .route("/_mock/issuers/{name}", delete(delete_issuer))
        .route("/{tenant}/_mock/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/{tenant}/_mock/faults/{id}", delete(remove_fault))
        .route("/{tenant}/_mock/keys", get(list_keys).post(add_key))
        .route("/{tenant}/_mock/keys/rotate", post(rotate_keys))
        .route("/{tenant}/_mock/keys/{kid}", delete(delete_key))
        .route("/{tenant}/_mock/keys/{kid}/{action}", get(export_key).post(key_action))
        .route("/{tenant}/_mock/clock", get(get_clock).post(set_clock))
        .route("/{tenant}/_mock/journal", get(journal).delete(clear_journal))
        .route("/{tenant}/_mock/log", get(journal).delete(clear_journal))
        .route("/{tenant}/_mock/journal/wait", get(wait))
        .route("/{tenant}/_mock/log/wait", get(wait))
        .route("/{tenant}/_mock/counters", get(counters).delete(clear_journal))
        .route("/{tenant}/_mock/users", get(list_users).post(put_user))
        .route("/{tenant}/_mock/users/{name}", delete(remove_user))
        .route("/{tenant}/_mock/clients", get(list_clients).post(put_client))
        .route("/{tenant}/_mock/clients/{id}", delete(remove_client))
        .route("/{tenant}/_mock/reset", post(reset))
        .merge(crate::debugger::routes())
}

// ---------------------------------------------------------------------------------------------
// Request parsing

fn invalid(message: impl Into<String>) -> Error {
    Error::BadControlRequest {
        error: "invalid_field",
        message: message.into(),
    }
}

/// A JSON body; an empty body reads as `{}`. Malformed JSON, unknown fields and wrong types are
/// a 400 whose message names the field (serde's text does).
#[derive(Debug, Clone)]
pub struct ControlJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ControlJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_CONTROL_BODY)
            .await
            .map_err(|_| Error::PayloadTooLarge)?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        serde_json::from_slice(text).map(ControlJson).map_err(|e| {
            // serde names unknown and missing fields itself; for a wrong type or value, name the
            // key just before the error position.
            let message = match field_at(text, e.line(), e.column()) {
                Some(f) if !e.to_string().starts_with("unknown field") && !e.to_string().starts_with("missing field") => {
                    format!("{f}: {e}")
                }
                _ => e.to_string(),
            };
            Error::BadControlRequest {
                error: "invalid_body",
                message,
            }
        })
    }
}

/// The last object key before `line`:`column` of a JSON text.
fn field_at(text: &[u8], line: usize, column: usize) -> Option<String> {
    let text = std::str::from_utf8(text).ok()?;
    let mut offset = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            offset += column.min(l.len());
            break;
        }
        offset += l.len() + 1;
    }
    let before = text.get(..offset.min(text.len()))?;
    let colon = before.rfind("\":")?;
    let start = before[..colon].rfind('"')?;
    Some(before[start + 1..colon].to_owned())
}

/// Query parameters, refusing any not in `allowed`.
fn query(uri: &Uri, allowed: &[&str]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if !allowed.contains(&k.as_ref()) {
            return Err(invalid(format!("{k}: unknown parameter (expected one of {})", allowed.join(", "))));
        }
        out.insert(k.into_owned(), v.into_owned());
    }
    Ok(out)
}

fn parse_num<T: std::str::FromStr>(params: &BTreeMap<String, String>, name: &str) -> Result<Option<T>> {
    params
        .get(name)
        .map(|v| v.parse::<T>().map_err(|_| invalid(format!("{name}: {v:?} is not a number"))))
        .transpose()
}

fn parse_endpoint(params: &BTreeMap<String, String>) -> Result<Option<Endpoint>> {
    params
        .get("endpoint")
        .map(|v| {
            Endpoint::parse(v).ok_or_else(|| {
                let names: Vec<&str> = Endpoint::ALL.iter().map(|e| e.as_str()).collect();
                invalid(format!("endpoint: {v:?} is not one of {}", names.join(", ")))
            })
        })
        .transpose()
}

type Segments = std::result::Result<Path<(String, String)>, PathRejection>;
type Segments3 = std::result::Result<Path<(String, String, String)>, PathRejection>;

fn second(p: Segments) -> Result<String> {
    p.map(|Path((_, x))| x).map_err(|e| invalid(e.body_text()))
}

// ---------------------------------------------------------------------------------------------
// Clock (P142, P143)

/// `GET {base}/_mock/clock`: the tenant time and how the clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClockView {
    /// Tenant time, fractional Unix seconds.
    pub now: f64,
    /// Tenant time as a NumericDate (what tokens carry).
    pub now_s: i64,
    /// `real`, `frozen` (with `at`) or `offset` (with `offset_s`).
    #[serde(flatten)]
    pub mode: ClockMode,
}

// ---------------------------------------------------------------------------------------------
// Tenants at runtime (P6, P130)

/// One tenant in `GET /_mock/issuers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuerInfo {
    /// Path segment.
    pub name: String,
    /// Exact issuer.
    pub issuer: String,
    /// Discovery URL.
    pub discovery: String,
}

impl IssuerInfo {
    fn of(t: &Tenant) -> IssuerInfo {
        IssuerInfo {
            name: t.name().to_owned(),
            issuer: t.issuer().as_str().to_owned(),
            discovery: t.discovery_url(),
        }
    }
}

fn config_error(e: ConfigError) -> Error {
    match e {
        ConfigError::Invalid { field, reason, .. } => {
            let field = field.strip_prefix("tenant[0].").unwrap_or(&field).to_owned();
            if reason.contains("exists already") {
                Error::BadControlRequest {
                    error: "already_exists",
                    message: format!("{field}: {reason}"),
                }
            } else {
                invalid(format!("{field}: {reason}"))
            }
        }
        other => invalid(format!("keys: {other}")),
    }
}

/// Lists the tenants.
pub fn issuers(state: &AppState) -> Vec<IssuerInfo> {
    state.tenants().iter().map(|t| IssuerInfo::of(t)).collect()
}

/// Creates a tenant from its configuration (validated as a config file would be).
pub fn create_tenant(state: &AppState, config: TenantConfig) -> Result<IssuerInfo> {
    let file = Config {
        tenants: vec![config.clone()],
        ..Config::default()
    };
    file.validate().map_err(|(field, reason)| {
        config_error(ConfigError::Invalid {
            file: String::new(),
            field,
            reason,
        })
    })?;
    let tenant = state.add_tenant(config).map_err(config_error)?;
    tracing::info!(tenant = %tenant.name(), issuer = %tenant.issuer().as_str(), "tenant created");
    Ok(IssuerInfo::of(&tenant))
}

/// Deletes a tenant; its endpoints answer 404 from then on and its hanging requests end.
pub fn delete_tenant(state: &AppState, name: &str) -> Result<()> {
    let tenant = state
        .remove_tenant(name)
        .ok_or_else(|| Error::ControlNotFound(format!("no tenant named {name:?}")))?;
    tenant.faults().clear();
    tracing::info!(tenant = %name, "tenant deleted");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tenant operations: the logic behind every handler, also the Rust API (P126)

fn user_view(u: &User) -> Value {
    let mut v = serde_json::to_value(&u.config).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        // Credentials never leave the provider (P140): the password and the MFA one-time code.
        m.remove("password");
        m.remove("otp");
        m.insert("sub".into(), json!(u.sub));
    }
    v
}

fn client_view(c: &Client) -> Value {
    let mut v = serde_json::to_value(&c.config).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("secrets");
    }
    v
}

impl Tenant {
    /// Validates users or clients with the config file's rules, naming the failing field.
    fn check_accounts(&self, users: Vec<UserConfig>, clients: Vec<ClientConfig>, prefix: &str) -> Result<()> {
        let mut t = TenantConfig::named(self.name());
        t.users = users;
        t.clients = clients;
        let file = Config {
            tenants: vec![t],
            ..Config::default()
        };
        file.validate()
            .map_err(|(f, r)| invalid(format!("{}: {r}", f.strip_prefix(prefix).unwrap_or(&f))))
    }

    /// The clock's reading and mode (P142).
    pub fn clock_view(&self) -> ClockView {
        let mode = self.clock().mode();
        let now = self.clock().now_f64();
        ClockView {
            now,
            now_s: now.floor() as i64,
            mode,
        }
    }

    /// Freezes, moves, offsets or releases the clock (P142); a time that is not a finite
    /// number is refused, naming its wire member.
    pub fn set_clock(&self, change: ClockChange) -> Result<ClockView> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(v)
            } else {
                Err(invalid(format!("{name}: must be a number")))
            }
        };
        match change {
            ClockChange::Freeze => self.clock().freeze(),
            ClockChange::FreezeAt(at) => self.clock().set(ClockMode::Frozen { at: finite("at", at)? }),
            ClockChange::Advance(s) => self.clock().advance(finite("advance_s", s)?),
            ClockChange::Offset(s) => self.clock().set(ClockMode::Offset {
                offset_s: finite("offset_s", s)?,
            }),
            ClockChange::Real => self.clock().set(ClockMode::Real),
        }
        tracing::info!(tenant = %self.name(), mode = ?self.clock().mode(), "clock changed");
        self.run_due_key_ops();
        Ok(self.clock_view())
    }

    /// Arms a fault (P144-P149) on the tenant clock.
    pub fn add_fault(&self, spec: FaultSpec) -> Result<FaultInfo> {
        spec.validate().map_err(|(f, r)| invalid(format!("{f}: {r}")))?;
        let info = self.faults().add(spec, self.clock().now_f64());
        tracing::info!(tenant = %self.name(), id = info.id, "fault armed");
        Ok(info)
    }

    /// The faults still armed (P146).
    pub fn fault_list(&self) -> Vec<FaultInfo> {
        self.faults().list(self.clock().now_f64())
    }

    /// Clears every fault; hanging requests end (P146, P147).
    pub fn clear_faults(&self) {
        self.faults().clear();
    }

    /// Removes one fault.
    pub fn remove_fault(&self, id: u64) -> Result<()> {
        if self.faults().remove(id) {
            Ok(())
        } else {
            Err(Error::ControlNotFound(format!("no fault with id {id}")))
        }
    }

    /// Journal entries matching `query` (P139).
    pub fn journal_entries(&self, query: &Query) -> Vec<Entry> {
        self.journal().entries(query)
    }

    /// Waits until `endpoint` (any endpoint for `None`) has been requested `count` times since
    /// the journal was last cleared (P141); `ControlTimeout` after `timeout`.
    pub async fn wait_for(&self, endpoint: Option<Endpoint>, count: u64, timeout: Duration) -> Result<u64> {
        self.journal().wait_for(endpoint, count, timeout).await.map_err(|seen| {
            Error::ControlTimeout(format!(
                "{} reached {seen} of {count} requests within {} ms",
                endpoint.map(|e| e.as_str()).unwrap_or("the tenant"),
                timeout.as_millis()
            ))
        })
    }

    /// Users, without passwords (P129).
    pub fn user_list(&self) -> Result<Vec<Value>> {
        let a = self.accounts();
        Ok(a.users.values().map(user_view).collect())
    }

    /// Adds a user or replaces the one with the same username; the next request sees it (P129).
    pub fn add_user(&self, user: UserConfig) -> Result<Value> {
        self.check_accounts(vec![user.clone()], vec![], "tenant[0].user[0].")?;
        let user = User::new(self.name(), user);
        let view = user_view(&user);
        self.accounts_mut().users.insert(user.username().to_owned(), user);
        Ok(view)
    }

    /// Removes a user (P129).
    pub fn remove_user(&self, username: &str) -> Result<()> {
        match self.accounts_mut().users.remove(username) {
            Some(_) => Ok(()),
            None => Err(Error::ControlNotFound(format!("no user named {username:?}"))),
        }
    }

    /// Clients, without secrets (P129).
    pub fn client_list(&self) -> Result<Vec<Value>> {
        let a = self.accounts();
        Ok(a.clients.values().map(client_view).collect())
    }

    /// Adds a client or replaces the one with the same id (P129).
    pub fn add_client(&self, client: ClientConfig) -> Result<Value> {
        self.check_accounts(vec![], vec![client.clone()], "tenant[0].client[0].")?;
        let client = Client::new(client);
        let view = client_view(&client);
        self.accounts_mut().clients.insert(client.id().to_owned(), client);
        Ok(view)
    }

    /// Removes a client (P129).
    pub fn remove_client(&self, client_id: &str) -> Result<()> {
        match self.accounts_mut().clients.remove(client_id) {
            Some(_) => Ok(()),
            None => Err(Error::ControlNotFound(format!("no client with id {client_id:?}"))),
        }
    }

    /// Puts the tenant back to its configured state (P127): keys, clock, faults (re-armed from
    /// the configuration), journal, sessions, codes, issued tokens, users and clients.
    pub fn reset(&self) {
        self.clock().set(ClockMode::Real);
        self.reset_keys();
        self.faults().reset_to(&self.config().faults, self.clock().now_f64());
        self.journal().clear();
        *self.grants() = crate::grants::GrantStore::with_budget(self.config().memory.grant_bytes.as_usize());
        let fresh = Accounts::new(self.name(), &self.config().users, &self.config().clients);
        *self.accounts_mut() = fresh;
        tracing::info!(tenant = %self.name(), "tenant reset");
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

async fn list_issuers(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "issuers": issuers(&state) }))
}

async fn create_issuer(State(state): State<AppState>, ControlJson(config): ControlJson<TenantConfig>) -> Result<Response> {
    // Key generation (RSA) is slow: keep it off the async workers.
    let info = tokio::task::spawn_blocking(move || create_tenant(&state, config))
        .await
        .map_err(|e| Error::Internal(format!("tenant creation task: {e}")))??;
    Ok((StatusCode::CREATED, Json(info)).into_response())
}

async fn delete_issuer(State(state): State<AppState>, name: std::result::Result<Path<String>, PathRejection>) -> Result<Json<Value>> {
    let Path(name) = name.map_err(|e| invalid(e.body_text()))?;
    delete_tenant(&state, &name)?;
    Ok(Json(json!({ "deleted": name })))
}

async fn list_faults(TenantRef(t): TenantRef) -> Json<Value> {
    Json(json!({ "faults": t.fault_list() }))
}

async fn add_fault(TenantRef(t): TenantRef, ControlJson(raw): ControlJson<RawFaultSpec>) -> Result<Response> {
    // Read as the flat wire form first, so that a parameter of another kind is the same
    // `invalid_field` error, worded the same, as a value `FaultSpec::validate` refuses.
    let spec = raw.into_spec().map_err(|e| invalid(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(t.add_fault(spec)?)).into_response())
}

async fn clear_faults(TenantRef(t): TenantRef) -> Json<Value> {
    t.clear_faults();
    Json(json!({ "faults": [] }))
}

async fn remove_fault(TenantRef(t): TenantRef, p: Segments) -> Result<Json<Value>> {
    let id = second(p)?;
    let id: u64 = id.parse().map_err(|_| invalid(format!("id: {id:?} is not a fault id")))?;
    t.remove_fault(id)?;
    Ok(Json(json!({ "faults": t.fault_list() })))
}

async fn list_keys(TenantRef(t): TenantRef) -> Result<Json<KeyList>> {
    Ok(Json(t.key_list()?))
}

async fn add_key(TenantRef(t): TenantRef, ControlJson(req): ControlJson<AddKey>) -> Result<Json<KeyList>> {
    Ok(Json(
        tokio::task::spawn_blocking(move || t.add_key(req))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??,
    ))
}

async fn rotate_keys(TenantRef(t): TenantRef, ControlJson(req): ControlJson<RotateKeys>) -> Result<Json<KeyList>> {
    Ok(Json(
        tokio::task::spawn_blocking(move || t.rotate_keys(req))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??,
    ))
}

async fn delete_key(TenantRef(t): TenantRef, p: Segments, ControlJson(when): ControlJson<When>) -> Result<Json<KeyList>> {
    Ok(Json(t.key_action(&second(p)?, KeyAction::Delete, when)?))
}

async fn key_action(TenantRef(t): TenantRef, p: Segments3, ControlJson(when): ControlJson<When>) -> Result<Json<KeyList>> {
    let Path((_, kid, action)) = p.map_err(|e| invalid(e.body_text()))?;
    let action = KeyAction::parse(&action)
        .ok_or_else(|| Error::ControlNotFound(format!("no key action {action:?} (activate, publish, hide, retire, delete)")))?;
    Ok(Json(t.key_action(&kid, action, when)?))
}

async fn export_key(TenantRef(t): TenantRef, p: Segments3) -> Result<Json<Value>> {
    let Path((_, kid, action)) = p.map_err(|e| invalid(e.body_text()))?;
    if action != "export" {
        return Err(Error::ControlNotFound(format!("no key route {action:?}; GET only serves export")));
    }
    Ok(Json(t.export_key(&kid)?))
}

async fn get_clock(TenantRef(t): TenantRef) -> Json<ClockView> {
    Json(t.clock_view())
}

async fn set_clock(TenantRef(t): TenantRef, ControlJson(req): ControlJson<ClockRequest>) -> Result<Json<ClockView>> {
    let change = req.change().map_err(invalid)?;
    Ok(Json(t.set_clock(change)?))
}

async fn journal(TenantRef(t): TenantRef, uri: Uri) -> Result<Json<Value>> {
    let p = query(&uri, &["endpoint", "since", "limit"])?;
    let q = Query {
        endpoint: parse_endpoint(&p)?,
        since: parse_num(&p, "since")?,
        limit: parse_num(&p, "limit")?,
    };
    Ok(Json(
        json!({ "entries": t.journal_entries(&q), "last_seq": t.journal().last_seq() }),
    ))
}

async fn clear_journal(TenantRef(t): TenantRef) -> Json<Value> {
    t.journal().clear();
    Json(json!({ "cleared": true }))
}

async fn counters(TenantRef(t): TenantRef) -> Json<Value> {
    Json(json!(t.journal().counters()))
}

async fn wait(TenantRef(t): TenantRef, uri: Uri) -> Result<Json<Value>> {
    let p = query(&uri, &["endpoint", "count", "timeout_ms"])?;
    let endpoint = parse_endpoint(&p)?;
    let count: u64 = parse_num(&p, "count")?.ok_or_else(|| invalid("count: missing"))?;
    let timeout_ms: u64 = parse_num(&p, "timeout_ms")?.unwrap_or(DEFAULT_WAIT_MS);
    if timeout_ms > MAX_WAIT_MS {
        return Err(invalid(format!("timeout_ms: at most {MAX_WAIT_MS}")));
    }
    let reached = t.wait_for(endpoint, count, Duration::from_millis(timeout_ms)).await?;
    Ok(Json(json!({ "endpoint": endpoint.map(|e| e.as_str()), "count": reached })))
}

async fn list_users(TenantRef(t): TenantRef) -> Result<Json<Value>> {
    Ok(Json(json!({ "users": t.user_list()? })))
}

async fn put_user(TenantRef(t): TenantRef, ControlJson(user): ControlJson<UserConfig>) -> Result<Json<Value>> {
    Ok(Json(t.add_user(user)?))
}

async fn remove_user(TenantRef(t): TenantRef, p: Segments) -> Result<Json<Value>> {
    let name = second(p)?;
    t.remove_user(&name)?;
    Ok(Json(json!({ "deleted": name })))
}

async fn list_clients(TenantRef(t): TenantRef) -> Result<Json<Value>> {
    Ok(Json(json!({ "clients": t.client_list()? })))
}

async fn put_client(TenantRef(t): TenantRef, ControlJson(client): ControlJson<ClientConfig>) -> Result<Json<Value>> {
    Ok(Json(t.add_client(client)?))
}

async fn remove_client(TenantRef(t): TenantRef, p: Segments) -> Result<Json<Value>> {
    let id = second(p)?;
    t.remove_client(&id)?;
    Ok(Json(json!({ "deleted": id })))
}

async fn reset(TenantRef(t): TenantRef) -> Json<Value> {
    t.reset();
    Json(json!({ "reset": t.name() }))
}
