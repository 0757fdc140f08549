#!/usr/bin/env python3
"""Reduced anonymised acceptance (a debug build finishes it in minutes): TotalSegmentator example CT as
shipped through export-seg (its own 117-class mask) and export-sr; a small phantom with identifiers removed
by pydicom through inspect/convert/segment (threshold-3d test model)/export-seg/export-sr/report; dciodvfy
and highdicom checks of anonymised_acceptance.py. Result: Tests/DICOMTests/Expected/anonymised_acceptance.json."""
import json, os, sys, subprocess
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The binary: $SEGSTATION_BIN, else .build/release or .build/debug (see anonymised_acceptance.py).
import anonymised_acceptance as A
work = sys.argv[1] if len(sys.argv) > 1 else __import__("tempfile").mkdtemp(prefix="anon-quick-")
db = os.path.join(work, "q.sqlite")
res = {}
# TotalSegmentator CT as shipped (anonymised): export-seg with TotalSegmentator's own 117-class mask, export-sr.
ct = os.path.join(A.DATA, "totalsegmentator/example_ct_dicom")
seg = os.path.join(work, "ts-seg.dcm"); sr = os.path.join(work, "ts-sr.dcm")
if not os.path.exists(seg):
    A.run(["export-seg", "--mask", os.path.join(A.DATA, "totalsegmentator/example_seg_dicom.nii.gz"), "--source", ct, "-o", seg], db)
if not os.path.exists(sr):
    A.run(["export-sr", "--seg", seg, "--image", ct, "-o", sr], db)
insp = json.loads(A.run(["inspect", "--json", ct], db).stdout)
h = A.highdicom_check(seg, ct)
h["matchesInspect"] = h["studyUID"] == insp["studies"][0]["info"]["studyInstanceUID"] and h["referencedSeries"] == insp["studies"][0]["series"][0]["info"]["seriesInstanceUID"]
res["totalseg export-seg/export-sr"] = {"dciodvfyErrors": {"seg": A.dciodvfy_errors(seg), "sr": A.dciodvfy_errors(sr)}, "highdicom": h,
                                        "derived": insp["studies"][0]["series"][0]["stacks"][0].get("derivedIdentifiers")}
# Small phantom, identifiers removed by pydicom: full chain with the threshold-3d test model.
sample = os.path.join(work, "sample")
if not os.path.exists(sample):
    A.run(["sample", "-o", sample, "--size", "40,40,24"], db)
for c in ["FLAIR", "T1c"]:
    if not os.path.exists(os.path.join(work, "phantom", c)):
        A.anonymise(os.path.join(sample, c), os.path.join(work, "phantom", c))
chans = [os.path.join(work, "phantom", c) for c in ["FLAIR", "T1c"]]
res["phantom (threshold-3d)"] = A.case("phantom", chans, os.path.join(A.REPO, "Tests/PipelineTests/Fixtures/threshold-3d"), work, [], False)
print(json.dumps(res, indent=2, sort_keys=True))
