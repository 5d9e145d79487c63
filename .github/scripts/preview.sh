#!/usr/bin/env bash
# usage: preview.sh STACK
# `pulumi preview` of STACK with the policy pack and a diff. The output goes to the log and, folded,
# to the job summary; the exit status is pulumi's (a mandatory policy violation fails it).
set -euo pipefail
stack=$1
log=$(mktemp)
status=0
pulumi preview --stack "$stack" --policy-pack policies --diff --non-interactive --suppress-progress --color never \
  2>&1 | tee "$log" || status=$?
{
  # shellcheck disable=SC2016 # the backticks are Markdown, not a command substitution
  printf '### pulumi preview: `%s`\n\n' "$stack"
  if [ "$status" -eq 0 ]; then
    echo "Preview passed, policy pack included."
  else
    echo "**Preview failed** (exit $status): a mandatory policy violation or an error, see below."
  fi
  printf '\n<details><summary>output</summary>\n\n```\n'
  tail -c 60000 "$log"
  printf '\n```\n</details>\n'
} >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
exit "$status"
