#!/usr/bin/env python3
"""Validates SegStation JSON reports against Reports/schema/report.schema.json with the reference
implementation of JSON Schema draft 2020-12 (python `jsonschema`, with format checking), checks that
broken variants are rejected, and records the outcome in Tests/ReportsTests/Expected/jsonschema_validation.json
(the Swift test ReportOutputTests.testRecordedReferenceValidationIsCurrent checks it matches the schema in the repo).

Usage: report_validate_schema.py REPORT.json [REPORT.json ...]   (see report_schema_check.sh)
Dev-only dependency: pip install jsonschema
"""
import copy
import hashlib
import json
import sys
from importlib.metadata import version
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "Reports/schema/report.schema.json"
RECORD = ROOT / "Tests/ReportsTests/Expected/jsonschema_validation.json"


def broken_variants(doc):
    """(name, document) pairs that must fail validation."""
    out = []
    d = copy.deepcopy(doc); del d["provenance"]; out.append(("missing provenance", d))
    if doc["lesions"]:
        d = copy.deepcopy(doc); d["lesions"][0]["volumeML"] = "24.4"; out.append(("volume as string", d))
        d = copy.deepcopy(doc); d["lesions"][0]["volumeML"] = -1; out.append(("negative volume", d))
        d = copy.deepcopy(doc); d["lesions"][0]["centroidLPS"] = [1, 2]; out.append(("2-vector centroid", d))
    d = copy.deepcopy(doc); d["provenance"]["modelSHA256"] = "unknown"; out.append(("bad model hash", d))
    d = copy.deepcopy(doc); d["keySlices"][0]["plane"] = "oblique"; out.append(("unknown plane", d))
    d = copy.deepcopy(doc); d["study"]["studyDate"] = "20260214"; out.append(("DICOM date", d))
    d = copy.deepcopy(doc); d["extra"] = 1; out.append(("extra key", d))
    d = copy.deepcopy(doc); d["generatedAt"] = "yesterday"; out.append(("generatedAt not a date-time", d))
    return out


def main(paths):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    results = []
    failures = 0
    for path in paths:
        doc = json.loads(Path(path).read_text())
        errors = [e.message for e in validator.iter_errors(doc)]
        rejected = {name: bool(list(validator.iter_errors(d))) for name, d in broken_variants(doc)}
        ok = not errors and all(rejected.values())
        failures += not ok
        results.append({"file": Path(path).name, "valid": not errors, "errors": errors[:10],
                        "brokenVariantsRejected": rejected, "lesionCount": len(doc.get("lesions", []))})
        print(f"{path}: {'valid' if not errors else 'INVALID'}; broken variants rejected: "
              f"{sum(rejected.values())}/{len(rejected)}")
        for e in errors[:10]:
            print("  ", e)
    record = {"schemaSHA256": hashlib.sha256(SCHEMA.read_bytes()).hexdigest(), "validator": "Draft202012Validator",
              "jsonschemaVersion": version("jsonschema"), "results": results, "allPassed": failures == 0}
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    print(f"recorded {RECORD.relative_to(ROOT)}: {'all passed' if failures == 0 else f'{failures} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
