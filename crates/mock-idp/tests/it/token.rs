//! Tests for token (see main.rs).
