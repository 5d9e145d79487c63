#!/usr/bin/env bash
# usage: guard.sh STACK
# `groundwork guard` (GOV-02) on a real `pulumi preview --json` of STACK: fails when the change
# would replace or delete a stateful resource in prod without an allowance in the stack file
# (docs/living-with-a-stack.md). The report goes to the log and the job summary.
set -euo pipefail
stack=$1
groundwork=${GROUNDWORK:-venv/bin/groundwork}
preview="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/preview-$stack.json"
report=$(mktemp)
status=0
pulumi preview --stack "$stack" --json --non-interactive > "$preview" || status=$?
if [ "$status" -ne 0 ]; then
  echo "pulumi preview --json failed (exit $status); the guard cannot judge the change" | tee "$report"
else
  "$groundwork" guard --stack "$stack" --preview "$preview" 2>&1 | tee "$report" || status=$?
fi
{
  # shellcheck disable=SC2016 # the backticks are Markdown, not a command substitution
  printf '### groundwork guard: `%s`\n\n```\n' "$stack"
  cat "$report"
  printf '```\n'
} >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
exit "$status"
