#!/usr/bin/env bash
# usage: cost-comment.sh BASE_DIR HEAD_DIR OUT_DIR   (PR_NUMBER and HEAD_SHA in the environment)
# Prices every stack of HEAD_DIR at the base and at the head with the head's tooling and writes
# OUT_DIR/comment.md (the pull-request comment: totals, budget, per-resource changes), plus
# pr-number and head-sha for pr-comment.yml. A base that cannot be priced (a stack it lacks, a
# program that fails) gives a head-only comment. Exits 1 when a stack fails its budget (prod).
set -euo pipefail
base=$1 head=$2 out=$3
gw="$head/venv/bin/groundwork"
mkdir -p "$out"
stacks_json=$("$gw" ci stacks -C "$head" --github-output /dev/null | sed -n 's/^stacks=//p')
mapfile -t stacks < <(python3 -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])))' "$stacks_json")
args=()
for s in "${stacks[@]}"; do args+=(--stack "$s"); done

compare=()
if "$gw" cost -C "$base" "${args[@]}" --format json --output "$out/base.json" >"$out/base.log" 2>&1; then
  compare=(--compare-to "$out/base.json")
else
  echo "::notice title=Cost::the base could not be priced with the head's tooling (see base.log in the artifact); the comment shows the head only"
fi
status=0
"$gw" cost -C "$head" "${args[@]}" --format markdown "${compare[@]}" --output "$out/comment.md" || status=$?
"$gw" cost -C "$head" "${args[@]}" --format json --output "$out/head.json" >/dev/null 2>&1 || true
printf '%s\n' "${PR_NUMBER:-}" >"$out/pr-number"
printf '%s\n' "${HEAD_SHA:-}" >"$out/head-sha"
cat "$out/comment.md" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
if [ "$status" -ne 0 ]; then
  echo "::error title=Cost::a stack is over a budget that fails (groundwork:cost.overBudget: fail); see the comment"
fi
exit "$status"
