#!/usr/bin/env bash
# The GitHub Action's scan step: works out what to scan from the event GitHub sends, runs
# keyhound, writes SARIF and a job summary, and sets the step's outputs. Runs as it is on a
# developer's machine too, given the environment variables GitHub sets (the tests do that).
#
# Inputs (environment): KEYHOUND (binary, default `keyhound`), INPUT_PATH (default `.`),
# INPUT_SARIF_FILE (default keyhound.sarif), INPUT_FAIL_ON_FINDINGS (default true),
# INPUT_ARGS (extra arguments), and GitHub's GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,
# GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
set -uo pipefail

keyhound=${KEYHOUND:-keyhound}
path=${INPUT_PATH:-.}
sarif=${INPUT_SARIF_FILE:-keyhound.sarif}
fail=${INPUT_FAIL_ON_FINDINGS:-true}
event=${GITHUB_EVENT_NAME:-workflow_dispatch}
zero=0000000000000000000000000000000000000000

field() { # a dotted path in the event payload, or nothing
  python3 - "$GITHUB_EVENT_PATH" "$1" <<'PY'
import json, sys
try:
    value = json.load(open(sys.argv[1]))
    for key in sys.argv[2].split("."):
        value = value[key]
    print(value if value is not None else "")
except (OSError, KeyError, TypeError, ValueError):
    print("")
PY
}

range=""
case "$event" in
  push)
    before=$(field before)
    after=$(field after)
    if [[ -z "$after" || "$after" == "$zero" ]]; then
      echo "keyhound: the push deleted a branch: nothing to scan"
      range=skip
    else
      range="${before:-$zero}..$after"
    fi
    ;;
  pull_request|pull_request_target)
    range="$(field pull_request.base.sha)..$(field pull_request.head.sha)"
    ;;
  *)
    range="" # schedule, workflow_dispatch and anything else: the whole history
    ;;
esac

write_output() { [[ -n "${GITHUB_OUTPUT:-}" ]] && echo "$1" >> "$GITHUB_OUTPUT"; return 0; }
write_output "sarif-file=$sarif"

if [[ "$range" == skip ]]; then
  "$keyhound" scan --format sarif --output "$sarif" - < /dev/null
  write_output "findings=0"
  exit 0
fi

args=(scan "$path" --format sarif --output "$sarif" --summary "${GITHUB_STEP_SUMMARY:-/dev/null}")
if [[ -n "$range" ]]; then
  args+=(--git-range "$range")
  echo "keyhound: scanning $event range $range"
else
  echo "keyhound: scanning the whole history ($event)"
fi
# shellcheck disable=SC2206 # extra arguments are split on purpose
[[ -n "${INPUT_ARGS:-}" ]] && args+=(${INPUT_ARGS})
"$keyhound" "${args[@]}"
status=$?

findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$sarif" 2>/dev/null || echo 0)
write_output "findings=$findings"
case $status in
  0) exit 0 ;;
  1) if [[ "$fail" == "false" ]]; then
       echo "keyhound: $findings finding(s); not failing the job (fail-on-findings: false)"
       exit 0
     fi
     echo "::error::keyhound found $findings leaked secret location(s); see the job summary and code scanning alerts"
     exit 1 ;;
  *) exit "$status" ;;
esac
