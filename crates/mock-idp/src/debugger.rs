//! The debugger page (P125-P143, last bullet of "the provider's test control plane"):
//! `GET {base}/_mock/` (= `{base}/_mock/debug`) and `POST {base}/_mock/debug/mint`.
//!
//! One HTML page, no JavaScript: the discovery document, the keys, users and clients (never a
//! password, secret or one-time code), the last journal entries and counters, the armed faults
//! and the clock, and a form that mints a token through `TokenBuilder` and shows it decoded.
//! It only reads what the JSON control routes read (`control.rs`, `rotation.rs`), so the page
//! and the API cannot disagree. Every value from the tenant or the request goes through
//! `escape`, because users, claims and paths are test data and may well be `<script>`.
//!
//! The page is a `_mock/` route, so `middleware::layer` applies the rule of `admin.rs` to it before
//! the handler runs (P125): once any admin token is configured, a browser needs a proxy that adds
//! `Authorization: Bearer <token>`, and with `server.control = false` the page is a 404.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::Value;

use crate::config::Alg;
use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::form::Form;
use crate::journal::Query;
use crate::mint::{MintedTokens, TokenBuilder};
use crate::presets::Preset;
use crate::state::AppState;
use crate::tenant::Tenant;

/// Journal entries the page shows (the latest ones).
pub const JOURNAL_ROWS: usize = 25;

/// The debugger routes, merged into `control::routes`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/_mock/", get(show))
        .route("/{tenant}/_mock/debug", get(show))
        .route("/{tenant}/_mock/debug/mint", post(mint))
}

/// `GET {base}/_mock/` and `{base}/_mock/debug`.
async fn show(TenantRef(tenant): TenantRef) -> Result<Response> {
    Ok(html(StatusCode::OK, page(&tenant, None)?))
}

/// `POST {base}/_mock/debug/mint`: the form's fields in, the page with the decoded tokens out.
/// A refused mint is shown on the page (status 400) with the form still filled in.
async fn mint(TenantRef(tenant): TenantRef, body: Bytes) -> Result<Response> {
    let form = Form::parse(&body)?;
    let request = MintForm::from_form(&form);
    let outcome = request.builder().and_then(|b| b.mint(&tenant));
    let status = if outcome.is_ok() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok(html(status, page(&tenant, Some((&request, outcome)))?))
}

fn html(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // Minted tokens are on the page: never cache it.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // No script runs even if escaping were ever missed; the form only posts back here.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
    );
    resp
}

// ---------------------------------------------------------------------------------------------
// The mint form

/// The fields of the debugger's mint form, as typed (empty means "the default").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MintForm {
    /// Username of a configured user.
    pub user: String,
    /// Client id.
    pub client: String,
    /// Audiences, separated by spaces or commas; one value is a string `aud`, more an array.
    pub aud: String,
    /// Lifetime in seconds.
    pub lifetime_s: String,
    /// JOSE algorithm name.
    pub alg: String,
    /// Preset name.
    pub preset: String,
    /// Scope.
    pub scope: String,
}

impl MintForm {
    /// Reads the form fields; unknown fields are ignored (a browser may add its own).
    pub fn from_form(form: &Form) -> MintForm {
        let f = |name: &str| form.get(name).unwrap_or("").trim().to_owned();
        MintForm {
            user: f("user"),
            client: f("client"),
            aud: f("aud"),
            lifetime_s: f("lifetime_s"),
            alg: f("alg"),
            preset: f("preset"),
            scope: f("scope"),
        }
    }

    /// The `TokenBuilder` the fields describe; a bad value is an error naming the field.
    pub fn builder(&self) -> Result<TokenBuilder> {
        let bad = |field: &str, message: String| Error::BadControlRequest {
            error: "invalid_field",
            message: format!("field `{field}`: {message}"),
        };
        let mut b = TokenBuilder::new();
        if !self.user.is_empty() {
            b = b.user(&self.user);
        }
        if !self.client.is_empty() {
            b = b.client_id(&self.client);
        }
        let aud: Vec<&str> = self
            .aud
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        match aud.as_slice() {
            [] => {}
            [one] => b = b.aud(*one),
            many => b = b.audiences(many.iter().copied()),
        }
        if !self.lifetime_s.is_empty() {
            let secs: u64 = self
                .lifetime_s
                .parse()
                .map_err(|_| bad("lifetime_s", "expected a whole number of seconds".into()))?;
            b = b.lifetime_s(secs);
        }
        if !self.alg.is_empty() {
            let alg = Alg::parse(&self.alg).ok_or_else(|| bad("alg", format!("unknown algorithm {:?}", self.alg)))?;
            b = b.alg(alg);
        }
        if !self.preset.is_empty() {
            let p = Preset::parse(&self.preset).ok_or_else(|| bad("preset", format!("unknown preset {:?}", self.preset)))?;
            b = b.preset(p);
        }
        if !self.scope.is_empty() {
            b = b.scope(&self.scope);
        }
        Ok(b)
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Escapes text for HTML element content and quoted attribute values (the login page's escaper).
pub use crate::html::html_escape as escape;

fn pretty(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("(not serialisable: {e})"))
}

/// One part of a compact JWS, decoded: pretty JSON when it is JSON, else the bytes as text.
/// Presets make parts that are neither base64url nor JSON; that is shown, never a failure.
pub fn decode_part(part: &str) -> String {
    match B64.decode(part.trim_end_matches('=')) {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => pretty(&v),
            Err(_) => format!("(not JSON) {}", String::from_utf8_lossy(&bytes)),
        },
        Err(_) => format!("(not base64url) {part}"),
    }
}

fn cell(v: impl std::fmt::Display) -> String {
    format!("<td>{}</td>", escape(&v.to_string()))
}

fn opt(v: Option<&impl std::fmt::Display>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        ""
    }
}

fn table(headings: &[&str], rows: Vec<String>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p><em>{}</em></p>\n", escape(empty));
    }
    let mut out = String::from("<table><thead><tr>");
    for h in headings {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        out.push_str(&format!("<tr>{r}</tr>\n"));
    }
    out.push_str("</tbody></table>\n");
    out
}

fn select(name: &str, options: &[(String, String)], chosen: &str) -> String {
    let mut out = format!("<select name=\"{}\" id=\"{}\">", escape(name), escape(name));
    for (value, label) in options {
        let sel = if value == chosen { " selected" } else { "" };
        out.push_str(&format!("<option value=\"{}\"{sel}>{}</option>", escape(value), escape(label)));
    }
    out.push_str("</select>");
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;max-width:80em}\
table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}\
pre{background:#f4f4f4;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}\
label{display:inline-block;min-width:8em}.error{color:#a00;font-weight:bold}";

/// The whole page of `tenant`; with `mint`, the form as sent and what the mint gave.
pub fn page(tenant: &Tenant, mint: Option<(&MintForm, Result<MintedTokens>)>) -> Result<String> {
    let mut out = String::new();
    let title = format!("mock-idp debugger: {}", tenant.name());
    out.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        escape(&title)
    ));
    out.push_str(&format!(
        "<h1>{}</h1>\n<p>Issuer: <code>{}</code></p>\n",
        escape(&title),
        escape(tenant.issuer().as_str())
    ));
    out.push_str(
        "<p><a href=\"#mint\">Mint</a> · <a href=\"#keys\">Keys</a> · <a href=\"#accounts\">Users and clients</a> · \
         <a href=\"#journal\">Journal</a> · <a href=\"#faults\">Faults and clock</a> · <a href=\"#discovery\">Discovery</a></p>\n",
    );

    let (form, outcome) = match mint {
        Some((f, o)) => (f.clone(), Some(o)),
        None => (MintForm::default(), None),
    };
    out.push_str(&mint_section(tenant, &form)?);
    if let Some(outcome) = outcome {
        out.push_str(&minted_section(outcome));
    }
    out.push_str(&keys_section(tenant)?);
    out.push_str(&accounts_section(tenant)?);
    out.push_str(&journal_section(tenant));
    out.push_str(&faults_section(tenant));
    out.push_str(&format!(
        "<h2 id=\"discovery\">Discovery</h2>\n<p><code>{}</code></p>\n<pre>{}</pre>\n",
        escape(&tenant.discovery_url()),
        escape(&pretty(&crate::discovery::metadata(tenant)?))
    ));
    out.push_str("</body></html>\n");
    Ok(out)
}

fn mint_section(tenant: &Tenant, form: &MintForm) -> Result<String> {
    let accounts = tenant.accounts();
    let mut users = vec![(String::new(), "(default)".to_owned())];
    users.extend(accounts.users.keys().map(|u| (u.clone(), u.clone())));
    let mut clients = vec![(String::new(), "(default)".to_owned())];
    clients.extend(accounts.clients.keys().map(|c| (c.clone(), c.clone())));
    drop(accounts);
    let mut algs = vec![(String::new(), "(the key's)".to_owned())];
    algs.extend(Alg::ALL.iter().map(|a| (a.as_str().to_owned(), a.as_str().to_owned())));
    let mut presets = vec![(String::new(), "(none: a valid token)".to_owned())];
    presets.extend(
        Preset::ALL
            .iter()
            .map(|p| (p.name(), format!("{}: {}", p.name(), p.spec().description))),
    );
    let action = format!("{}/_mock/debug/mint", tenant.issuer_path());
    let text = |name: &str, value: &str, hint: &str| {
        format!(
            "<p><label for=\"{n}\">{n}</label> <input type=\"text\" name=\"{n}\" id=\"{n}\" value=\"{}\" placeholder=\"{}\"></p>\n",
            escape(value),
            escape(hint),
            n = escape(name)
        )
    };
    let mut out = format!(
        "<h2 id=\"mint\">Mint a token</h2>\n<form method=\"post\" action=\"{}\">\n",
        escape(&action)
    );
    out.push_str(&format!(
        "<p><label for=\"user\">user</label> {}</p>\n",
        select("user", &users, &form.user)
    ));
    out.push_str(&format!(
        "<p><label for=\"client\">client</label> {}</p>\n",
        select("client", &clients, &form.client)
    ));
    out.push_str(&text("aud", &form.aud, "default; several: space or comma separated"));
    out.push_str(&text("scope", &form.scope, "the client's default scope"));
    out.push_str(&text("lifetime_s", &form.lifetime_s, "the tenant's lifetime"));
    out.push_str(&format!(
        "<p><label for=\"alg\">alg</label> {}</p>\n",
        select("alg", &algs, &form.alg)
    ));
    out.push_str(&format!(
        "<p><label for=\"preset\">preset</label> {}</p>\n",
        select("preset", &presets, &form.preset)
    ));
    out.push_str("<p><button type=\"submit\">Mint</button></p>\n</form>\n");
    Ok(out)
}

fn minted_section(outcome: Result<MintedTokens>) -> String {
    let minted = match outcome {
        Ok(m) => m,
        Err(e) => {
            return format!(
                "<h2 id=\"minted\">Minted</h2>\n<p class=\"error\">The mint was refused: {}</p>\n",
                escape(&e.to_string())
            )
        }
    };
    let mut out = String::from("<h2 id=\"minted\">Minted</h2>\n");
    out.push_str(&format!(
        "<p>token_type <code>{}</code>, expires_in <code>{}</code>, scope <code>{}</code></p>\n",
        escape(&minted.token_type),
        minted.expires_in,
        escape(&minted.scope)
    ));
    for (name, token) in [("access_token", &minted.access_token), ("id_token", &minted.id_token)] {
        let Some(token) = token else { continue };
        let parts: Vec<&str> = token.split('.').collect();
        out.push_str(&format!("<h3>{name}</h3>\n<pre class=\"token\">{}</pre>\n", escape(token)));
        out.push_str(&format!(
            "<h4>{name} header</h4>\n<pre class=\"header\">{}</pre>\n",
            escape(&decode_part(parts.first().copied().unwrap_or("")))
        ));
        match parts.get(1) {
            Some(p) => out.push_str(&format!(
                "<h4>{name} payload</h4>\n<pre class=\"payload\">{}</pre>\n",
                escape(&decode_part(p))
            )),
            None => out.push_str("<p><em>No payload part.</em></p>\n"),
        }
        out.push_str(&format!("<p>{} parts</p>\n", parts.len()));
    }
    if let Some(rt) = &minted.refresh_token {
        out.push_str(&format!(
            "<h3>refresh_token</h3>\n<p>Opaque; redeems at the token endpoint.</p>\n<pre class=\"token\">{}</pre>\n",
            escape(rt)
        ));
    }
    out
}

fn keys_section(tenant: &Tenant) -> Result<String> {
    let list = tenant.key_list()?;
    let rows = list
        .keys
        .iter()
        .map(|k| {
            format!(
                "{}{}{}{}{}",
                cell(&k.kid),
                cell(k.alg.as_str()),
                cell(yes(k.published)),
                cell(yes(k.active)),
                cell(yes(k.retired))
            )
        })
        .collect();
    let mut out = String::from("<h2 id=\"keys\">Keys</h2>\n");
    out.push_str(&table(&["kid", "alg", "published", "active", "retired"], rows, "No keys."));
    let scheduled = list
        .scheduled
        .iter()
        .map(|s| format!("{}{}{}{}", cell(s.id), cell(s.at), cell(&s.op), cell(&s.kid)))
        .collect::<Vec<_>>();
    if !scheduled.is_empty() {
        out.push_str("<h3>Scheduled</h3>\n");
        out.push_str(&table(&["id", "at", "op", "kid"], scheduled, ""));
    }
    Ok(out)
}

fn accounts_section(tenant: &Tenant) -> Result<String> {
    let accounts = tenant.accounts();
    // Chosen fields only: the password (cleared anyway), `otp` and client secrets never show.
    let users = accounts
        .users
        .values()
        .map(|u| {
            let c = &u.config;
            let status = c
                .status
                .map(|s| {
                    serde_json::to_value(s)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            format!(
                "{}{}{}{}{}{}",
                cell(u.username()),
                cell(&u.sub),
                cell(opt(c.email.as_ref())),
                cell(opt(c.name.as_ref())),
                cell(c.groups.join(", ")),
                cell(status)
            )
        })
        .collect();
    let clients = accounts
        .clients
        .values()
        .map(|c| {
            let grants: Vec<&str> = c.config.grant_types.iter().map(|g| g.as_str()).collect();
            format!(
                "{}{}{}{}{}",
                cell(c.id()),
                cell(if c.is_public() { "public" } else { "confidential" }),
                cell(grants.join(" ")),
                cell(c.config.redirect_uris.join(" ")),
                cell(&c.config.default_scope)
            )
        })
        .collect();
    let mut out = String::from("<h2 id=\"accounts\">Users and clients</h2>\n<h3>Users</h3>\n");
    out.push_str(&table(
        &["username", "sub", "email", "name", "groups", "status"],
        users,
        "No users.",
    ));
    out.push_str("<h3>Clients</h3>\n");
    out.push_str(&table(
        &["client_id", "type", "grant_types", "redirect_uris", "default_scope"],
        clients,
        "No clients.",
    ));
    Ok(out)
}

fn journal_section(tenant: &Tenant) -> String {
    let entries = tenant.journal_entries(&Query {
        limit: Some(JOURNAL_ROWS),
        ..Query::default()
    });
    let rows = entries
        .iter()
        .rev()
        .map(|e| {
            format!(
                "{}{}{}{}{}{}{}{}{}",
                cell(e.seq),
                cell(format!("{:.3}", e.virtual_time)),
                cell(&e.method),
                cell(&e.path),
                cell(e.endpoint.as_str()),
                cell(opt(e.status.as_ref())),
                cell(opt(e.error.as_ref())),
                cell(
                    [
                        e.facts.client_id.as_deref(),
                        e.facts.grant_type.as_deref(),
                        e.facts.username.as_deref()
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
                ),
                cell(e.faults.join(", "))
            )
        })
        .collect();
    let mut out = format!("<h2 id=\"journal\">Journal</h2>\n<p>The last {JOURNAL_ROWS} requests, newest first.</p>\n");
    out.push_str(&table(
        &[
            "seq",
            "tenant time",
            "method",
            "path",
            "endpoint",
            "status",
            "error",
            "client / grant / user",
            "faults",
        ],
        rows,
        "No requests yet.",
    ));
    let counters = tenant
        .journal()
        .counters()
        .into_iter()
        .map(|(e, n)| format!("{}{}", cell(e.as_str()), cell(n)))
        .collect();
    out.push_str("<h3>Counters</h3>\n");
    out.push_str(&table(&["endpoint", "requests"], counters, "No requests counted."));
    out
}

fn faults_section(tenant: &Tenant) -> String {
    let rows = tenant
        .fault_list()
        .iter()
        .map(|f| {
            format!(
                "{}{}{}{}{}",
                cell(f.id),
                cell(serde_json::to_string(&f.spec).unwrap_or_default()),
                cell(opt(f.remaining.as_ref())),
                cell(opt(f.until.as_ref())),
                cell(f.applied)
            )
        })
        .collect();
    let mut out = String::from("<h2 id=\"faults\">Faults and clock</h2>\n");
    out.push_str(&table(&["id", "fault", "remaining", "until", "applied"], rows, "No faults armed."));
    out.push_str(&format!(
        "<h3>Clock</h3>\n<pre class=\"clock\">{}</pre>\n",
        escape(&pretty(&tenant.clock_view()))
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_the_five_html_metacharacters() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn decode_part_shows_json_pretty_and_anything_else_as_text() {
        let part = B64.encode(br#"{"alg":"RS256"}"#);
        assert_eq!(decode_part(&part), "{\n  \"alg\": \"RS256\"\n}");
        assert!(decode_part("!!").starts_with("(not base64url)"));
        assert!(decode_part(&B64.encode(b"abc")).starts_with("(not JSON) abc"));
    }

    #[test]
    fn p131_mint_form_fields_become_a_token_builder() {
        let form = Form::parse(b"user=viewer&client=weaviate&aud=a+b&lifetime_s=60&alg=ES256&preset=expired&x=1").unwrap();
        let b = MintForm::from_form(&form).builder().unwrap();
        let want = TokenBuilder::new()
            .user("viewer")
            .client_id("weaviate")
            .audiences(["a", "b"])
            .lifetime_s(60)
            .alg(Alg::ES256)
            .preset(Preset::Expired);
        assert_eq!(b, want);
        let one = MintForm::from_form(&Form::parse(b"aud=only").unwrap()).builder().unwrap();
        assert_eq!(one, TokenBuilder::new().aud("only"), "one audience stays a string");
        for bad in ["lifetime_s=soon", "alg=none", "preset=nope"] {
            let f = MintForm::from_form(&Form::parse(bad.as_bytes()).unwrap());
            assert!(f.builder().is_err(), "{bad} is refused");
        }
    }
}
