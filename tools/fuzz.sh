#!/usr/bin/env bash
# Runs the libFuzzer targets (Sources/ctg-fuzz) for a bounded time each:
#   envelope  strict JSON, envelope and payload checks, canonical form round trip
#   amount    money and decimal parsing (whatever parses prints back the same)
#   append    the whole append path on a scratch store, which must still verify
# Seeds come from Tests/Fixtures/fuzz-corpus; findings go to .build-fuzz/.
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, all three)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(envelope amount append)
tools/setup.sh
swift build --product ctg-fuzz --scratch-path .build-fuzz \
  -Xswiftc -DCTG_FUZZING -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library >/dev/null
status=0
for t in "${targets[@]}"; do
  corpus=.build-fuzz/corpus-$t
  crashes=.build-fuzz/crashes-$t
  mkdir -p "$corpus" "$crashes"
  echo "== fuzzing $t for ${seconds}s"
  # -max_len bounds an input; -rss_limit_mb and -timeout turn unbounded memory or a hang into a finding.
  if ! CTG_FUZZ_TARGET=$t .build-fuzz/debug/ctg-fuzz "$corpus" Tests/Fixtures/fuzz-corpus \
      -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$crashes/" -print_final_stats=1 2>&1 | grep -E "^Done|ERROR|SUMMARY|stat::number_of_executed_units"; then
    :
  fi
  if ls "$crashes"/* >/dev/null 2>&1; then
    echo "fuzz: $t found inputs that crash, hang or exhaust memory: $(ls "$crashes")" >&2
    status=1
  fi
done
exit $status
