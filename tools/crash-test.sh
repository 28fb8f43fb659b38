#!/usr/bin/env bash
# Crash safety: kills `ctg import` with kill -9 at random moments of large imports, many
# times, and after each checks that the file landed whole or not at all, that seq is
# gap-free and that `ctg-audit verify` passes.
#   tools/crash-test.sh [--rounds N] [--events-per-file M] [--rate EVENTS_PER_S]
#   (default 50 rounds, 5000 events a file; kills are drawn within the time one import
#   of a file takes on this machine, measured first, unless --rate gives its speed)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=50
per_file=5000
rate=""   # events/s an import runs at; measured when not given
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --events-per-file) per_file=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "usage: tools/crash-test.sh [--rounds N] [--events-per-file M] [--rate R]" >&2; exit 2 ;;
  esac
done
bin=${CTG_BIN:-$(swift build -c release --show-bin-path)}
[ -x "$bin/ctg" ] || swift build -c release >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/ctg-crash.XXXXXX")
trap 'rm -rf "$work"' EXIT
store="$work/store"

# Files of disjoint streams, so any subset of them may land in any order.
files=$(( rounds < 10 ? rounds : 10 ))
python3 tools/generate.py --seed 42 --events $(( per_file * files )) --files "$files" --out "$work/in" 2>/dev/null
count() { "$bin/ctg-audit" verify --store "$store" 2>/dev/null | sed -n 's/^verified: \([0-9]*\) events.*/\1/p'; }

# How long one file's import takes here (binaries and machines differ by tenfold):
# every kill is drawn within it, so that it lands while the import runs.
if [ -z "$rate" ]; then
  start=$(date +%s.%N)
  "$bin/ctg" import --store "$work/calibration" "$work/in/events-001.ndjson" >/dev/null
  end=$(date +%s.%N)
  rm -rf "$work/calibration"
  lines=$(grep -c . "$work/in/events-001.ndjson")
  rate=$(awk -v a="$start" -v b="$end" -v n="$lines" 'BEGIN { d = b - a; if (d < 0.01) d = 0.01; printf "%.0f", n / d }')
fi

declare -A landed
total=0
killed=0
for round in $(seq "$rounds"); do
  f=$(( (round - 1) % files + 1 ))
  file=$(printf "%s/in/events-%03d.ndjson" "$work" "$f")
  lines=$(grep -c . "$file")
  before=$total
  "$bin/ctg" import --store "$store" "$file" >/dev/null 2>&1 &
  pid=$!
  # A random moment within the import (its length is about lines / rate seconds), or
  # now and then just after it (a batch that landed, then the next one killed on it).
  sleep "$(awk -v s=$RANDOM -v n="$lines" -v r="$rate" 'BEGIN { srand(s); printf "%.3f", rand() * 1.3 * n / r }')"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  if [ ! -d "$store" ] || [ ! -f "$store/data.mdb" ]; then after=0; else after=$(count || true); fi
  if [ -z "$after" ]; then
    # A store killed before its first commit has no events yet: it must still open.
    "$bin/ctg-audit" verify --store "$store" >/dev/null 2>&1 || true
    after=$total
  fi
  if [ "${landed[$f]:-0}" = 1 ]; then
    expected_whole=$before   # a re-import of a landed file only skips
  else
    expected_whole=$((before + lines))
  fi
  if [ "$after" -eq "$before" ]; then
    :
  elif [ "$after" -eq "$expected_whole" ]; then
    landed[$f]=1
  else
    echo "round $round: $after events after importing $lines onto $before: a partial batch landed" >&2
    exit 1
  fi
  total=$after
  if [ "$total" -gt 0 ]; then
    "$bin/ctg-audit" verify --store "$store" >/dev/null || { echo "round $round: verify failed" >&2; exit 1; }
    "$bin/ctg" export --store "$store" > "$work/export.ndjson"
    python3 tools/verify-export.py "$work/export.ndjson" >/dev/null || { echo "round $round: export chain broken" >&2; exit 1; }
  fi
done
if [ "$killed" -eq 0 ]; then
  echo "crash-test: no import was still running when killed: nothing was tested (imports of $per_file events at ~$rate events/s)" >&2
  exit 1
fi
echo "crash-test: $rounds rounds, $killed imports killed with -9, $total events; every batch whole or absent, chain and projections verified"
