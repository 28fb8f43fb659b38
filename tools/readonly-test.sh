#!/usr/bin/env bash
# Least privilege: every ctg-audit command works on a store mounted read-only (a bind
# mount: CI runs as root, where file modes alone stop nothing) and leaves data.mdb
# byte-identical; ctg refuses to write there with a clear error.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CTG_BIN:-$(swift build --show-bin-path)}
[ -x "$bin/ctg-audit" ] || swift build >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/ctg-ro.XXXXXX")
ro="$work/ro"
cleanup() { umount "$ro" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$bin/ctg" import --store "$work/store" Tests/Fixtures/lifecycle.ndjson Tests/Fixtures/seeds/*.ndjson >/dev/null
before=$(sha256sum "$work/store/data.mdb" | cut -d' ' -f1)
mkdir "$ro"
if ! mount --bind "$work/store" "$ro" 2>/dev/null || ! mount -o remount,bind,ro "$ro" 2>/dev/null; then
  echo "readonly-test: cannot bind-mount here (needs root and mount rights); checking with file modes only" >&2
  umount "$ro" 2>/dev/null || true
  rmdir "$ro"; cp -a "$work/store" "$ro"; chmod -R a-w "$ro"
fi
audit() { "$bin/ctg-audit" "$@" --store "$ro" >/dev/null || { echo "readonly-test: ctg-audit $* failed on a read-only store" >&2; exit 1; }; }
audit verify
audit replay --until-seq 20 --format json
audit replay --as-of 2024-01-01 --by year
audit history --decision d-2024-ps --format json
audit trace --convention ctg-demo-2022 --year 2024
if "$bin/ctg" import --store "$ro" Tests/Fixtures/lifecycle.ndjson >/dev/null 2>"$work/err"; then
  echo "readonly-test: ctg wrote to a read-only store" >&2; exit 1
fi
grep -q "store-open\|cannot" "$work/err" || { echo "readonly-test: unclear error: $(cat "$work/err")" >&2; exit 1; }
after=$(sha256sum "$ro/data.mdb" | cut -d' ' -f1)
[ "$before" = "$after" ] || { echo "readonly-test: data.mdb changed" >&2; exit 1; }
echo "readonly-test: every ctg-audit command ran on a read-only store; data.mdb unchanged; ctg refused to write"
