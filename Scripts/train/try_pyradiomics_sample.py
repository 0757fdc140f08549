#!/usr/bin/env python3
"""Research probe: does a demo model say anything useful on pyradiomics' brain MR samples?

pyradiomics' source distribution (PyPI `pyradiomics`, e.g. 3.1.0) carries data/brain{1,2}_image.nrrd
and _label.nrrd: one MR series each (T1-weighted post-contrast by appearance), 256x256x(25|23),
0.78x0.78x6.5 mm, not skull-stripped, with a lesion mask. There is no FLAIR, so the probe feeds the
one series as both channels ("t1c-twice") or the FLAIR channel empty ("no-flair") through a 2D demo
model after in-plane resampling to 1 mm, and reports Dice against the label (on the 1 mm grid).

  python3 Scripts/train/try_pyradiomics_sample.py DATA_DIR [MODEL_DIR]
"""
import json
import os
import sys

import nrrd
import numpy as np
import onnxruntime as ort
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_inference as di  # noqa: E402


def to_lps_1mm(path, order):
    a, h = nrrd.read(path)
    d = np.asarray(h["space directions"], dtype=float)
    assert h["space"] == "left-posterior-superior" and np.allclose(d, np.diag(np.diag(d)))
    for ax in range(3):
        if d[ax, ax] < 0:
            a = np.flip(a, ax)
    sp = np.abs(np.diag(d))
    zoom = (sp[0], sp[1], 1.0)  # 2D model: resample in-plane only, keep the slices
    return ndimage.zoom(a.astype(np.float32), zoom, order=order), sp


def main():
    data = sys.argv[1]
    model = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "Models", "brats-wt-2d")
    man = json.load(open(os.path.join(model, "manifest.json")))
    pi, pj, _ = man["patchSizeIJK"]
    sess = ort.InferenceSession(os.path.join(model, "model.onnx"), providers=["CPUExecutionProvider"])
    out = {}
    for case in ("brain1", "brain2"):
        img, sp = to_lps_1mm(os.path.join(data, f"{case}_image.nrrd"), 1)
        lab, _ = to_lps_1mm(os.path.join(data, f"{case}_label.nrrd"), 0)
        for mode in ("t1c-twice", "no-flair"):
            x = np.stack([img if mode == "t1c-twice" else np.zeros_like(img), img])
            xn, fg = di.normalize_zscore_foreground(x)
            box = di.bbox(fg)
            net = np.ascontiguousarray(xn[(slice(None),) + box].transpose(0, 3, 2, 1))
            logits = di.sliding_window_logits(sess, net, (pj, pi), 0.5)
            pred = np.zeros(img.shape, np.uint8)
            pred[box] = np.argmax(logits, 0).astype(np.uint8).transpose(2, 1, 0)
            out[f"{case}/{mode}"] = {"dice": round(di.dice(pred, lab > 0), 4),
                                     "predictedVoxels": int(pred.sum()), "referenceVoxels": int((lab > 0).sum()),
                                     "spacingMM": [round(float(s), 4) for s in sp]}
            print(case, mode, out[f"{case}/{mode}"], flush=True)
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
