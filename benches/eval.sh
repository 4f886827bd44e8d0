#!/usr/bin/env bash
# Precision/recall of keyhound and its competitors on labelled public examples.
#
#   benches/eval.sh [--scanners keyhound,kingfisher,gitleaks,betterleaks] [--sources a,b]
#                   [--json out.json] [--misses keyhound] [--keep]
#
# Data: ${EVAL_DIR:-../shared/eval/public} (relative to the repository root, or absolute), one
# JSONL file per source; its README.md defines the records and the scoring. The data is read at
# run time and never copied into the repository. Without it the script prints
# "skipped: no eval data at ..." and exits 0.
#
# Each record is written to its own file in a temporary folder (named after meta.path, else
# <id>.txt, inside a subfolder per record), every scanner scans each source's folder in directory
# mode, and a record counts as flagged when the scanner reports anything in its file. Printed per
# source and in total: recall, FP rate and precision per scanner, counted in records.
#
#   --scanners LIST  which scanners, in column order (competitors that are not installed are
#                    skipped with a note; keyhound must be built: cargo build --release)
#   --sources LIST   only these sources (file names without .jsonl)
#   --json FILE      also write the numbers, and the missed/flagged ids, to FILE
#   --misses NAME    list NAME's missed positives and flagged negatives: ids and rule_hint only,
#                    never secret values
#   --keep           keep the temporary folder with the record files and raw reports
#
# Environment: KEYHOUND (keyhound binary; default target/release/keyhound in this repository),
# EVAL_DIR, GL_CONFIG (gitleaks config; default /opt/anchors/etc/gitleaks-default.toml).
# Competitors come from /opt/anchors/env.sh when it exists. No network: secret validation and
# update checks are off.
# Exit status: 0, or 1 when a scan failed (its cells show ERROR).
set -euo pipefail
# shellcheck disable=SC1091
if [[ -f /opt/anchors/env.sh ]]; then source /opt/anchors/env.sh; fi
# No cd: --json FILE is relative to the caller's directory; eval.py resolves EVAL_DIR and
# KEYHOUND against the repository root itself.
exec python3 "$(dirname "$0")/eval.py" "$@"
