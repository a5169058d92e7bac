//! Root integration tests: one binary, one module per area.

mod clients;
mod presets;
