#!/usr/bin/env bash
# R1 audit (attacks.md): every MUST item of the provider checklist has a test named after it.
#
# Usage: audit.sh SPEC   (or OIDC_PROVIDER_SPEC=SPEC audit.sh); SPEC is oidc-provider.md, which is
# not part of this repository. `just must-audit SPEC` runs it.
#
# Rule for "MUST": an item's level, the words between its bold title and the first full stop
# (`MUST`, `MUST by default`, `MUST, configurable, on by default`, `Extra, MUST`, ...), contains
# the word MUST. SHOULD, `Extra` alone, `Extra, optional` and *(retired)* items are not MUST.
#
# A test covers item PNN when its function name has the token `pNN` (names split at `_`), or a
# range `pA_to_pB` containing NN. Tests are the functions under `#[test]` / `#[tokio::test]`
# (proptest's included) in every `.rs` file of the workspace, fuzz targets excluded.
# Prints one line per MUST item with its tests, then the counts; exits 1 when an item has none.
set -euo pipefail

spec=${1:-${OIDC_PROVIDER_SPEC:-}}
if [ -z "$spec" ] || [ ! -f "$spec" ]; then
  echo "usage: $0 path/to/oidc-provider.md (or set OIDC_PROVIDER_SPEC)" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

# "NN<TAB>level" for every item of the checklist.
items=$(grep -E '^- \*\*P[0-9]+ ' "$spec" | sed -E 's/^- \*\*P([0-9]+) [^*]*\*\* *(\*\(retired\)\*)?([^.]*)\..*/\1\t\2\3/')

# "path::test_name" for every test function of the workspace.
tests=$(cd "$root" && find crates src tests -name '*.rs' -not -path 'crates/fuzz/*' -print0 \
  | sort -z | xargs -0 awk '
    /#\[(tokio::)?test/ { pending = 1; next }
    pending && match($0, /fn [a-z0-9_]+/) {
      file = FILENAME; sub(/\.rs$/, "", file)
      print file "::" substr($0, RSTART + 3, RLENGTH - 3); pending = 0; next
    }
    pending && !/^[[:space:]]*(#|\/\/)/ { pending = 0 }')

# "NN<TAB>path::test_name" for every item a test name mentions.
mentions=$(printf '%s\n' "$tests" | awk '{
  name = $0; sub(/.*::/, "", name)
  n = split(name, w, "_")
  for (i = 1; i <= n; i++) {
    if (w[i] !~ /^p[0-9]+$/) continue
    lo = substr(w[i], 2) + 0; hi = lo
    if (i + 2 <= n && w[i + 1] == "to" && w[i + 2] ~ /^p[0-9]+$/) { hi = substr(w[i + 2], 2) + 0 }
    for (k = lo; k <= hi; k++) print k "\t" $0
  }
}' | sort -u)

must=0 covered=0 missing=()
while IFS=$'\t' read -r nn level; do
  [[ "$level" =~ (^|[^A-Za-z])MUST([^A-Za-z]|$) ]] || continue
  [[ "$level" == *retired* ]] && continue
  must=$((must + 1))
  names=$(printf '%s\n' "$mentions" | awk -F'\t' -v nn="$nn" '$1 == nn { print $2 }')
  if [ -n "$names" ]; then
    covered=$((covered + 1))
    printf 'P%s\t%s\t%s\n' "$nn" "$(printf '%s\n' "$names" | wc -l)" "$(printf '%s\n' "$names" | paste -sd' ')"
  else
    missing+=("P$nn")
    printf 'P%s\t0\tNO TEST\n' "$nn"
  fi
done <<<"$items"

echo "items: $(printf '%s\n' "$items" | wc -l), MUST: $must, with a test: $covered, without: ${#missing[@]}${missing:+ (${missing[*]})}"
echo "tests: $(printf '%s\n' "$tests" | wc -l), naming an item: $(printf '%s\n' "$mentions" | cut -f2 | sort -u | wc -l)"
[ "${#missing[@]}" = 0 ]
