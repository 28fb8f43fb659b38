#!/usr/bin/env python3
"""Validates NDJSON events against the JSON Schemas in schemas/ with an off-the-shelf
validator (Python jsonschema, draft 2020-12, formats checked).

Usage: check-schemas.py FILE...            every line must be valid; exit 1 otherwise
       check-schemas.py --verdicts FILE    one JSON verdict per line: {"line","valid","error"?}
A line of the form {"expect": ..., "event": {...}} (the schema corpus) is judged on its event.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "schemas"


def validator():
    resources = []
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry = Registry().with_resources(resources)
    envelope = json.loads((SCHEMAS / "envelope.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(envelope, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def verdicts(path, v):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            value = json.loads(line)
            event = value["event"] if isinstance(value, dict) and "expect" in value else value
            errors = sorted(v.iter_errors(event), key=lambda e: list(e.absolute_path))
            yield number, not errors, (errors[0].message if errors else None)


def main(argv):
    v = validator()
    if argv[1:2] == ["--verdicts"]:
        for path in argv[2:]:
            for number, ok, error in verdicts(path, v):
                verdict = {"line": number, "valid": ok}
                if error:
                    verdict["error"] = error
                print(json.dumps(verdict, ensure_ascii=False))
        return 0
    bad = 0
    for path in argv[1:]:
        count = 0
        for number, ok, error in verdicts(path, v):
            count += 1
            if not ok:
                bad += 1
                print(f"{path}:{number}: {error}", file=sys.stderr)
        print(f"check-schemas.py: {path}: {count} events checked")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
