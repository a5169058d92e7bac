//! Integration tests of the conformance crate: the self-check against a real `MockIdp`.

mod doctor;
mod scenarios;
mod self_check;
mod sharing;
mod soak;
mod sweep;
mod targets;
mod versions;
