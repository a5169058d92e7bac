//! Integration tests of the Weaviate auth emulation: real sockets on port 0, one test binary.
//! Each module is named after the part of weaviate-auth.md it covers; tests start with the section
//! (`s3_1_…`). "Compared with v1.38.11" in a comment means the expected answer was observed on the
//! real server; the others come from the written spec.

mod admin_list;
mod config;
mod db_users;
mod errors;
mod grpc;
mod oidc;
mod personas;
mod pipeline;
mod rbac;
mod support;
