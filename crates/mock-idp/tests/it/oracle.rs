//! Tests for oracle (see main.rs).
