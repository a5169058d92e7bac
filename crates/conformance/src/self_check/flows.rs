//! The authorization endpoint: each advertised response type and mode, and PKCE, played as a
//! browser would (logging in through the HTML form when the provider shows one).

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::Url;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::report::Outcome;

use super::html::forms;
use super::provider::{prefix, random_token, short, snippet, Provider};
use super::{fail, Step};

impl Provider {
    pub(super) async fn pkce_method(&self, method: &str) -> Step<()> {
        if !self.supports("response_types_supported", "code") {
            return Err(Outcome::Skip("PKCE needs response_type code, which is not advertised".into()));
        }
        // A wrong verifier must be refused...
        let verifier = random_token();
        let wrong = self.code_flow("code", None, Some((&verifier, method))).await?;
        let body = self.redeem(&wrong.code, Some(&random_token())).await;
        match body {
            Err(Outcome::Fail(why)) if why.contains("invalid_grant") => {}
            Err(other) => return Err(other),
            Ok(_) => return fail(format!("a wrong {method} verifier redeemed a code")),
        }
        // ...and the right one accepted.
        let right = self.code_flow("code", None, Some((&verifier, method))).await?;
        let tokens = self.redeem(&right.code, Some(&verifier)).await?;
        self.check_tokens(&tokens, &self.creds.public_client, Some(&right.nonce))
    }

    /// One authorization request with `response_type` and `response_mode`, checked end to end.
    pub(super) async fn response(&self, response_type: &str, mode: &str) -> Step<()> {
        let has_code = response_type.split(' ').any(|w| w == "code");
        let has_id_token = response_type.split(' ').any(|w| w == "id_token");
        let verifier = random_token();
        let pkce = if has_code && self.supports("code_challenge_methods_supported", "S256") {
            Some((verifier.as_str(), "S256"))
        } else {
            None
        };
        let flow = self.code_flow(response_type, Some(mode), pkce).await?;
        if has_id_token {
            let front = flow
                .params
                .get("id_token")
                .ok_or_else(|| Outcome::Fail("no id_token in the authorization response".into()))?;
            let (alg, claims) = self
                .verify(front, Some(&self.creds.public_client))
                .map_err(|o| prefix(o, "front-channel id_token"))?;
            if claims["nonce"].as_str() != Some(flow.nonce.as_str()) {
                return fail("the front-channel id_token does not carry the request's nonce (P89)");
            }
            if has_code {
                let c_hash = half_hash(&alg, &flow.code)?;
                if claims["c_hash"].as_str() != Some(c_hash.as_str()) {
                    return fail(format!("c_hash is {} but the code hashes to {c_hash} (P94, P97)", claims["c_hash"]));
                }
            }
        }
        if has_code {
            let tokens = self.redeem(&flow.code, pkce.map(|(v, _)| v)).await?;
            self.check_tokens(&tokens, &self.creds.public_client, Some(&flow.nonce))?;
        }
        if !has_code && !has_id_token {
            return Err(Outcome::Skip(format!(
                "the self-check has no check for response type {response_type}"
            )));
        }
        Ok(())
    }

    // ---- the authorization endpoint ----------------------------------------------------

    /// Sends an authorization request, logs in if a page asks, and returns the response.
    pub(super) async fn code_flow(&self, response_type: &str, mode: Option<&str>, pkce: Option<(&str, &str)>) -> Step<FlowResult> {
        let state = random_token();
        let nonce = random_token();
        let mut url = Url::parse(self.endpoint("authorization_endpoint")?)
            .map_err(|e| Outcome::Fail(format!("authorization_endpoint is not a URL: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", response_type)
                .append_pair("client_id", &self.creds.public_client)
                .append_pair("redirect_uri", &self.creds.redirect_uri)
                .append_pair("scope", "openid profile email")
                .append_pair("state", &state)
                .append_pair("nonce", &nonce);
            if let Some(m) = mode {
                q.append_pair("response_mode", m);
            }
            if let Some((verifier, method)) = pkce {
                let challenge = if method == "S256" {
                    B64.encode(Sha256::digest(verifier.as_bytes()))
                } else {
                    verifier.to_owned()
                };
                q.append_pair("code_challenge", &challenge)
                    .append_pair("code_challenge_method", method);
            }
        }
        let default_mode = if response_type == "code" { "query" } else { "fragment" };
        let mode = mode.unwrap_or(default_mode);
        let params = self.land(url, mode).await?;
        if let Some(e) = params.get("error") {
            return fail(format!(
                "the authorization endpoint answered error={e} {}",
                params.get("error_description").map(String::as_str).unwrap_or("")
            ));
        }
        if params.get("state") != Some(&state) {
            return fail("state did not come back unchanged (P90)");
        }
        let code = if response_type.split(' ').any(|w| w == "code") {
            params
                .get("code")
                .cloned()
                .ok_or_else(|| Outcome::Fail("no code in the authorization response".into()))?
        } else {
            String::new()
        };
        Ok(FlowResult { params, code, nonce })
    }

    /// Follows the provider (login page, redirects on its own origin) until it answers the
    /// client, and reads the response parameters where `mode` says they travel.
    pub(super) async fn land(&self, start: Url, mode: &str) -> Step<HashMap<String, String>> {
        let mut resp = self.get(start.clone()).await?;
        let mut at = start;
        for _ in 0..8 {
            let status = resp.status();
            if status.is_redirection() {
                let loc = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| Outcome::Fail(format!("{status} without Location")))?;
                let next = at.join(loc).map_err(|e| Outcome::Fail(format!("bad Location {loc}: {e}")))?;
                if next.as_str().starts_with(&self.creds.redirect_uri) {
                    return read_redirect(&next, mode);
                }
                resp = self.get(next.clone()).await?;
                at = next;
                continue;
            }
            let body = resp.text().await.unwrap_or_default();
            if !status.is_success() {
                return fail(format!("{} answered {status}: {}", short(&at), snippet(&body)));
            }
            let forms = forms(&body);
            if let Some(f) = forms.iter().find(|f| f.action == self.creds.redirect_uri) {
                if mode != "form_post" {
                    return fail(format!("asked for response_mode {mode}, got a form_post page"));
                }
                return Ok(f.inputs.iter().map(|i| (i.name.clone(), i.value.clone())).collect());
            }
            let Some(login) = forms.iter().find(|f| f.inputs.iter().any(|i| i.kind == "password")) else {
                return fail(format!("{} answered {status} with neither a redirect nor a login form", short(&at)));
            };
            let action = at
                .join(&login.action)
                .map_err(|e| Outcome::Fail(format!("bad login form action {}: {e}", login.action)))?;
            let filled: Vec<(String, String)> = login
                .inputs
                .iter()
                .filter(|i| !i.name.is_empty())
                .map(|i| {
                    let value = if i.kind == "password" {
                        self.creds.password.clone()
                    } else if i.kind != "hidden" && (i.name.contains("user") || i.name.contains("login")) {
                        self.creds.username.clone()
                    } else {
                        i.value.clone()
                    };
                    (i.name.clone(), value)
                })
                .collect();
            let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(filled).finish();
            resp = self
                .http
                .post(action.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map_err(|e| Outcome::Fail(format!("POST {}: {e}", short(&action))))?;
            at = action;
        }
        fail("the authorization request did not reach the redirect URI within 8 steps")
    }
}

/// The parameters of an authorization response and what the request sent.
pub(super) struct FlowResult {
    pub(super) params: HashMap<String, String>,
    pub(super) code: String,
    pub(super) nonce: String,
}

/// Reads response parameters from a redirect, where `mode` puts them (P91, P92).
pub(super) fn read_redirect(url: &Url, mode: &str) -> Step<HashMap<String, String>> {
    let parse = |s: Option<&str>| -> HashMap<String, String> { form_urlencoded::parse(s.unwrap_or("").as_bytes()).into_owned().collect() };
    let query = parse(url.query());
    let fragment = parse(url.fragment());
    match mode {
        "query" => Ok(query),
        "fragment" => {
            if query.contains_key("code") || query.contains_key("id_token") || query.contains_key("error") {
                return fail("fragment mode put response parameters in the query (P91)");
            }
            Ok(fragment)
        }
        // A refusal travels in the query or the fragment whatever mode was asked for (P86, P91).
        _ if query.contains_key("error") => Ok(query),
        _ if fragment.contains_key("error") => Ok(fragment),
        other => fail(format!("asked for response_mode {other}, got a redirect")),
    }
}

/// `at_hash` / `c_hash`: left half of the alg's hash, base64url (OIDC Core §3.1.3.6; P97).
pub(super) fn half_hash(alg: &str, value: &str) -> Step<String> {
    let digest: Vec<u8> = match alg {
        "RS256" | "PS256" | "ES256" => Sha256::digest(value.as_bytes()).to_vec(),
        "RS384" | "PS384" | "ES384" => Sha384::digest(value.as_bytes()).to_vec(),
        "RS512" | "PS512" | "ES512" | "EdDSA" => Sha512::digest(value.as_bytes()).to_vec(),
        other => return fail(format!("no hash known for {other}")),
    };
    Ok(B64.encode(&digest[..digest.len() / 2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p97_half_hash_known_answer_from_oidc_core() {
        // OIDC Core A.3: the access token and its at_hash with RS256.
        assert_eq!(
            half_hash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y").ok(),
            Some("77QmUPtjPfzWtF2AnpK9RQ".to_owned())
        );
        assert!(half_hash("HS256", "x").is_err());
    }

    #[test]
    fn p91_fragment_mode_refuses_parameters_in_the_query_and_reads_the_fragment() {
        let bad = Url::parse("http://127.0.0.1/callback?code=x#state=s").expect("a URL");
        assert!(read_redirect(&bad, "fragment").is_err());
        let good = Url::parse("http://127.0.0.1/callback#code=x&state=s").expect("a URL");
        assert_eq!(
            read_redirect(&good, "fragment").ok().and_then(|p| p.get("code").cloned()),
            Some("x".into())
        );
    }
}
