#!/usr/bin/env bash
# usage: drift.sh STACK   (GITHUB_REPOSITORY, GITHUB_TOKEN, RUN_URL in the environment)
# `pulumi refresh --preview-only` compares the state with the cloud without changing either;
# `groundwork ci drift` reports the differences and opens, updates or closes the stack's issue.
set -euo pipefail
stack=$1
dir=$(mktemp -d)
if ! pulumi refresh --stack "$stack" --preview-only --json --non-interactive >"$dir/refresh.json" 2>"$dir/refresh.err"; then
  cat "$dir/refresh.err" >&2
  # an error still prints the JSON document when the refresh got that far; without it, fail
  if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dir/refresh.json" 2>/dev/null; then
    echo "::error title=Drift::pulumi refresh failed for $stack"
    exit 1
  fi
fi
venv/bin/groundwork ci drift --stack "$stack" --refresh-json "$dir/refresh.json" \
  --repo "$GITHUB_REPOSITORY" --run-url "${RUN_URL:-}" --summary "${GITHUB_STEP_SUMMARY:-/dev/null}"
