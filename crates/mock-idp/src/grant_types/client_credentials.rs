//! Client credentials (RFC 6749 §4.4, P60-P63): a service identity, no user, no refresh token.

use crate::error::{Error, Result};
use crate::form::Form;
use crate::grant_types::client_auth::ClientAuth;
use crate::grant_types::{grant_scope, issue, Issue, RefreshPlan, TokenResponse};
use crate::tenant::Tenant;

/// Runs the client credentials grant.
pub fn grant(tenant: &Tenant, auth: &ClientAuth, form: &Form) -> Result<TokenResponse> {
    if auth.client.is_public() {
        return Err(Error::UnauthorizedClient("public clients cannot use client_credentials".into()));
        // P60
    }
    let scope = grant_scope(tenant, &auth.client, form.get("scope"))?;
    let aud = requested_audience(auth, form)?.unwrap_or_else(|| crate::claims::default_audience(&auth.client));
    let id_token = auth.client.config.id_token_for_client_credentials && crate::claims::has_scope(&scope, "openid");
    issue(
        tenant,
        Issue {
            client: &auth.client,
            user: None,
            scope,
            aud,
            auth_time: None,
            nonce: None,
            id_token,
            refresh: RefreshPlan::None,
            family: None,
        },
    )
}

/// The audience a request asks for with RFC 8707 `resource` or the `audience` parameter (P63).
pub fn requested_audience(auth: &ClientAuth, form: &Form) -> Result<Option<Vec<String>>> {
    let asked = form.get("resource").or_else(|| form.get("audience"));
    match asked {
        None => Ok(None),
        Some(_) if !auth.client.config.audience_parameter => Err(Error::InvalidRequest("this client may not choose its audience".into())),
        Some(a) => Ok(Some(a.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect())),
    }
}
