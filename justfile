# Recipes for oidc-harness. The README's two commands work without `just`.

# List the recipes.
[private]
default:
    @just --list

# Run the whole test suite (what CI runs).
test:
    cargo test --workspace

# Run the conformance suite on the embedded target.
conformance *ARGS:
    cargo run --release -- conformance {{ARGS}}

# Serve the mock OpenID provider on 127.0.0.1:8080 (built-in config).
idp *ARGS:
    cargo run --release -- idp {{ARGS}}

# Serve the Weaviate auth emulation, configured by the AUTHENTICATION_* / AUTHORIZATION_* variables.
weaviate *ARGS:
    cargo run --release -- weaviate {{ARGS}}

# Benchmark the provider and the Weaviate layer against their peers with wrk (docs/benchmarks.md).
# `just bench --quick` is a 3 s-per-workload smoke run; `--subjects oidc-harness,keycloak` picks.
bench *ARGS:
    cargo build --release -p oidc-harness -p bench
    cargo run --release -p bench -- {{ARGS}}

# Lint exactly as CI does.
lint:
    cargo fmt --all --check
    cargo clippy --all-targets -- -D warnings

# Build the Docker image of the binary (needs a Docker engine).
build-image:
    docker build -f docker/Dockerfile -t oidc-harness .

# Bring up a pinned real Weaviate next to the provider (needs a Docker engine).
compose-up:
    docker compose -f docker/compose.yml up

# Fuzz every target for SECONDS each (default 30; R3 asks for 600). Needs nightly, else skips.
fuzz SECONDS="30":
    crates/fuzz/run.sh {{SECONDS}}
