#!/usr/bin/env bash
# A disk that fills up: an import onto a small tmpfs fails with a clear error, nothing
# half-written; once space returns the store verifies and the same import lands.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CTG_BIN:-$(swift build --show-bin-path)}
[ -x "$bin/ctg" ] || swift build >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/ctg-full.XXXXXX")
disk="$work/disk"
mkdir "$disk"
cleanup() { umount "$disk" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
if ! mount -t tmpfs -o size=6m tmpfs "$disk" 2>/dev/null; then
  echo "diskfull-test: skipped, cannot mount a tmpfs here (needs root and mount rights)" >&2
  exit 0
fi
python3 tools/generate.py --seed 9 --events 30000 > "$work/big.ndjson" 2>/dev/null
"$bin/ctg" import --store "$disk/s" Tests/Fixtures/lifecycle.ndjson >/dev/null
if "$bin/ctg" import --store "$disk/s" "$work/big.ndjson" >/dev/null 2>"$work/err"; then
  echo "diskfull-test: 30000 events fit in 6 MB?" >&2; exit 1
fi
grep -q "store-write-failed" "$work/err" || { echo "diskfull-test: unclear error: $(cat "$work/err")" >&2; exit 1; }
"$bin/ctg-audit" verify --store "$disk/s" | grep -q "verified: 26 events" || { echo "diskfull-test: store damaged after a full disk" >&2; exit 1; }
mount -o remount,size=256m "$disk"
"$bin/ctg" import --store "$disk/s" "$work/big.ndjson" >/dev/null
"$bin/ctg-audit" verify --store "$disk/s" | grep -q "verified: 30026 events" || { echo "diskfull-test: the retried import did not land whole" >&2; exit 1; }
echo "diskfull-test: a full disk refused the batch with a clear error and left the store verified; after space returned the import landed"
