//! Authentication: OIDC bearer tokens (placeholder module root; the lead merges the real one).

pub mod oidc;
