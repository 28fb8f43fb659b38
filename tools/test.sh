#!/usr/bin/env bash
# The test command: installs what is missing, runs the Swift test suite (unit,
# integration and end-to-end tests of the built executables), then checks a fresh
# export of every fixture with the independent Python verifier.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
swift build 2>&1 | grep -v "^\[" || true
swift build >/dev/null   # fail here, with the compiler's message above, if the build fails
swift test 2>&1 | tee .build/test-output.txt | grep -E "✘|error:|Test run|failed" | tail -40
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "swift test failed (exit $status); full output in .build/test-output.txt" >&2
  tail -60 .build/test-output.txt >&2
  exit "$status"
fi

# Independent proof: an export of every fixture verified without this codebase.
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
for f in Tests/Fixtures/lifecycle.ndjson Tests/Fixtures/seeds/*.ndjson; do
  [ -e "$f" ] || continue
  .build/debug/ctg import --store "$store/s" "$f" >/dev/null
done
.build/debug/ctg export --store "$store/s" > "$store/export.ndjson"
python3 tools/check-schemas.py Tests/Fixtures/lifecycle.ndjson Tests/Fixtures/seeds/*.ndjson
python3 tools/verify-export.py "$store/export.ndjson"
.build/debug/ctg-audit verify --store "$store/s"

# Short runs of the reliability scripts (full runs: see README, "Guarantees").
export CTG_BIN=.build/debug
tools/crash-test.sh --rounds 8 --events-per-file 2000
tools/concurrency-test.sh --events 6000 --races 4
tools/readonly-test.sh
tools/diskfull-test.sh
tools/readers-test.sh

# One closing line for CI: the Swift Testing count, and the checks above passed.
tests=$(grep -Eo "Test run with [0-9]+ tests" .build/test-output.txt | grep -Eo "[0-9]+" | tail -1)
echo "tests: ${tests:-0} passed, 0 failed"
