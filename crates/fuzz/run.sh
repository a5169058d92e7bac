#!/usr/bin/env bash
# Runs every cargo-fuzz target of this crate for N seconds each (default 30), one after the
# other, and prints one summary line per target. Needs cargo-fuzz (installed with `cargo install` when
# missing). With the default sanitizer `none` the stable toolchain is enough: the coverage
# instrumentation cargo-fuzz asks for (-Cpasses=sancov-module, -Cllvm-args) is stable; only a
# sanitizer (-Zsanitizer) needs nightly. When something cannot be had it prints
# `skipped: <reason>` and exits 0 (a skip is never a pass: nothing was fuzzed).
#
#   crates/fuzz/run.sh            # 30 s per target
#   crates/fuzz/run.sh 600        # R3's 10 minutes per target
#   FUZZ_TARGETS="jwt_verify" crates/fuzz/run.sh 60
#
# Environment:
#   FUZZ_TARGETS        space-separated subset (default: every target `cargo fuzz list` shows)
#   FUZZ_PROFILE        release (default: optimised, for long runs) or dev (unoptimised: a cold
#                       build takes about a quarter of the CPU time, the targets run 4-9 times
#                       slower; what CI's 30 s smoke run uses)
#   FUZZ_SANITIZER      none (default) or address (nightly only). The targets' own code forbids
#                       `unsafe`, so ASan mostly slows the run; use it to hunt in the C crypto code.
#   FUZZ_TOOLCHAIN      rustup toolchain (default: the active one; nightly when a sanitizer is on)
#   FUZZ_CODEGEN_UNITS  codegen units of the instrumented build (default: cargo-fuzz's, 1; 16
#                       made no measurable difference at 2 build jobs on 2 cores, see README.md)
#   FUZZ_JOBS           cargo build jobs (default: every core; 1 on a shared machine)
#   FUZZ_RSS_MB         libFuzzer -rss_limit_mb (default 512, R3)
#   FUZZ_TIMEOUT_S      libFuzzer -timeout per input (default 1, R3)
#   GO_OIDC_ORACLE      a built go-oidc oracle for oidc_differential (default: built here with
#                       `go build` into target/; without Go or the module proxy that target is
#                       skipped, except under CI=true, where it fails)
# A crash leaves its input under crates/fuzz/artifacts/<target>/ and the script exits 1;
# turn each one into a regression test in the crate that owns the code (see README.md).
set -uo pipefail

seconds="${1:-30}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sanitizer="${FUZZ_SANITIZER:-none}"
[ -n "${FUZZ_JOBS:-}" ] && export CARGO_BUILD_JOBS="$FUZZ_JOBS"

skip() {
    echo "skipped: $1"
    exit 0
}

toolchain="${FUZZ_TOOLCHAIN:-}"
if [ "$sanitizer" != none ] && [ -z "$toolchain" ]; then
    toolchain=nightly
    command -v rustup >/dev/null 2>&1 || skip "sanitizer $sanitizer needs nightly, and rustup is not installed"
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        rustup toolchain install nightly --profile minimal >/dev/null 2>&1 ||
            skip "sanitizer $sanitizer needs the nightly toolchain, which cannot be installed here"
    fi
fi
cargo=(cargo)
[ -n "$toolchain" ] && cargo=(cargo "+$toolchain")
if ! "${cargo[@]}" fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked >/dev/null 2>&1 || skip "cargo-fuzz cannot be installed here"
fi

cd "$root" || exit 2
fuzz=("${cargo[@]}" fuzz)
build_flags=(--fuzz-dir crates/fuzz -s "$sanitizer")
case "${FUZZ_PROFILE:-release}" in
    release) ;;
    dev) build_flags+=(--dev) ;;
    *)
        echo "error: FUZZ_PROFILE is release or dev, not ${FUZZ_PROFILE}" >&2
        exit 2
        ;;
esac
[ -n "${FUZZ_CODEGEN_UNITS:-}" ] && build_flags+=(--codegen-units "$FUZZ_CODEGEN_UNITS")
targets="${FUZZ_TARGETS:-$("${fuzz[@]}" list --fuzz-dir crates/fuzz)}"
# shellcheck disable=SC2086 # one line of space-separated names
targets="$(printf '%s ' $targets)"
began=$(date +%s)
"${fuzz[@]}" build "${build_flags[@]}" || {
    echo "error: the fuzz targets do not build" >&2
    exit 2
}
echo "fuzz build (${FUZZ_PROFILE:-release}): $(( $(date +%s) - began )) s"

failed=0
# oidc_differential compares the emulation's verifier with go-oidc: it needs the Go oracle.
case " $targets " in
    *" oidc_differential "*)
        if [ -z "${GO_OIDC_ORACLE:-}" ]; then
            oracle_log="$(mktemp)"
            if (cd crates/conformance/drivers/go-oidc-oracle && go build -o "$root/target/go-oidc-oracle" .) >"$oracle_log" 2>&1; then
                export GO_OIDC_ORACLE="$root/target/go-oidc-oracle"
            elif [ "${CI:-}" = "true" ]; then
                echo "oidc_differential: FAILED: the go-oidc oracle does not build: $(tail -3 "$oracle_log")"
                failed=1
                targets="$(echo " $targets " | sed 's/ oidc_differential / /')"
            else
                echo "oidc_differential: skipped: the go-oidc oracle does not build (no Go or module proxy?): $(tail -1 "$oracle_log")"
                targets="$(echo " $targets " | sed 's/ oidc_differential / /')"
            fi
            rm -f "$oracle_log"
        fi
        ;;
esac
for target in $targets; do
    mkdir -p "crates/fuzz/corpus/$target"
    dirs=("crates/fuzz/corpus/$target")
    [ -d "crates/fuzz/seeds/$target" ] && dirs+=("crates/fuzz/seeds/$target")
    log="$(mktemp)"
    "${fuzz[@]}" run "${build_flags[@]}" "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-512}" -timeout="${FUZZ_TIMEOUT_S:-1}" \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)"
    # The last status line: coverage, features and corpus (entries/bytes) libFuzzer holds.
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+')"
    if [ "$rc" -eq 0 ]; then
        echo "$target: ok, ${runs:-?} runs in ${seconds}s (${rate:-?} exec/s), ${done_line:-no DONE line}, peak RSS ${rss:-?} MB"
    else
        failed=1
        echo "$target: FAILED (exit $rc) after ${runs:-?} runs; artifacts in crates/fuzz/artifacts/$target/"
        grep -E "panicked|ERROR: libFuzzer|SUMMARY" "$log" | head -5
    fi
    rm -f "$log"
done
exit "$failed"
