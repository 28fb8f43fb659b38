#!/usr/bin/env bash
# Concurrent writers: several `ctg import` processes on disjoint streams at once, then
# many races on one stream with expectedVersion. Nothing may be lost or duplicated, seq
# must stay gap-free, exactly one writer must win each conflict and the losers be told.
#   tools/concurrency-test.sh [--writers N] [--events M] [--races R]
set -euo pipefail
cd "$(dirname "$0")/.."
writers=4
events=40000
races=20
while [ $# -gt 0 ]; do
  case "$1" in
    --writers) writers=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --races) races=$2; shift 2 ;;
    *) echo "usage: tools/concurrency-test.sh [--writers N] [--events M] [--races R]" >&2; exit 2 ;;
  esac
done
bin=${CTG_BIN:-$(swift build -c release --show-bin-path)}
[ -x "$bin/ctg" ] || swift build -c release >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/ctg-conc.XXXXXX")
trap 'rm -rf "$work"' EXIT
store="$work/store"

python3 tools/generate.py --seed 7 --events "$events" --files "$writers" --out "$work/in" 2>/dev/null
pids=()
for f in "$work"/in/events-*.ndjson; do
  "$bin/ctg" import --store "$store" "$f" > "$f.out" 2>&1 &
  pids+=($!)
done
# A reader during the writes always sees a consistent state: verify passes on whatever
# snapshot it gets (before the first commit there is no store yet, which it says).
for _ in 1 2 3 4 5; do
  if ! "$bin/ctg-audit" verify --store "$store" > "$work/read.out" 2>&1; then
    grep -qE "no-store|empty-store" "$work/read.out" || { echo "a reader saw an inconsistent store:" >&2; cat "$work/read.out" >&2; exit 1; }
  fi
done
for p in "${pids[@]}"; do wait "$p" || { echo "a writer failed:" >&2; cat "$work"/in/*.out >&2; exit 1; }; done
"$bin/ctg" export --store "$store" > "$work/export.ndjson"
python3 tools/verify-export.py "$work/export.ndjson" >/dev/null
got=$(grep -c . "$work/export.ndjson")
[ "$got" -eq "$events" ] || { echo "$got events in the store, $events imported" >&2; exit 1; }
dups=$(sed 's/.*"id":"\([^"]*\)".*"ledger".*/\1/' "$work/export.ndjson" | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || { echo "$dups duplicated ids" >&2; exit 1; }
"$bin/ctg-audit" verify --store "$store" >/dev/null

# Races on one stream: two writers with the same expectedVersion, exactly one wins.
stream=$(sed -n '1s/.*"stream":"\([^"]*\)".*/\1/p' "$work/export.ndjson")
for r in $(seq "$races"); do
  v=$("$bin/ctg" events --store "$store" --stream "$stream" | tail -1 | sed 's/.*"version":\([0-9]*\).*/\1/')
  for side in a b; do
    "$bin/ctg" record EvaluationRecorded --store "$store" --stream "$stream" --id "race-$r-$side" --occurred-at 2030-01-01 \
      --actor race/test --expected-version "$v" --data "{\"evaluationId\":\"race-$r-$side\",\"scope\":\"convention\",\"findings\":\"race\"}" \
      > "$work/race-$side.out" 2>&1 &
  done
  wait || true
  wins=$(grep -l "^recorded" "$work"/race-*.out | wc -l)
  told=$(grep -l "version-conflict" "$work"/race-*.out | wc -l)
  [ "$wins" -eq 1 ] && [ "$told" -eq 1 ] || { echo "race $r: $wins winners, $told told of the conflict" >&2; cat "$work"/race-*.out >&2; exit 1; }
done
"$bin/ctg-audit" verify --store "$store" >/dev/null
echo "concurrency-test: $writers writers imported $events events with no loss or duplicate; $races races each had exactly one winner"
