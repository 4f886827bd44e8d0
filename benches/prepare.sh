#!/usr/bin/env bash
# Builds the benchmark inputs in $BENCH_DIR (default: ./bench-data, never committed):
#   git/         a clone of git/git made with `git clone --no-local` (reachable objects only)
#   trufflehog/  the same for trufflesecurity/trufflehog (default branch only)
#   trees/       the HEAD working trees of both, side by side, without .git
# Usage: benches/prepare.sh GIT_GIT_SOURCE TRUFFLEHOG_SOURCE
# Each source is a URL or a path to a full mirror of that repository.
set -euo pipefail
BENCH_DIR=${BENCH_DIR:-bench-data}
[[ $# -eq 2 ]] || { echo "usage: $0 GIT_GIT_SOURCE TRUFFLEHOG_SOURCE" >&2; exit 2; }
mkdir -p "$BENCH_DIR/trees"
cd "$BENCH_DIR"
[[ -d git ]] || git clone -q --no-local "$1" git
[[ -d trufflehog ]] || git clone -q --no-local --single-branch "$2" trufflehog
rm -rf trees && mkdir trees
git -C git archive HEAD --prefix=git/ | tar -x -C trees
git -C trufflehog archive HEAD --prefix=trufflehog/ | tar -x -C trees
echo "trees: $(find trees -type f | wc -l) files, $(du -sh trees | cut -f1)"
echo "git: $(git -C git rev-list --all --count) commits, pack $(du -sh git/.git/objects/pack | cut -f1)"
