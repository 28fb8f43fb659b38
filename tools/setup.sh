#!/usr/bin/env bash
# Installs what building and testing the ledger needs, when it is missing:
# LMDB's headers and library (liblmdb-dev), jemalloc (libjemalloc-dev, the executables'
# allocator) and Python's jsonschema for the schema checks.
set -euo pipefail

need_apt=()
if ! pkg-config --exists lmdb 2>/dev/null && [ ! -f /usr/include/lmdb.h ]; then
  need_apt+=(liblmdb-dev)
fi
if ! pkg-config --exists jemalloc 2>/dev/null; then
  need_apt+=(libjemalloc-dev)
fi
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v mdb_stat >/dev/null 2>&1 || need_apt+=(lmdb-utils)
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ "${CTG_SETUP_PYTHON:-1}" = "1" ] && ! python3 -c 'import jsonschema' 2>/dev/null; then
  echo "setup: installing Python jsonschema" >&2
  python3 -m pip install --quiet jsonschema 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages jsonschema 2>/dev/null \
    || { apt-get install -y -qq python3-jsonschema >/dev/null; }
fi

command -v swift >/dev/null 2>&1 || { echo "setup: Swift 6 is required (swift not on PATH)" >&2; exit 1; }
