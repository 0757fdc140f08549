#!/usr/bin/env python3
"""Held-out Dice of a demo package with test-time mirroring on the manifest's mirrorAxes.

Adds "diceWithMirroring" to Models/<name>/reference_inference.json (informational: SegStation's
default is no mirroring; `--tta` turns it on).
  python3 Scripts/train/eval_mirroring.py brats-wt-2d [--data-dir DIR]
"""
import argparse
import json
import os
import sys

import nibabel as nib
import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_inference as di  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--data-dir", default=os.path.join(REPO, "..", "shared", "data", "brats2013"))
    args = ap.parse_args()
    pkg = os.path.join(REPO, "Models", args.name)
    man = json.load(open(os.path.join(pkg, "manifest.json")))
    ref_path = os.path.join(pkg, "reference_inference.json")
    ref = json.load(open(ref_path))
    pi, pj, pk = man["patchSizeIJK"]
    two_d = man["dimensionality"] == "2d"
    patch = (pj, pi) if two_d else (pk, pj, pi)
    order = ["j", "i"] if two_d else ["k", "j", "i"]
    mirror = tuple(order.index(a) for a in man["mirrorAxes"])
    sess = ort.InferenceSession(os.path.join(pkg, "model.onnx"), providers=["CPUExecutionProvider"])
    case = ref["heldOutCase"]
    paths = [os.path.join(args.data_dir, case, c) for c in ref["channels"]]
    lab, _ = di.segment(sess, paths, patch, man["slidingWindow"]["stepFraction"], man["orientation"], mirror)
    truth = np.asarray(nib.load(os.path.join(args.data_dir, case, "OTMultiClass.nii.gz")).dataobj) > 0
    ref["diceWithMirroring"] = {"axes": man["mirrorAxes"], "combinations": "all non-empty subsets",
                                "dice": round(di.dice(lab, truth), 4), "predictedVoxels": int(lab.sum())}
    with open(ref_path, "w") as f:
        json.dump(ref, f, indent=2)
        f.write("\n")
    print(args.name, ref["diceWithMirroring"])


if __name__ == "__main__":
    main()
