//! Tests for control (see main.rs).
