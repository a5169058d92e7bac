//! The userinfo endpoint (OIDC Core §5.3, RFC 6750; P110-P114), and `verify_own_token`, the
//! check of this provider's own JWTs that introspection and revocation reuse.
//!
//! The token may come in the `Authorization: Bearer` header (scheme matched case-insensitively),
//! as a form-body `access_token` on POST, or, only when the tenant enables it, as a query
//! `access_token`. Using two at once is `invalid_request`. The token is checked for signature
//! (by `kid` against the tenant's keys), `iss`, `exp` on the tenant clock and revocation (`jti`);
//! `aud` is not checked here (P113).

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use crate::claims::has_scope;
use crate::config::Alg;
use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::form::{Form, MAX_FORM_BYTES};
use crate::tenant::Tenant;

/// Claims granted by the standard scopes (OIDC Core §5.4), taken from a user's extra claims.
const SCOPE_CLAIMS: [(&str, &[&str]); 4] = [
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// `GET {issuer}/userinfo`.
pub async fn handle_get(TenantRef(tenant): TenantRef, req: Request) -> Result<Response> {
    let token = bearer_token(&tenant, req.headers(), req.uri().query(), None)?;
    respond(&tenant, &token)
}

/// `POST {issuer}/userinfo`: the token in the header or in a form body (RFC 6750 §2.2).
pub async fn handle_post(TenantRef(tenant): TenantRef, req: Request) -> Result<Response> {
    let (parts, body) = req.into_parts();
    let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_form = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let form = if is_form {
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| Error::PayloadTooLarge)?;
        Some(Form::parse(&bytes)?)
    } else {
        None
    };
    let token = bearer_token(&tenant, &parts.headers, parts.uri.query(), form.as_ref())?;
    respond(&tenant, &token)
}

fn respond(tenant: &Tenant, token: &str) -> Result<Response> {
    let body = userinfo(tenant, token)?;
    let mut resp = axum::Json(Value::Object(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

/// The bearer token of a request, from exactly one of header, form body and query (P110).
pub fn bearer_token(tenant: &Tenant, headers: &HeaderMap, query: Option<&str>, form: Option<&Form>) -> Result<String> {
    let from_header = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| Error::InvalidRequest("the Authorization header is not ASCII".into()))?;
            let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
            if scheme.eq_ignore_ascii_case("bearer") {
                let token = rest.trim();
                if token.is_empty() {
                    return Err(Error::InvalidRequest("the Bearer credentials are empty".into()));
                }
                Some(token.to_owned())
            } else {
                None // another scheme carries no bearer token: answered as "no token" below
            }
        }
    };
    let from_body = form.and_then(|f| f.get("access_token")).map(str::to_owned);
    let from_query = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, v)| k == "access_token" && !v.is_empty())
            .map(|(_, v)| v.into_owned())
    });
    let sent = [from_header.is_some(), from_body.is_some(), from_query.is_some()];
    if sent.iter().filter(|s| **s).count() > 1 {
        return Err(Error::InvalidRequest(
            "the access token was sent in more than one way; use exactly one (RFC 6750 §2)".into(),
        ));
    }
    if from_query.is_some() && !tenant.config().userinfo_query_token {
        return Err(Error::InvalidRequest(
            "an access_token in the query is not accepted; send it in the Authorization header".into(),
        ));
    }
    from_header.or(from_body).or(from_query).ok_or_else(|| Error::MissingToken {
        realm: tenant.issuer().0.clone(),
    })
}

/// The userinfo claims for an access token (P111-P114), without HTTP.
pub fn userinfo(tenant: &Tenant, token: &str) -> Result<Map<String, Value>> {
    let realm = tenant.issuer().0.clone();
    let invalid = |why: String| Error::InvalidToken { realm: realm.clone(), why };
    let claims = verify_own_token(tenant, token).map_err(invalid)?;
    if !is_access_token(&claims) {
        return Err(invalid("the token is not an access token".into()));
    }
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !has_scope(scope, "openid") {
        return Err(Error::InsufficientScope {
            realm: realm.clone(),
            why: "the access token was not granted the openid scope".into(),
        });
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let accounts = tenant.accounts();
    let user = accounts
        .users
        .values()
        .find(|u| u.sub == sub)
        .ok_or_else(|| invalid("the token's subject is not a user of this issuer".into()))?;
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(user.sub.clone()));
    for (s, names) in SCOPE_CLAIMS {
        if has_scope(scope, s) {
            for n in names {
                if let Some(v) = user.config.claims.get(*n) {
                    out.insert((*n).to_owned(), v.clone());
                }
            }
        }
    }
    crate::claims::put_scope_claims(&mut out, tenant, user, scope);
    Ok(out)
}

/// Whether verified claims are an access token of this provider: they carry `client_id`
/// (P108), which ID tokens do not.
pub fn is_access_token(claims: &Map<String, Value>) -> bool {
    claims.get("client_id").is_some_and(Value::is_string)
}

/// Verifies a JWT this tenant issued: compact JWS, a key of the tenant by `kid` whose family
/// fits `alg` (never `none` or HMAC), a valid signature, `iss` equal to the issuer, `exp` (cut
/// to whole seconds) not before now on the tenant clock, and a `jti` that is not revoked.
/// Returns the claims, or why the token is refused. `aud` is the caller's business.
pub fn verify_own_token(tenant: &Tenant, token: &str) -> std::result::Result<Map<String, Value>, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, sig] = parts[..] else {
        return Err("the token is not a compact JWS".into());
    };
    let header = decode_object(h).ok_or("the token header is not a base64url JSON object")?;
    let alg_name = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg = Alg::parse(alg_name).ok_or("the token's alg is not accepted")?;
    let kid = header.get("kid").and_then(Value::as_str).ok_or("the token has no kid")?;
    let keys = tenant.keys();
    let key = keys.by_kid(kid).ok_or("no key of this issuer has the token's kid")?;
    if !key.supports(alg) {
        return Err("the token's alg does not fit its key".into());
    }
    let decoding = decoding_key(key.public_jwk()).ok_or("the key cannot verify")?;
    drop(keys);
    let message_len = h.len() + 1 + p.len();
    let valid =
        jsonwebtoken::crypto::verify(sig, &token.as_bytes()[..message_len], &decoding, crate::keys::to_jwt_alg(alg)).unwrap_or(false);
    if !valid {
        return Err("the token signature is invalid".into());
    }
    let claims = decode_object(p).ok_or("the token payload is not a base64url JSON object")?;
    if claims.get("iss").and_then(Value::as_str) != Some(tenant.issuer().as_str()) {
        return Err("the token was issued by another issuer".into());
    }
    // As go-oidc decides (go-oidc-verifier.md steps 8 and 12; A16, A19): `exp` is cut to whole
    // seconds, and the token has expired when that instant is *before* now, which keeps its
    // fraction. So `exp` equal to the current whole second is expired as soon as the clock is
    // past it, and accepted only at exactly that instant (a frozen clock can stand there).
    // An `exp` past Go's last representable second (`1e300`, `2^63`: the exp-huge preset)
    // becomes a time in the far past there (float-to-int64 conversion, or the Unix-to-internal
    // offset overflowing), so go-oidc reports it as expired (A19, read from source, UNCONFIRMED).
    let exp = claims.get("exp").and_then(Value::as_f64).ok_or("the token has no exp")?.trunc();
    if exp < tenant.clock().now_f64() || exp >= GO_LAST_UNIX_SECOND {
        return Err("the token has expired".into());
    }
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        let store = tenant.grants();
        if store.revoked_jtis.contains(jti) {
            return Err("the token has been revoked".into());
        }
    }
    Ok(claims)
}

/// The last Unix second a Go `time.Time` made by `time.Unix` holds without overflowing its
/// internal seconds-since-year-1 counter; go-oidc's `exp` above it reads as the far past.
const GO_LAST_UNIX_SECOND: f64 = (i64::MAX - 62_135_596_800) as f64;

fn decode_object(segment: &str) -> Option<Map<String, Value>> {
    let bytes = B64.decode(segment).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn decoding_key(jwk: &Value) -> Option<DecodingKey> {
    let s = |name: &str| jwk.get(name).and_then(Value::as_str);
    match s("kty")? {
        "RSA" => DecodingKey::from_rsa_components(s("n")?, s("e")?).ok(),
        "EC" => DecodingKey::from_ec_components(s("x")?, s("y")?).ok(),
        "OKP" => DecodingKey::from_ed_components(s("x")?).ok(),
        _ => None,
    }
}
