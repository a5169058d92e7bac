#!/usr/bin/env bash
# R1: draws COUNT (default 10) negative MUST items from negative-items.tsv with a seeded shuffle,
# so the sample can be drawn again: GNU shuf fed by an AES-CTR stream keyed by SEED (the
# reproducible source the coreutils manual describes).
# Usage: sample.sh SEED [COUNT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seed=${1:?usage: sample.sh SEED [COUNT]}
grep -v '^#' "$here/negative-items.tsv" \
  | shuf -n "${2:-10}" --random-source=<(openssl enc -aes-256-ctr -pass "pass:$seed" -nosalt </dev/zero 2>/dev/null)
