#!/usr/bin/env python3
"""Research probe: does a demo model segment a simple synthetic FLAIR + T1c brain phantom?

Phantom (1 mm, LPS, background 0, seeded noise): brain ellipsoid with grey/white matter and two
ventricles; a tumour = oedema sphere (FLAIR bright, T1c slightly dark) containing an enhancing rim
(T1c bright) around necrosis. Reference whole tumour = the oedema sphere. Reports Dice per model.

  python3 Scripts/train/try_phantom.py [MODEL_DIR ...]
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_inference as di  # noqa: E402


def phantom(shape=(160, 192, 150), seed=7):
    i, j, k = np.meshgrid(*[np.arange(s, dtype=np.float32) - s / 2 for s in shape], indexing="ij")
    ell = lambda a, b, c, ci=0, cj=0, ck=0: ((i - ci) / a) ** 2 + ((j - cj) / b) ** 2 + ((k - ck) / c) ** 2 <= 1
    brain, wm = ell(65, 80, 60), ell(52, 66, 46)
    vent = ell(6, 22, 12, -9, -5, 5) | ell(6, 22, 12, 9, -5, 5)
    r = np.sqrt((i - 30) ** 2 + (j - 20) ** 2 + (k - 15) ** 2)
    oedema, rim, necrosis = brain & (r <= 22), brain & (r <= 12) & (r > 8), brain & (r <= 8)
    flair = np.where(brain, 1.0, 0) + np.where(wm, -0.08, 0) + np.where(vent, -0.6, 0)
    t1c = np.where(brain, 0.8, 0) + np.where(wm, 0.25, 0) + np.where(vent, -0.6, 0)
    flair = np.where(oedema, 1.9, flair)
    t1c = np.where(oedema, 0.85, t1c)
    t1c = np.where(rim, 1.9, np.where(necrosis, 0.5, t1c))
    flair = np.where(necrosis, 1.5, flair)
    rng = np.random.default_rng(seed)
    out = []
    for a in (flair, t1c):
        a = ndimage.gaussian_filter(a.astype(np.float32), 1.0) + rng.normal(0, 0.04, a.shape).astype(np.float32)
        out.append(np.where(brain, np.maximum(a, 0.01), 0).astype(np.float32) * 300)
    return np.stack(out), oedema


def main():
    models = sys.argv[1:] or [os.path.join(os.path.dirname(__file__), "..", "..", "Models", n)
                              for n in ("brats-wt-2d", "brats-wt-3d")]
    x, ref = phantom()
    xn, fg = di.normalize_zscore_foreground(x)
    box = di.bbox(fg)
    net = np.ascontiguousarray(xn[(slice(None),) + box].transpose(0, 3, 2, 1))
    res = {}
    for m in models:
        man = json.load(open(os.path.join(m, "manifest.json")))
        pi, pj, pk = man["patchSizeIJK"]
        patch = (pj, pi) if man["dimensionality"] == "2d" else (pk, pj, pi)
        sess = ort.InferenceSession(os.path.join(m, "model.onnx"), providers=["CPUExecutionProvider"])
        logits = di.sliding_window_logits(sess, net, patch, 0.5)
        pred = np.zeros(ref.shape, np.uint8)
        pred[box] = np.argmax(logits, 0).astype(np.uint8).transpose(2, 1, 0)
        res[man["name"]] = {"dice": round(di.dice(pred, ref), 4), "predictedVoxels": int(pred.sum()),
                            "referenceVoxels": int(ref.sum())}
        print(man["name"], res[man["name"]], flush=True)
    json.dump(res, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
