#!/usr/bin/env bash
# R1 mutation sample (attacks.md): each file in mutations/ deletes one refusal of a negative MUST
# item. For each, this applies it to the checkout, runs the mock-idp tests, reverts it, and prints
# which tests failed. A mutant no test kills, or one that does not build, makes the script exit 1.
#
# Usage: mutate.sh [NAME...]   (NAME: a file of mutations/ without .patch; default: all of them)
# The tests run are `cargo test -p mock-idp --lib --test it`, or MUTATE_TESTS (cargo test
# arguments) when set. The unmutated tree runs first, so a failure already there is not counted
# (MUTATE_NO_BASELINE=1 skips it). Logs go to must-audit/ under the cargo target directory.
#
# The mutation is made in place, as `cargo-mutants --in-place` does (a copy elsewhere would share
# the target directory's artifacts, whose names do not depend on where the workspace is): a trap
# reverts it on any exit, and the script refuses to start while a mutation is still applied.
# Touching the crate roots makes cargo rebuild from this tree whatever another checkout of the
# same workspace built into a shared target directory.
# sample.sh draws the items; negative-items.tsv lists the ones it draws from.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
work=$CARGO_TARGET_DIR/must-audit
mkdir -p "$work"
read -r -a test_args <<<"${MUTATE_TESTS:---lib --test it}"

names=("$@")
if [ "${#names[@]}" = 0 ]; then
  for p in "$here"/mutations/*.patch; do names+=("$(basename "$p" .patch)"); done
fi

cd "$root"
for p in "$here"/mutations/*.patch; do
  if patch -s -R -p1 -F0 --dry-run -f <"$p" >/dev/null 2>&1; then
    echo "mutation $(basename "$p") is applied to the checkout: revert it first (patch -R -p1 < $p)" >&2
    exit 1
  fi
done
applied=""
revert() {
  if [ -n "$applied" ]; then
    patch -s -R -p1 -F0 --no-backup-if-mismatch <"$applied"
    applied=""
  fi
}
trap revert EXIT
trap 'exit 130' INT TERM HUP

# Runs the tests; prints the names of the failing tests, or BUILD-FAILED.
run_tests() {
  local log=$1
  touch crates/mock-idp/src/lib.rs crates/mock-idp/tests/it/main.rs
  if cargo test -p mock-idp "${test_args[@]}" --no-fail-fast >"$log" 2>&1; then
    return 0
  fi
  if ! grep -q '^test result:' "$log"; then
    echo BUILD-FAILED
    return 0
  fi
  sed -n 's/^test \(.*\) \.\.\. FAILED$/\1/p' "$log" | sort -u
}

baseline=""
if [ "${MUTATE_NO_BASELINE:-}" != 1 ]; then
  baseline=$(run_tests "$work/baseline.log")
  if [ "$baseline" = BUILD-FAILED ]; then
    echo "the unmutated tree does not build: $work/baseline.log" >&2
    exit 1
  fi
  [ -z "$baseline" ] || printf 'failing before any mutation (not counted):\n%s\n' "$baseline" >&2
fi

survivors=0
echo "| Item | Mutation | Deletion | Tests that failed |"
echo "|---|---|---|---|"
for name in "${names[@]}"; do
  patch_file=$here/mutations/$name.patch
  item=$(sed -n 's/^Item: //p' "$patch_file")
  deletion=$(sed -n 's/^Deletion: //p' "$patch_file")
  if ! patch -s -p1 -F0 --dry-run -f <"$patch_file" >/dev/null; then
    echo "| $item | \`$name\` | $deletion | DOES-NOT-APPLY: the code changed; remake the patch |"
    survivors=$((survivors + 1))
    continue
  fi
  patch -s -p1 -F0 --no-backup-if-mismatch <"$patch_file"
  applied=$patch_file
  failed=$(run_tests "$work/$name.log")
  revert
  if [ -n "$baseline" ] && [ "$failed" != BUILD-FAILED ]; then
    failed=$(comm -23 <(printf '%s\n' "$failed") <(printf '%s\n' "$baseline") | sed '/^$/d')
  fi
  if [ -z "$failed" ]; then
    failed="NONE: the mutant survived"
    survivors=$((survivors + 1))
  elif [ "$failed" = BUILD-FAILED ]; then
    failed="BUILD-FAILED: see $work/$name.log"
    survivors=$((survivors + 1))
  else
    failed=$(printf '%s\n' "$failed" | sed 's/.*/`&`/' | paste -sd' ' | sed 's/` `/`, `/g')
  fi
  echo "| $item | \`$name\` | $deletion | $failed |"
done
[ "$survivors" = 0 ]
