//! Emulation of Weaviate's authentication layer (placeholder crate root; the lead merges the real one).

pub mod authentication;
