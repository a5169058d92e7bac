//! Integration tests of the mock provider: real sockets on port 0, one test binary.
//! Each module is named after the part of the checklist (oidc-provider.md) it covers.

mod accounts;
mod admin;
mod authorize;
mod authorize_code_pkce;
mod authorize_end_session;
mod authorize_login;
mod authorize_support;
mod control;
mod debugger;
mod discovery_issuer;
mod discovery_jwks;
mod discovery_metadata;
mod discovery_support;
mod discovery_tenants;
mod docs;
mod limits;
mod mint;
mod oracle;
mod persona_paths;
mod personas;
mod presets;
mod props;
mod refresh;
mod support;
mod tls;
mod token_client_auth;
mod token_client_credentials;
mod token_errors;
mod token_form;
mod token_password;
mod token_response;
mod token_shape;
mod token_support;
mod userinfo;
