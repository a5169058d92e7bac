//! OIDC bearer tokens, verified the way Weaviate v1.38.11 does with coreos/go-oidc v3.12.0 and
//! go-jose v4.1.4 (built with Go 1.26): discovery at startup, a lazily filled JWKS cache, and
//! go-oidc's order of checks with its exact error texts, then Weaviate's username and groups
//! claim rules.
//!
//! # Why the order matters
//! go-oidc decodes and checks the *unverified* claims (issuer, audience, expiry, not-before)
//! before it parses the JWS or touches a key, "so cheap checks run before possibly re-syncing
//! keys". The first failing step decides the message a client sees, so this module does the
//! same: claims first (by hand, with Go's JSON rules), then go-jose's parser and algorithm
//! allowlist, then the signature. `jsonwebtoken` is used only for the signature primitive.
//!
//! # Why the JWKS cache refetches only once
//! go-oidc keeps no TTL and no negative cache. When no cached key verifies a token, it fetches
//! the JWKS once (concurrent callers share one fetch in flight), retries, and gives up. A
//! successful fetch replaces the whole cache; a failed one leaves it as it was. So a key
//! removed at the provider stays trusted until some failing token triggers a refetch, and every
//! token that fails its signature costs one fetch. Faithful mode keeps both properties.
//!
//! # The verification cache (invisible to clients)
//! A repeated token reuses what depends on neither the clock nor the keys (`cache`): the
//! decoded claims' refusals, the parse, Weaviate's claim rules. Expiry and not-before are
//! checked on every request as above; a signature outcome is reused only against the key-set
//! generation it was computed with (a fetch bringing different keys starts a new one), and a
//! token that fails against the cached keys still costs the refetch, so the answers and the JWKS
//! fetches are go-oidc's either way. `OidcVerifier::without_result_cache` turns it off.
//!
//! # Deliberate hardening (differences from Weaviate)
//! - A JWKS body over 1 MiB is refused: `... oidc: get keys failed: JWKS body larger than
//!   1048576 bytes` (Go reads any size).
//! - Fetches time out: discovery after 10 s, JWKS after 3 s, so that an unknown `kid` against a
//!   stalled provider still gets its 401 within 5 s (Go's default client waits forever).
//!
//! # Known differences (none changes the answer for a well-behaved provider)
//! - `AUTHENTICATION_OIDC_CERTIFICATE` is supported as inline PEM only; the `http…` URL and
//!   `s3://` forms are refused at startup.
//! - The HTTP status text is the canonical reason phrase (Go prints the server's own phrase).
//!   Transport errors are shaped like Go's (`Get "<url>": dial tcp <host:port>: connect:
//!   connection refused`) for refusals and timeouts; other transport errors carry reqwest's text.
//! - Signature primitives come from `jsonwebtoken` (aws-lc), which is stricter than Go in three
//!   places, each confirmed on v1.38.11 to be *accepted* by the real server: ES512 (P-521) is
//!   allowed when advertised but never verifies here (no P-521 in the backend); RSA keys of
//!   1024 bits never verify here (aws-lc wants 2048+); PS* signatures must use a salt as long
//!   as the hash here (Go's `VerifyPSS` accepts any salt length).
//! - A token starting with `{` is go-jose's JSON serialization. Its JSON syntax errors match
//!   Go's; a syntactically valid one (which Go would go on to verify) is refused with
//!   `oidc: malformed jwt: go-jose/go-jose: JSON serialization is not supported by the
//!   emulation`. Only such tokens could carry several signatures (go-oidc's
//!   `multiple signatures on id token not supported`), so that text never occurs here.
//! - go-jose iterates header members in random order; with two bad members the real server
//!   reports either, this module the first in the header. `x5c` certificates are checked for
//!   base64 and DER shape only (a bad base64 is always reported at byte 0), the embedded `jwk`
//!   goes through this module's JWK rules.
//! - JWKS keys: the main go-jose rules and texts are kept (unknown `kty` or curve fails the
//!   whole set; missing `n`/`e`, `x`/`y`; EC coordinate lengths), but an EC point is not checked
//!   to be on its curve at load time (it then simply never verifies), and a key with private
//!   members is used as a public key (go-jose also validates the private parts).
//!
//! # Confirmed against Weaviate v1.38.11 (besides the texts the spec already marks verified)
//! A 17 KiB token verifies: go-oidc has no length cap, so neither has this verifier (the
//! transport bounds a token: Go's 1 MiB header limit, which the REST server copies). Dotted claim names are flat keys; a JWKS with one unsupported key (unknown `kty`, OKP
//! X25519) fails as a whole and leaves the cache as it was; `crit: []` and `crit: null` verify;
//! `b64: false` tokens signed over the raw payload verify; whitespace inside the signature is
//! ignored; struct claim names match case-insensitively (`ISS`, `iſs`); `aud: null` is `[""]`;
//! `iat: null` fails decoding; `exp` of `1e300` or `9223372036854775807` prints year
//! 292277026596; the `could not extract claims` 500 for a float64 overflow anywhere; the header
//! texts for a numeric `kid`/`alg`, a non-object header, bad `x5c` and a private embedded `jwk`;
//! the JWKS texts for connection refused, 404, and JSON/Content-Type failures.
//! - `oidc: could not extract claims from token` (Weaviate's 500) happens here, as in Go, when
//!   a number anywhere in the payload overflows a float64.

mod cache;
mod claims;
mod gojson;
mod goprint;
mod gotime;
mod jose;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use self::cache::{Entry, ResultCache};
use self::gojson::{go_quote, go_quote_list, Kind, Node};
use self::jose::Jwk;

/// The algorithms go-oidc accepts from discovery; everything else (`none`, `HS*`) is dropped.
const SUPPORTED_ALGS: [&str; 10] = [
    "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA",
];
/// go-oidc's not-before leeway.
const NBF_LEEWAY_S: i64 = 300;
/// Hardening: the largest JWKS body we read.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);
const JWKS_TIMEOUT: Duration = Duration::from_secs(3);

/// The `AUTHENTICATION_OIDC_*` settings the verifier needs, already parsed.
#[derive(Debug, Clone, Default)]
pub struct OidcSettings {
    /// `AUTHENTICATION_OIDC_ISSUER`, compared byte for byte.
    pub issuer: String,
    /// `AUTHENTICATION_OIDC_CLIENT_ID` (`None` when unset or empty).
    pub client_id: Option<String>,
    /// `AUTHENTICATION_OIDC_SKIP_CLIENT_ID_CHECK`.
    pub skip_client_id_check: bool,
    /// `AUTHENTICATION_OIDC_USERNAME_CLAIM`.
    pub username_claim: String,
    /// `AUTHENTICATION_OIDC_GROUPS_CLAIM`.
    pub groups_claim: Option<String>,
    /// `AUTHENTICATION_OIDC_CERTIFICATE`: inline PEM of an extra trusted root.
    pub certificate: Option<String>,
    /// `AUTHENTICATION_OIDC_JWKS_URL`: skips discovery; the allowlist is then RS256 only.
    pub jwks_url: Option<String>,
    /// `AUTHENTICATION_OIDC_INSECURE_SKIP_TLS_VERIFY`.
    pub insecure_skip_tls_verify: bool,
}

/// Who a verified token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcIdentity {
    /// The username claim's value (may be empty, as in Weaviate).
    pub username: String,
    /// The groups claim's string values.
    pub groups: Vec<String>,
}

/// A refused token: what refused it and Weaviate's exact message. The HTTP status of each kind
/// is chosen in `error.rs`, not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFailure {
    /// go-oidc's refusal or Weaviate's claim problem.
    pub kind: OidcFailureKind,
    /// Weaviate's exact message (`unauthorized: ...` for go-oidc's refusals).
    pub message: String,
}

/// Who refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OidcFailureKind {
    /// go-oidc's verification failed (Weaviate answers 401).
    Unauthorized,
    /// The token verified but Weaviate could not read its username or groups claim (Weaviate
    /// answers 500).
    Claims,
}

impl OidcFailure {
    fn unauthorized(reason: impl std::fmt::Display) -> OidcFailure {
        OidcFailure {
            kind: OidcFailureKind::Unauthorized,
            message: format!("unauthorized: {reason}"),
        }
    }
    fn internal(message: String) -> OidcFailure {
        OidcFailure {
            kind: OidcFailureKind::Claims,
            message,
        }
    }
}

/// One version of the cached key set. `generation` changes whenever a fetch brings keys that
/// differ from the ones cached (never for an identical set), so a signature outcome remembered
/// for a generation holds exactly as long as the keys it was computed with (see `cache`).
struct KeyGen {
    generation: u64,
    keys: Vec<Jwk>,
}

type FetchResult = Result<Arc<KeyGen>, String>;

/// The remote key set: cached keys and the one fetch in flight (go-oidc's `RemoteKeySet`).
struct KeySet {
    url: String,
    http: reqwest::Client,
    cached: RwLock<Arc<KeyGen>>,
    inflight: Mutex<Option<watch::Receiver<Option<FetchResult>>>>,
    fetches: AtomicU64,
    /// Signature checks actually computed (one per key tried), for the cache's tests.
    signature_checks: AtomicU64,
}

/// Verifies bearer tokens for one Weaviate configuration. Cheap to share behind an `Arc`.
pub struct OidcVerifier {
    settings: OidcSettings,
    algorithms: Vec<String>,
    keys: Arc<KeySet>,
    /// Time- and key-independent verification results per token (`None`: off).
    results: Option<ResultCache>,
}

impl std::fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifier")
            .field("issuer", &self.settings.issuer)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// The monotonic origin of Go-style `m=+` readings: the first use of this module.
fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn build_client(settings: &OidcSettings, timeout: Duration) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout);
    if let Some(pem) = settings.certificate.as_deref().filter(|c| !c.is_empty()) {
        if pem.starts_with("http") || pem.starts_with("s3://") {
            return Err(format!(
                "could not setup provider: certificate form not supported by the emulation: {}",
                pem.split(':').next().unwrap_or("")
            ));
        }
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| format!("could not setup provider: invalid certificate: {e}"))?;
        if certs.is_empty() {
            return Err("could not setup provider: invalid certificate: no PEM certificate found".into());
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if settings.insecure_skip_tls_verify {
        b = b.danger_accept_invalid_certs(true);
    }
    b.build().map_err(|e| format!("could not setup provider: {e}"))
}

/// Go's `*url.Error` text for a failed GET: `Get "<url>": <cause>`.
fn go_transport_error(url: &str, err: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                let hostport = reqwest::Url::parse(url)
                    .ok()
                    .map(|u| {
                        let host = u.host_str().unwrap_or("").to_owned();
                        let port = u.port_or_known_default().unwrap_or(0);
                        format!("{host}:{port}")
                    })
                    .unwrap_or_default();
                return format!("Get {}: dial tcp {hostport}: connect: connection refused", go_quote(url));
            }
        }
        source = e.source();
    }
    if err.is_timeout() {
        return format!(
            "Get {}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            go_quote(url)
        );
    }
    format!("Get {}: {err}", go_quote(url))
}

fn status_text(status: reqwest::StatusCode) -> String {
    format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
}

/// go-oidc's `unmarshalResp` wording around a JSON error.
fn unmarshal_resp_error(content_type: Option<&str>, err: &str) -> String {
    let ct = content_type.unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media == "application/json" {
        format!("got Content-Type = application/json, but could not unmarshal as JSON: {err}")
    } else {
        format!("expected Content-Type = application/json, got {}: {err}", go_quote(ct))
    }
}

/// Why a body could not be read.
enum ReadError {
    /// Larger than the cap (hardening).
    TooLarge,
    /// The connection failed mid-body (Go: `unable to read response body: ...`).
    Failed(String),
}

/// Reads at most `limit` bytes of a body.
async fn read_capped(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(ReadError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(ReadError::Failed(format!("unable to read response body: {e}"))),
        }
    }
}

/// The fields of go-oidc's `providerJSON` that matter here.
struct Discovery {
    issuer: String,
    jwks_uri: String,
    algorithms: Vec<String>,
}

fn decode_discovery(body: &[u8]) -> Result<Discovery, String> {
    let root = gojson::parse(body)?;
    let mut d = Discovery {
        issuer: String::new(),
        jwks_uri: String::new(),
        algorithms: Vec::new(),
    };
    let members = match &root.kind {
        Kind::Object(m) => m,
        Kind::Null => return Ok(d),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type oidc.providerJSON",
                other.go_word()
            ))
        }
    };
    let mut saved: Option<String> = None;
    let field_err = |v: &Kind, f: &str, t: &str| {
        format!(
            "json: cannot unmarshal {} into Go struct field providerJSON.{f} of type {t}",
            v.go_word()
        )
    };
    for (k, v) in members {
        let key = k.to_ascii_lowercase();
        match key.as_str() {
            "issuer" | "jwks_uri" | "authorization_endpoint" | "token_endpoint" | "userinfo_endpoint" | "device_authorization_endpoint" => {
                match &v.kind {
                    Kind::String(s) if key == "issuer" => d.issuer = s.clone(),
                    Kind::String(s) if key == "jwks_uri" => d.jwks_uri = s.clone(),
                    Kind::String(_) | Kind::Null => {}
                    other => {
                        saved.get_or_insert(field_err(other, &key, "string"));
                    }
                }
            }
            "id_token_signing_alg_values_supported" => match &v.kind {
                Kind::Null => d.algorithms.clear(),
                Kind::Array(items) => {
                    d.algorithms.clear();
                    for it in items {
                        match &it.kind {
                            Kind::String(s) => d.algorithms.push(s.clone()),
                            Kind::Null => d.algorithms.push(String::new()),
                            other => {
                                saved.get_or_insert(field_err(other, &key, "string"));
                            }
                        }
                    }
                }
                other => {
                    saved.get_or_insert(field_err(other, &key, "[]string"));
                }
            },
            _ => {}
        }
    }
    match saved {
        Some(e) => Err(e),
        None => Ok(d),
    }
}

/// The configuration problems Weaviate collects before it starts the OIDC client.
fn config_problems(s: &OidcSettings) -> Option<String> {
    let mut p = Vec::new();
    if s.issuer.is_empty() {
        p.push("missing required field 'issuer'".to_owned());
    }
    if s.username_claim.is_empty() {
        p.push("missing required field 'username_claim'".to_owned());
    }
    if !s.skip_client_id_check && s.client_id.as_deref().unwrap_or("").is_empty() {
        p.push(
            "missing required field 'client_id': either set a client_id or explicitly disable the check with 'skip_client_id_check: true'"
                .to_owned(),
        );
    }
    if s.certificate.as_deref().is_some_and(|c| !c.is_empty()) && s.insecure_skip_tls_verify {
        p.push("custom OIDC certificate and insecure_skip_tls_verify are mutually exclusive: remove the certificate or disable insecure_skip_tls_verify".to_owned());
    }
    (!p.is_empty()).then(|| format!("invalid config: {}", p.join(", ")))
}

impl OidcVerifier {
    /// Startup: fetches discovery unless `jwks_url` is set. `Err` is the text after
    /// `oidc init: `, e.g. `could not setup provider: 404 Not Found: <body>`.
    pub async fn start(settings: OidcSettings) -> Result<OidcVerifier, String> {
        process_start();
        if let Some(p) = config_problems(&settings) {
            return Err(p);
        }
        let jwks_client = build_client(&settings, JWKS_TIMEOUT)?;
        let (jwks_url, algorithms) = match settings.jwks_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => (url.to_owned(), vec!["RS256".to_owned()]),
            None => {
                let client = build_client(&settings, DISCOVERY_TIMEOUT)?;
                let d = discover(&client, &settings.issuer)
                    .await
                    .map_err(|e| format!("could not setup provider: {e}"))?;
                let mut algs: Vec<String> = d.algorithms.into_iter().filter(|a| SUPPORTED_ALGS.contains(&a.as_str())).collect();
                if algs.is_empty() {
                    algs.push("RS256".into());
                }
                (d.jwks_uri, algs)
            }
        };
        Ok(OidcVerifier {
            settings,
            algorithms,
            keys: Arc::new(KeySet {
                url: jwks_url,
                http: jwks_client,
                cached: RwLock::new(Arc::new(KeyGen {
                    generation: 1,
                    keys: Vec::new(),
                })),
                inflight: Mutex::new(None),
                fetches: AtomicU64::new(0),
                signature_checks: AtomicU64::new(0),
            }),
            results: Some(ResultCache::default()),
        })
    }

    /// The same verifier without the verification cache: every request parses and verifies its
    /// token from scratch. The answers and the JWKS fetches are the same either way (the cache's
    /// tests compare the two).
    pub fn without_result_cache(mut self) -> OidcVerifier {
        self.results = None;
        self
    }

    /// The signing algorithms this verifier allows, in discovery order.
    #[cfg(test)]
    pub(crate) fn algorithms(&self) -> &[String] {
        &self.algorithms
    }

    /// How many JWKS fetches so far (for tests and the doctor).
    pub fn jwks_fetches(&self) -> u64 {
        self.keys.fetches.load(Ordering::SeqCst)
    }

    /// How many signature checks were computed (for the cache's tests).
    #[cfg(test)]
    pub(crate) fn signature_checks(&self) -> u64 {
        self.keys.signature_checks.load(Ordering::SeqCst)
    }

    /// The verification cache's entry count and hits (for its tests).
    #[cfg(test)]
    pub(crate) fn result_cache_stats(&self) -> Option<(usize, u64)> {
        self.results.as_ref().map(ResultCache::stats)
    }

    /// The verification cache's entry of `token` when the token came to this verifier before;
    /// [`OidcVerifier::authenticate_kept`] then skips a second lookup (each one hashes the whole
    /// token: about 2.6 k instructions of the 40.6 k a valid-token request cost with two).
    pub fn kept(&self, token: &str) -> Option<Kept> {
        self.results.as_ref()?.get(token).map(Kept)
    }

    /// Verifies a bearer token and extracts Weaviate's principal from it.
    pub async fn authenticate(&self, token: &str) -> Result<OidcIdentity, OidcFailure> {
        self.authenticate_at(token, SystemTime::now()).await
    }

    /// [`OidcVerifier::authenticate`] with the entry [`OidcVerifier::kept`] gave for this very
    /// `token`.
    pub async fn authenticate_kept(&self, token: &str, kept: Kept) -> Result<OidcIdentity, OidcFailure> {
        self.authenticate_entry(token, SystemTime::now(), Some(kept.0)).await
    }

    /// `authenticate` at the instant `now`.
    async fn authenticate_at(&self, token: &str, now: SystemTime) -> Result<OidcIdentity, OidcFailure> {
        self.authenticate_entry(token, now, None).await
    }

    /// With the cache, the time- and key-independent outcome of `token` is looked up (unless
    /// `kept` is its entry already), and only the time checks (same clock, same leeway) and the
    /// key lookup (same refetch) run again.
    async fn authenticate_entry(&self, token: &str, now: SystemTime, kept: Option<Arc<Entry>>) -> Result<OidcIdentity, OidcFailure> {
        let Some(results) = &self.results else {
            let payload = self.verify(token, now).await.map_err(OidcFailure::unauthorized)?;
            return self.identity(&payload);
        };
        let entry = kept.unwrap_or_else(|| results.entry(token, |t| self.decode_claims(t).map(|c| c.times)));
        let times = entry.times().as_ref().map_err(OidcFailure::unauthorized)?;
        check_times(times, now).map_err(OidcFailure::unauthorized)?;
        let jws = entry
            .jws(|| jose::parse_compact(&jose::strip_whitespace(token), &self.algorithms))
            .as_ref()
            .map_err(|e| OidcFailure::unauthorized(format!("oidc: malformed jwt: {e}")))?;
        self.keys
            .verify(jws, Some(entry.as_ref()))
            .await
            .map_err(|e| OidcFailure::unauthorized(format!("failed to verify signature: {e}")))?;
        entry
            .outcome(|| {
                let claimed = unverified_payload(token).map_err(OidcFailure::unauthorized)?;
                if jws.payload != claimed {
                    return Err(OidcFailure::unauthorized(
                        "oidc: internal error, payload parsed did not match previous payload",
                    ));
                }
                self.identity(&claimed)
            })
            .clone()
    }

    /// go-oidc's `IDTokenVerifier.Verify`, at the instant `now`; returns the verified payload.
    async fn verify(&self, token: &str, now: SystemTime) -> Result<Vec<u8>, String> {
        let payload = self.check_claims(token, now)?;
        let jws = jose::parse_compact(&jose::strip_whitespace(token), &self.algorithms).map_err(|e| format!("oidc: malformed jwt: {e}"))?;
        self.keys
            .verify(&jws, None)
            .await
            .map_err(|e| format!("failed to verify signature: {e}"))?;
        if jws.payload != payload {
            return Err("oidc: internal error, payload parsed did not match previous payload".into());
        }
        Ok(payload)
    }

    /// Steps 7 to 14: the unverified payload, decoded and checked; returns it.
    fn check_claims(&self, token: &str, now: SystemTime) -> Result<Vec<u8>, String> {
        let claimed = self.decode_claims(token)?;
        check_times(&claimed.times, now)?;
        Ok(claimed.payload)
    }

    /// Steps 7 to 11 (everything before the time checks): the unverified payload decoded, its
    /// issuer and audience checked. Depends on the token and the settings only.
    fn decode_claims(&self, token: &str) -> Result<Claimed, String> {
        let payload = unverified_payload(token)?;
        let t = gojson::parse(&payload)
            .and_then(|root| claims::decode(&root, &payload))
            .map_err(|e| format!("oidc: failed to unmarshal claims: {e}"))?;
        claims::check_distributed(&t)?;

        if t.iss != self.settings.issuer {
            return Err(format!(
                "oidc: id token issued by a different provider, expected {} got {}",
                go_quote(&self.settings.issuer),
                go_quote(&t.iss)
            ));
        }
        if !self.settings.skip_client_id_check {
            match self.settings.client_id.as_deref().filter(|c| !c.is_empty()) {
                Some(cid) => {
                    if !t.aud.iter().any(|a| a == cid) {
                        return Err(format!("oidc: expected audience {} got {}", go_quote(cid), go_quote_list(&t.aud)));
                    }
                }
                None => return Err("oidc: invalid configuration, clientID must be provided or SkipClientIDCheck must be set".into()),
            }
        }
        Ok(Claimed {
            payload,
            times: Times { exp: t.exp, nbf: t.nbf },
        })
    }

    /// Weaviate's claim handling after verification (500s for a bad username claim).
    fn identity(&self, payload: &[u8]) -> Result<OidcIdentity, OidcFailure> {
        let root = gojson::parse(payload).map_err(|e| OidcFailure::internal(format!("oidc: could not extract claims from token: {e}")))?;
        let members: &[(String, Node)] = match &root.kind {
            Kind::Object(m) => m,
            _ => &[],
        };
        if let Some(n) = first_float_overflow(&root) {
            return Err(OidcFailure::internal(format!(
                "oidc: could not extract claims from token: json: cannot unmarshal number {n} into Go value of type float64"
            )));
        }
        let claim = |name: &str| members.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
        let name = &self.settings.username_claim;
        let username = match claim(name).map(|n| &n.kind) {
            None => {
                return Err(OidcFailure::internal(format!(
                    "oidc: token doesn't contain required claim '{name}'"
                )))
            }
            Some(Kind::String(s)) => s.clone(),
            Some(other) => {
                return Err(OidcFailure::internal(format!(
                    "oidc: claim '{name}' is not a string, but {}",
                    go_type_name(other)
                )));
            }
        };
        let groups = match self
            .settings
            .groups_claim
            .as_deref()
            .filter(|g| !g.is_empty())
            .and_then(claim)
            .map(|n| &n.kind)
        {
            Some(Kind::Array(items)) => items
                .iter()
                .filter_map(|i| match &i.kind {
                    Kind::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            Some(Kind::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        Ok(OidcIdentity { username, groups })
    }
}

/// The claims that decide, at each request, whether a token is still or already valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Times {
    exp: Option<i64>,
    nbf: Option<i64>,
}

/// A token's entry in the verification cache, found by [`OidcVerifier::kept`]. It holds no
/// token text and prints nothing of one.
pub struct Kept(Arc<Entry>);

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kept")
    }
}

/// What `decode_claims` keeps of a token: its unverified payload and its times.
struct Claimed {
    payload: Vec<u8>,
    times: Times,
}

/// Step 7: the second segment, base64url-decoded (not yet verified).
fn unverified_payload(token: &str) -> Result<Vec<u8>, String> {
    let mut parts = token.split('.');
    let _header = parts.next();
    let Some(second) = parts.next() else {
        return Err("oidc: malformed jwt: oidc: malformed jwt, expected 3 parts got 1".into());
    };
    gojson::b64url_decode(second).map_err(|e| format!("oidc: malformed jwt: oidc: malformed jwt payload: {e}"))
}

/// Steps 12 to 14: expiry and not-before at the instant `now`, with go-oidc's leeway. Run on
/// every request, cached token or not.
fn check_times(t: &Times, now: SystemTime) -> Result<(), String> {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let now_s = since.as_secs() as i64;
    let now_ns = since.subsec_nanos();
    let now_internal = now_s + gotime::UNIX_TO_INTERNAL;
    // Go's zero time (no `exp`) has internal seconds 0.
    let exp_internal = t.exp.map_or(0, |e| e.wrapping_add(gotime::UNIX_TO_INTERNAL));
    if exp_internal < now_internal || (exp_internal == now_internal && now_ns > 0) {
        let shown = t.exp.unwrap_or(-gotime::UNIX_TO_INTERNAL);
        return Err(format!("oidc: token is expired (Token Expiry: {})", gotime::format_unix(shown)));
    }
    if let Some(nbf) = t.nbf {
        if now_internal + NBF_LEEWAY_S < nbf.wrapping_add(gotime::UNIX_TO_INTERNAL) {
            let mono = Instant::now().duration_since(process_start());
            return Err(format!(
                "oidc: current time {} before the nbf (not before) time: {}",
                gotime::format_now(now_s, now_ns, mono),
                gotime::format_unix(nbf)
            ));
        }
    }
    Ok(())
}

/// The Go type name `%T` prints for a value decoded into `interface{}`.
fn go_type_name(k: &Kind) -> &'static str {
    match k {
        Kind::Null => "<nil>",
        Kind::Bool(_) => "bool",
        Kind::Number(_) => "float64",
        Kind::String(_) => "string",
        Kind::Array(_) => "[]interface {}",
        Kind::Object(_) => "map[string]interface {}",
    }
}

/// The first number (in document order) that does not fit a float64, as Go's generic decoding
/// would report it.
fn first_float_overflow(root: &Node) -> Option<String> {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match &n.kind {
            Kind::Number(s) if s.parse::<f64>().map_or(true, |f| f.is_infinite()) => return Some(s.clone()),
            Kind::Array(items) => stack.extend(items.iter().rev()),
            Kind::Object(m) => stack.extend(m.iter().rev().map(|(_, v)| v)),
            _ => {}
        }
    }
    None
}

/// go-oidc's `NewProvider`: GET discovery, status 200, decode, exact issuer.
async fn discover(client: &reqwest::Client, issuer: &str) -> Result<Discovery, String> {
    let url = format!("{}/.well-known/openid-configuration", issuer.strip_suffix('/').unwrap_or(issuer));
    let resp = client.get(&url).send().await.map_err(|e| go_transport_error(&url, &e))?;
    let status = resp.status();
    let ct = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_capped(resp, MAX_JWKS_BYTES).await.map_err(|e| match e {
        ReadError::Failed(msg) => msg,
        ReadError::TooLarge => format!("discovery document larger than {MAX_JWKS_BYTES} bytes"),
    })?;
    if status != reqwest::StatusCode::OK {
        return Err(format!("{}: {}", status_text(status), String::from_utf8_lossy(&body)));
    }
    let d = decode_discovery(&body).map_err(|e| {
        format!(
            "oidc: failed to decode provider discovery object: {}",
            unmarshal_resp_error(ct.as_deref(), &e)
        )
    })?;
    if d.issuer != issuer {
        return Err(format!(
            "oidc: issuer did not match the issuer returned by provider, expected {} got {}",
            go_quote(issuer),
            go_quote(&d.issuer)
        ));
    }
    Ok(d)
}

impl KeySet {
    /// go-oidc's `RemoteKeySet.verify`: cached keys by `kid` (all when there is none), then
    /// one shared refetch, then the fresh keys. With a cache `entry`, a key set whose generation
    /// the entry has already been checked against gives the remembered outcome without the
    /// cryptography; the refetch happens exactly when it would without the entry.
    async fn verify(self: &Arc<Self>, jws: &jose::Jws, entry: Option<&Entry>) -> Result<(), String> {
        let cached = match self.cached.read() {
            Ok(c) => Arc::clone(&c),
            Err(p) => Arc::clone(&p.into_inner()),
        };
        if self.verifies(&cached, jws, entry) {
            return Ok(());
        }
        let fresh = self.refetch().await.map_err(|e| format!("fetching keys {e}"))?;
        if self.verifies(&fresh, jws, entry) {
            return Ok(());
        }
        Err("failed to verify id token signature".into())
    }

    /// Whether a key of `set` (by `kid`, all when there is none) verifies `jws`.
    fn verifies(&self, set: &KeyGen, jws: &jose::Jws, entry: Option<&Entry>) -> bool {
        if let Some(known) = entry.and_then(|e| e.signature_outcome(set.generation)) {
            return known;
        }
        let ok = set.keys.iter().filter(|k| jws.kid.is_empty() || k.kid == jws.kid).any(|k| {
            self.signature_checks.fetch_add(1, Ordering::Relaxed);
            jose::verify_with(jws, k)
        });
        if let Some(e) = entry {
            e.remember_signature(set.generation, ok);
        }
        ok
    }

    /// A successful fetch replaces the cache (go-oidc). Keys equal to the cached ones keep the
    /// cached set and its generation (and the RSA keys already parsed); other keys get the
    /// next generation.
    fn install(&self, keys: Vec<Jwk>) -> Arc<KeyGen> {
        let mut cached = match self.cached.write() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        if jose::same_keys(&cached.keys, &keys) {
            return Arc::clone(&cached);
        }
        let next = Arc::new(KeyGen {
            generation: cached.generation + 1,
            keys,
        });
        *cached = Arc::clone(&next);
        next
    }

    /// Joins the fetch in flight or starts one. The fetch runs in its own task, so a caller
    /// that goes away does not cancel it for the others (go-oidc uses a background context).
    async fn refetch(self: &Arc<Self>) -> FetchResult {
        let mut rx = {
            let mut slot = match self.inflight.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            match slot.as_ref() {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    *slot = Some(rx.clone());
                    self.fetches.fetch_add(1, Ordering::SeqCst);
                    let me = Arc::clone(self);
                    tokio::spawn(async move {
                        let result = me.fetch().await.map(|keys| me.install(keys));
                        let _ = tx.send(Some(result));
                        if let Ok(mut slot) = me.inflight.lock() {
                            *slot = None;
                        }
                    });
                    rx
                }
            }
        };
        let result = match rx.wait_for(Option::is_some).await {
            Ok(v) => v.clone(),
            Err(_) => None,
        };
        match result {
            Some(r) => r,
            None => {
                // The fetch task ended without an answer (it cannot, short of a panic): free
                // the slot so that the next failure fetches again instead of waiting forever.
                if let Ok(mut slot) = self.inflight.lock() {
                    if slot.as_ref().is_some_and(|s| s.same_channel(&rx)) {
                        *slot = None;
                    }
                }
                Err("oidc: get keys failed: the fetch ended without an answer".into())
            }
        }
    }

    /// go-oidc's `updateKeys`.
    async fn fetch(&self) -> Result<Vec<Jwk>, String> {
        let resp = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(|e| format!("oidc: get keys failed {}", go_transport_error(&self.url, &e)))?;
        let status = resp.status();
        let ct = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_capped(resp, MAX_JWKS_BYTES).await.map_err(|e| match e {
            ReadError::Failed(msg) => msg,
            ReadError::TooLarge => format!("oidc: get keys failed: JWKS body larger than {MAX_JWKS_BYTES} bytes"),
        })?;
        if status != reqwest::StatusCode::OK {
            return Err(format!(
                "oidc: get keys failed: {} {}",
                status_text(status),
                String::from_utf8_lossy(&body)
            ));
        }
        jose::parse_key_set(&body).map_err(|e| {
            format!(
                "oidc: failed to decode keys: {} {}",
                unmarshal_resp_error(ct.as_deref(), &e),
                String::from_utf8_lossy(&body)
            )
        })
    }
}
