#!/usr/bin/env bash
# Side-by-side benchmarks of keyhound and its competitors on the inputs of prepare.sh.
# Needs hyperfine and /usr/bin/time; competitors from shared/anchors/install.sh
# (`source /opt/anchors/env.sh`). Prints wall time, peak RSS, blobs/s and MB/s.
#   benches/run.sh [dir|history|staged|range|rules|all]
set -euo pipefail
BENCH_DIR=$(realpath "${BENCH_DIR:-bench-data}")
KH=$(realpath "${KEYHOUND:-target/release/keyhound}")
GL_CONFIG=${GL_CONFIG:-/opt/anchors/etc/gitleaks-default.toml}
THREADS=${THREADS:-2}
what=${1:-all}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

have() { command -v "$1" >/dev/null 2>&1; }

timed() { # label, command...: wall seconds and peak RSS via /usr/bin/time -v
  local label=$1; shift
  /usr/bin/time -v "$@" >"$out/stdout" 2>"$out/time" || true
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$out/time")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$out/time")
  printf '%-12s wall %-10s peak RSS %6d MB\n' "$label" "$wall" $((rss / 1024))
}

if [[ $what == dir || $what == all ]]; then
  echo "== directory scan: $BENCH_DIR/trees ($(find "$BENCH_DIR/trees" -type f | wc -l) files)"
  cmds=("$KH scan $BENCH_DIR/trees -j $THREADS --format json -o /dev/null")
  names=(keyhound)
  if have kingfisher; then cmds+=("kingfisher scan $BENCH_DIR/trees --no-validate --no-update-check --git-history none --format json -o $out/kf.json"); names+=(kingfisher); fi
  if have betterleaks; then cmds+=("betterleaks fs $BENCH_DIR/trees --no-banner -o $out/bl.json"); names+=(betterleaks); fi
  if have gitleaks; then cmds+=("gitleaks dir $BENCH_DIR/trees -c $GL_CONFIG --no-banner -f json -r $out/gl.json"); names+=(gitleaks); fi
  args=(); for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  hyperfine -N -i -w 1 -r "${RUNS:-5}" "${args[@]}"
fi

if [[ $what == history || $what == all ]]; then
  repo=$BENCH_DIR/git
  echo "== full-history scan: $repo ($(git -C "$repo" rev-list --all --count) commits), $THREADS threads"
  timed keyhound "$KH" scan "$repo" --no-worktree -j "$THREADS" --format json -o "$out/kh.json"
  python3 - "$out/kh.json" "$out/time" <<'PY'
import json, re, sys
stats = json.load(open(sys.argv[1]))["stats"]
t = open(sys.argv[2]).read()
m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", t)
secs = (int(m.group(1) or 0) * 3600) + int(m.group(2)) * 60 + float(m.group(3))
print(f"             {stats['blobs_scanned']} blobs, {stats['bytes_scanned'] / 1e6:.0f} MB: "
      f"{stats['blobs_scanned'] / secs:.0f} blobs/s, {stats['bytes_scanned'] / 1e6 / secs:.0f} MB/s")
PY
  if have kingfisher; then timed kingfisher kingfisher scan "$repo" --no-validate --no-update-check --format json -o "$out/kf.json"; fi
  if have betterleaks; then timed betterleaks betterleaks git "$repo" --no-banner -o "$out/bl.json"; fi
  if have gitleaks; then timed gitleaks gitleaks git "$repo" -c "$GL_CONFIG" --no-banner -f json -r "$out/gl.json"; fi
fi

if [[ $what == staged || $what == all ]]; then
  repo=$BENCH_DIR/git
  echo "== --staged with a one-line change in $repo"
  echo "export BENCH_TOKEN=not-a-secret" >> "$repo/Makefile"
  git -C "$repo" add Makefile
  cmds=("$KH scan --staged $repo --format json -o /dev/null")
  names=(keyhound)
  if have betterleaks; then cmds+=("betterleaks git $repo --staged --no-banner -o $out/bl.json"); names+=(betterleaks); fi
  args=(); for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  hyperfine -N -i -w 3 -r "${RUNS:-20}" "${args[@]}" || true
  git -C "$repo" reset -q Makefile && git -C "$repo" checkout -q Makefile
fi

if [[ $what == range || $what == all ]]; then
  # What the GitHub Action does on a push: scan only the commits BASE..HEAD add. Kingfisher's
  # --since-commit also scans other refs' commits not reachable from BASE, so it is given
  # --branch HEAD.
  repo=$BENCH_DIR/git
  base=$(git -C "$repo" rev-parse "HEAD~${RANGE_COMMITS:-50}")
  echo "== push range: $base..HEAD ($(git -C "$repo" rev-list --count "$base..HEAD") commits)"
  cmds=("$KH scan $repo --git-range $base..HEAD --format json -o /dev/null")
  names=(keyhound)
  if have kingfisher; then cmds+=("kingfisher scan $repo --since-commit $base --branch HEAD --no-validate --no-update-check --format json -o $out/kf.json"); names+=(kingfisher); fi
  if have betterleaks; then cmds+=("betterleaks git $repo --log-opts=$base..HEAD --no-banner -o $out/bl.json"); names+=(betterleaks); fi
  if have gitleaks; then cmds+=("gitleaks git $repo --log-opts=$base..HEAD -c $GL_CONFIG --no-banner -f json -r $out/gl.json"); names+=(gitleaks); fi
  args=(); for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  hyperfine -N -i -w 1 -r "${RUNS:-10}" "${args[@]}" || true
fi

if [[ $what == rules || $what == all ]]; then
  echo "== rule loading and compilation (a scan of an empty directory)"
  mkdir -p "$out/empty"
  hyperfine -N -w 5 -r 50 -n "keyhound rules+engine" "$KH scan $out/empty --format json -o /dev/null"
fi
