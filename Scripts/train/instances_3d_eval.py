#!/usr/bin/env python3
"""Lesion-level (3D) figures of brats-instances-2d measured by SegStation itself (dev-only tool).

  python3 Scripts/train/instances_3d_eval.py --segstation .build/debug/segstation [--all-cases]

Per case (default: the held-out case; --all-cases: the four):
 1. the reference instance map: 26-connected components of OTMultiClass > 0 (scipy.ndimage.label, as
    Scripts/reference/instance_metrics.py), NIfTI int32 on the label file's grid;
 2. `segstation segment FLAIR T1c --model Models/brats-instances-2d -o OUT --db DB --json`;
 3. `segstation evaluate --prediction OUT/instances.nii.gz --reference REF --instances values --json`.
The figures (lesion F1, panoptic quality, per-instance Dice = 2 IoU / (1 + IoU) of the matched pairs)
go into Models/brats-instances-2d/reference_inference.json ("lesionLevel3D") and the model card.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import instances_card  # noqa: E402
import train_demo as td  # noqa: E402
import train_maskrcnn as tm  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
PACKAGE = os.path.join(REPO, "Models", tm.NAME)


def reference_map(label_path, out_path):
    img = nib.load(label_path)
    ref, n = ndimage.label(np.asarray(img.dataobj) > 0, structure=np.ones((3, 3, 3), bool))
    out = nib.Nifti1Image(ref.astype(np.int32), img.affine, img.header)
    out.set_data_dtype(np.int32)
    nib.save(out, out_path)
    return n


def run(cmd):
    print("+", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"exit {p.returncode}: {p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--segstation", required=True, help="the segstation binary")
    ap.add_argument("--data-dir", default=os.path.join(REPO, "..", "shared", "data", "brats2013"))
    ap.add_argument("--all-cases", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    ref_path = os.path.join(PACKAGE, "reference_inference.json")
    with open(ref_path) as f:
        result = json.load(f)
    held = result["heldOutCase"]
    cases = td.CASES if args.all_cases else [held]
    work = tempfile.mkdtemp(prefix="brats-instances-3d-")
    figures = dict(result.get("lesionLevel3D", {}).get("cases", {}))
    for case in cases:
        folder = os.path.join(args.data_dir, case)
        ref = os.path.join(work, f"{case}-reference-instances.nii.gz")
        reference_map(os.path.join(folder, td.LABEL_FILE), ref)
        out = os.path.join(work, case)
        seg = run([args.segstation, "segment", *[os.path.join(folder, c) for c in result["channels"]],
                   "--model", PACKAGE, "-o", out, "--db", os.path.join(work, "studies.sqlite"),
                   "--threads", str(args.threads), "--modality", "MR", "--json"])
        ev = run([args.segstation, "evaluate", "--prediction", os.path.join(out, "instances.nii.gz"),
                  "--reference", ref, "--instances", "values", "--json"])
        m = ev["instances"]
        dices = [2 * x["iou"] / (1 + x["iou"]) for x in m["matches"]]
        figures[case] = {
            "role": "held-out" if case == held else "training",
            "referenceInstances": m["referenceInstances"], "predictedInstances": m["predictedInstances"],
            "truePositives": m["truePositives"], "falsePositives": m["falsePositives"],
            "falseNegatives": m["falseNegatives"], "f1": round(m["f1"], 4),
            "panopticQuality": round(m["panopticQuality"], 4),
            "meanInstanceDice": round(float(np.mean(dices)), 4) if dices else None,
            "instanceDices": [round(d, 4) for d in dices],
            "segmentLesions": len(seg.get("lesions", [])),
            "segmentNotes": seg.get("notes", []),
            "segmentSeconds": round(seg.get("timingsSeconds", {}).get("totalSeconds", 0), 1),
        }
        print(case, figures[case], flush=True)
    version = subprocess.run([args.segstation, "--version"], capture_output=True, text=True).stdout.strip()
    result["lesionLevel3D"] = {"segstation": version, "matching": "IoU > 0.5",
                               "reference": "26-connected components of OTMultiClass > 0",
                               "command": "python3 Scripts/train/instances_3d_eval.py --segstation PATH"
                                          + (" --all-cases" if args.all_cases else ""),
                               "cases": figures}
    with open(ref_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    instances_card.write(PACKAGE, result)
    print(f"work folder {work}")


if __name__ == "__main__":
    main()
