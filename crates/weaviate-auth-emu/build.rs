//! Generates the gRPC server and client code from `proto/` with a pure-Rust protobuf compiler (no system `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["proto/health.proto", "proto/weaviate.proto"];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    // The client serves the conformance suite's `grpc` steps and `doctor`; no transport code, so
    // this crate needs no tonic channel (the caller brings one).
    tonic_prost_build::configure()
        .build_client(true)
        .build_transport(false)
        .compile_fds(descriptors)?;
    Ok(())
}
