//! Client authentication at the token, introspection and revocation endpoints (P47-P50, P39).

use axum::http::HeaderMap;

use crate::accounts::Client;
use crate::config::AuthMethod;
use crate::error::{Error, Result};
use crate::form::{basic_credentials, Form};
use crate::tenant::Tenant;

/// A client that proved who it is, and how (P47-P50).
#[derive(Debug, Clone)]
pub struct ClientAuth {
    /// The client.
    pub client: Client,
    /// The method it used.
    pub method: AuthMethod,
}
/// The one `error_description` of every client authentication failure: an unknown client, a wrong
/// secret, a method the client is not registered for, a confidential client without its secret.
/// One text (and one status, one `error`), so answers do not reveal which client ids exist.
pub const CLIENT_AUTH_FAILED: &str = "client authentication failed";

/// Authenticates the client of a token, introspection or revocation request (P47-P50, P39).
///
/// Every failure after the request's shape is checked is [`CLIENT_AUTH_FAILED`], and a secret is
/// digested once whether or not the client exists (`Accounts::client_secret_matches`), so
/// neither the answer nor the work tells a probe which ids are registered. The precise reason
/// goes to the debug log, for the person running the provider.
pub fn authenticate_client(tenant: &Tenant, headers: &HeaderMap, form: &Form) -> Result<ClientAuth> {
    // The realm of a failure's `WWW-Authenticate`; built only when there is a failure.
    let realm = || tenant.issuer().0.clone();
    let basic = basic_credentials(headers)?;
    let (client_id, secret, method) = match basic {
        Some((id, secret)) => {
            if form.get("client_secret").is_some() {
                return Err(Error::InvalidRequest("use one client authentication method, not two".into()));
            }
            if form.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(Error::InvalidRequest(
                    "client_id in the body differs from the Basic credentials".into(),
                ));
            }
            (id, Some(secret), AuthMethod::ClientSecretBasic)
        }
        None => match (form.get("client_id"), form.get("client_secret")) {
            (Some(id), Some(secret)) => (id.to_owned(), Some(secret.to_owned()), AuthMethod::ClientSecretPost),
            (Some(id), None) => (id.to_owned(), None, AuthMethod::None),
            (None, Some(_)) => return Err(Error::InvalidRequest("client_secret without client_id".into())),
            (None, None) => {
                return Err(Error::InvalidClient {
                    why: "client authentication is required".into(),
                    realm: realm(),
                    basic: false,
                })
            }
        },
    };
    let failed = |reason: &str| {
        // A fingerprint, as in the journal: a client id field may well hold a pasted secret.
        let client = crate::accounts::fingerprint(&client_id);
        tracing::debug!(tenant = %tenant.name(), %client, reason, "client authentication failed");
        Error::InvalidClient {
            why: CLIENT_AUTH_FAILED.into(),
            realm: realm(),
            basic: method == AuthMethod::ClientSecretBasic,
        }
    };
    let permissive = tenant.config().permissive;
    let (known, secret_ok) = {
        let accounts = tenant.accounts();
        let secret_ok = match &secret {
            Some(s) if !permissive => accounts.client_secret_matches(&client_id, s),
            _ => true,
        };
        (accounts.clients.get(&client_id).cloned(), secret_ok)
    };
    let client = match known {
        Some(c) => c,
        None if permissive => Client::permissive(&client_id),
        None => return Err(failed("unknown client")),
    };
    if permissive {
        return Ok(ClientAuth { client, method });
    }
    if !client.allows_method(method) {
        return Err(failed(if method == AuthMethod::None {
            "this client must authenticate"
        } else {
            "this client is not registered for this authentication method"
        }));
    }
    if !secret_ok {
        return Err(failed("wrong secret"));
    }
    Ok(ClientAuth { client, method })
}
