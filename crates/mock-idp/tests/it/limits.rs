//! Tests for limits (see main.rs).
