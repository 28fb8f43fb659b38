#!/usr/bin/env python3
"""Independent verifier of a CTG ledger export, with nothing but JSON and SHA-256.

Each line is one event with a `ledger` object {seq, version, recordedAt, prevHash, hash}.
`hash` is the SHA-256 of the RFC 8785 (JCS) canonical JSON of the line without
`ledger.hash`; `prevHash` of seq 1 is 64 zeros, and of every other event the hash of
seq - 1. v1 events hold only strings, integers, booleans, arrays and objects, so JCS
reduces to: keys sorted by UTF-16 code units, no whitespace, integers as digits, and
strings escaping only '"', '\\' and control characters.

Usage: verify-export.py EXPORT.ndjson [--partial]
Exit 0 when every check holds; 1 naming the first bad line otherwise.
"""
import hashlib
import json
import sys


def jcs(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(jcs(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(value[k]) for k in keys) + "}"
    raise ValueError(f"a v1 event holds no {type(value).__name__}")


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, partial = argv[1], "--partial" in argv[2:]
    previous = None  # (seq, hash)
    versions = {}
    count = 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            count += 1
            try:
                event = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)
                ledger = event["ledger"]
                claimed = ledger.pop("hash")
                seq, version, prev = ledger["seq"], ledger["version"], ledger["prevHash"]
                stream = event["stream"]
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
                return fail(path, number, f"not an exported event: {e}")
            digest = hashlib.sha256(jcs(event).encode("utf-8")).hexdigest()
            if digest != claimed:
                return fail(path, number, f"seq {seq}: content does not match its hash {claimed}")
            if previous is None:
                if seq != 1 and not partial:
                    return fail(path, number, f"a complete export starts at seq 1, not {seq}")
                if seq == 1 and prev != "0" * 64:
                    return fail(path, number, "seq 1: prevHash must be 64 zeros")
            elif seq <= previous[0]:
                return fail(path, number, f"seq {seq} after seq {previous[0]}: out of order")
            elif seq == previous[0] + 1:
                if prev != previous[1]:
                    return fail(path, number, f"seq {seq}: prevHash does not link to seq {previous[0]}")
            elif partial:
                print(f"gap: seqs {previous[0] + 1}..{seq - 1} are not in this export")
            else:
                return fail(path, number, f"seqs {previous[0] + 1}..{seq - 1} are missing")
            expected = versions.get(stream, 0) + 1
            if version != expected and not (partial and version > expected):
                return fail(path, number, f"seq {seq}: version {version} of {stream}, expected {expected}")
            versions[stream] = version
            previous = (seq, claimed)
    if count == 0 and not partial:
        return fail(path, 0, "no events")
    print(f"verify-export.py: {count} events, {len(versions)} streams: every hash and link holds")
    return 0


def fail(path, number, message):
    print(f"verify-export.py: {path}:{number}: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
