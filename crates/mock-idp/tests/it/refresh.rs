//! Tests for refresh (see main.rs).
