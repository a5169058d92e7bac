//! Root integration tests: one binary, one module per area. They spawn the built `oidc-harness`
//! binary or drive real clients, as a user or CI would.

mod authlib;
mod baseline;
mod cli;
mod clients;
mod differential;
mod docker;
mod load_shutdown;
mod load_token;
mod logs;
mod logs_full_run;
mod presets;
