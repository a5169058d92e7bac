//! Tests for mint (see main.rs).
