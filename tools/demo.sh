#!/usr/bin/env bash
# The main job, on a fresh machine: build, replay the seed fixtures (the five real
# conventions) and the full-lifecycle fixture into an embedded store, then show the
# conventions, one convention's state, funding totals by year, one decision's history
# and a passing audit.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
echo "== building (swift build -c release)"
swift build -c release --product ctg >/dev/null
swift build -c release --product ctg-audit >/dev/null
bin=$(swift build -c release --show-bin-path)
store=${CTG_DEMO_STORE:-./demo-store}
rm -rf "$store"
export CTG_STORE="$store"

run() { echo; echo "\$ $*"; "$@"; }

echo "== replaying the fixtures into $store"
run "$bin/ctg" import Tests/Fixtures/seeds/*.ndjson Tests/Fixtures/lifecycle.ndjson
run "$bin/ctg" conventions --as-of 2026-11-29
run "$bin/ctg" convention ctg-saint-flour-2017 --as-of 2026-11-29
run "$bin/ctg" funding --by year
run "$bin/ctg" decisions ctg-demo-2022
run "$bin/ctg-audit" history --decision d-2024-ps
run "$bin/ctg-audit" verify
"$bin/ctg" export > "$store/export.ndjson"
run python3 tools/verify-export.py "$store/export.ndjson"
