//! Tests for tls (see main.rs).
