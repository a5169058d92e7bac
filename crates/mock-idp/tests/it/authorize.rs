//! Tests for authorize (see main.rs).
