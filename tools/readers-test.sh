#!/usr/bin/env bash
# Readers: a reader killed with -9 leaves a stale slot that the next ctg clears; when
# the reader table is full, ctg says so clearly, and works again once readers go.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CTG_BIN:-$(swift build --show-bin-path)}
[ -x "$bin/ctg" ] || swift build >/dev/null
command -v mdb_stat >/dev/null || { apt-get update -qq && apt-get install -y -qq lmdb-utils >/dev/null; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ctg-readers.XXXXXX")
holders=()
cleanup() { for p in "${holders[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cc -O2 -o "$work/lmdb-tool" tools/bench-lmdb.c -llmdb
store="$work/store"
"$bin/ctg" import --store "$store" Tests/Fixtures/lifecycle.ndjson >/dev/null

gone() {  # kills a holder with -9 and waits until it has died (a zombie holds nothing)
  kill -9 "$1" 2>/dev/null || true
  while state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]; do sleep 0.01; done
}
readers() { mdb_stat -r "$store" | awk '/^ *[0-9]+ +[0-9a-f]+ +[0-9-]+$/ {n++} END {print n+0}'; }
hold() {  # starts a process holding a read transaction; waits until it holds it
  # Started from a subshell, so it is no job of this shell (no "Killed" messages).
  ("$work/lmdb-tool" "$store" hold > "$work/hold.$1" 2>&1 & echo $! > "$work/pid.$1")
  holders+=("$(cat "$work/pid.$1")")
  for _ in $(seq 100); do grep -q . "$work/hold.$1" 2>/dev/null && break; sleep 0.05; done
}

# A killed reader leaves a stale slot while another process keeps the store open (the
# last one out resets the table anyway); the next ctg run clears it.
hold alive
hold victim
gone "${holders[1]}"
[ "$(readers)" -eq 2 ] || { echo "readers-test: expected a live and a stale reader" >&2; mdb_stat -r "$store" >&2; exit 1; }
"$bin/ctg" import --store "$store" Tests/Fixtures/lifecycle.ndjson >/dev/null
[ "$(readers)" -eq 1 ] || { echo "readers-test: the stale reader slot was not cleared" >&2; mdb_stat -r "$store" >&2; exit 1; }
"$bin/ctg-audit" verify --store "$store" >/dev/null
gone "${holders[0]}"

# A full reader table: a clear error, then recovery once the readers are gone.
holders=()
for i in $(seq 126); do hold "$i"; done
grep -L ready "$work"/hold.* | grep -q . && { echo "readers-test: a holder could not start: $(cat "$work"/hold.* | sort | uniq -c)" >&2; exit 1; }
if "$bin/ctg-audit" verify --store "$store" >/dev/null 2>"$work/err"; then
  echo "readers-test: 126 readers held, yet verify got a slot" >&2; exit 1
fi
grep -qi "readers" "$work/err" || { echo "readers-test: unclear error: $(cat "$work/err")" >&2; exit 1; }
for p in "${holders[@]}"; do gone "$p"; done
holders=()
"$bin/ctg-audit" verify --store "$store" >/dev/null
echo "readers-test: a killed reader's slot was cleared; a full reader table was reported and recovered from"
