//! Root integration tests: they spawn the built `oidc-harness` binary, as a user or CI would.

mod authlib;
mod cli;
