//! Tests for discovery (see main.rs).
