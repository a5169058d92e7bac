//! Tests for userinfo (see main.rs).
