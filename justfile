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

# Run the conformance suite on a real weaviate-server (WEAVIATE_BIN, PATH or $HOME/go/bin).
conformance-binary *ARGS:
    cargo run --release -- conformance --target weaviate-binary {{ARGS}}

# Run the conformance suite on the official image in Docker (needs `just build-image` first).
conformance-docker *ARGS:
    cargo run --release -- conformance --target docker {{ARGS}}

# Compare two targets step by step (CI's gate); a difference fixtures/known-differences.toml does not list fails.
compare A="embedded" B="weaviate-binary":
    cargo run --release -- conformance --compare {{A}} {{B}}

# Print the README's "Known differences" section, generated from fixtures/known-differences.toml.
known-differences:
    cargo run --release -- known-differences

# The parity sweep: every REST operation of Weaviate's OpenAPI document and every gRPC method the
# clients call, under every kind of credential, in seven auth configurations, on the emulation and
# a real weaviate-server; rewrites docs/parity-sweep.md and .json. `just sweep --config rbac` picks.
sweep *ARGS:
    cargo run --release -- sweep --out docs/parity-sweep.md --json docs/parity-sweep.json {{ARGS}}

# Diagnose a login against a running Weaviate, e.g. `just doctor http://localhost:8080 --api-key K`.
doctor URL *ARGS:
    cargo run --release -- doctor --url {{URL}} {{ARGS}}

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
    cargo run --release -p bench --bin bench -- {{ARGS}}

# R5: client_credentials tokens over CONNECTIONS keep-alive connections for SECONDS against the
# release provider, loaded by wrk; prints tokens/s, p50/p99, non-2xx and socket errors
# (docs/reliability.md). `cargo test` runs a short variant that checks answers only.
token-load SECONDS="60" CONNECTIONS="64":
    cargo build --release -p oidc-harness -p bench
    cargo run --release -p bench --bin bench -- --subjects oidc-harness --workloads client_credentials --duration {{SECONDS}} --connections {{CONNECTIONS}} --out target/token-load --doc target/token-load/report.md

# Lint exactly as CI does.
lint:
    cargo fmt --all --check
    cargo clippy --all-targets -- -D warnings

# Build the Docker image of the binary (needs a Docker engine).
build-image:
    docker build -f docker/Dockerfile -t oidc-harness .

# Bring up a pinned real Weaviate next to the provider (needs a Docker engine and an
# OIDC_HARNESS_ADMIN_TOKEN of your choice in the environment; see docker/compose.yml).
compose-up:
    docker compose -f docker/compose.yml up

# Fuzz every target for SECONDS each (default 30; R3 asks for 600). Stable is enough (sanitizer
# none); FUZZ_SANITIZER=address needs nightly. Installs cargo-fuzz when missing, else skips.
fuzz SECONDS="30":
    crates/fuzz/run.sh {{SECONDS}}

# Load and fault runs on 127.0.0.1 against the embedded emulation; print figures as JSON, fail on
# any wrong answer. PLAN `mixed` (attacks.md R7, R9, R14): valid tokens alternating with forged,
# malformed and oversized ones while the key rotates and the JWKS fails in turn. PLAN `steady`
# (R6, R8): valid tokens while K2 is added and K1 deleted. `cargo test` runs 18 s and 9 s variants.
soak SECONDS="60" CONNECTIONS="64" PLAN="mixed":
    cargo run --release -p conformance --example soak -- {{SECONDS}} {{CONNECTIONS}} {{PLAN}}

# R1: every MUST item of the provider checklist with the tests named after it; fails when one has
# none. SPEC is oidc-provider.md (not in this repository).
must-audit SPEC:
    crates/mock-idp/must-audit/audit.sh {{SPEC}}

# R1: apply each sampled deletion (crates/mock-idp/must-audit/mutations) to this checkout in turn,
# run the provider's tests, revert it, and list the tests that failed; fails when a mutant
# survives. NAMES picks some (file names, no .patch).
mutants *NAMES:
    crates/mock-idp/must-audit/mutate.sh {{NAMES}}
