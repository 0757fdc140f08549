#!/usr/bin/env python3
"""Checks which normalisation reproduces the demo models' training inputs from BraTS files.

Findings recorded in docs/MODEL_PACKAGE.md ("Normalisation of the demo models"):
- the *_subtrMeanDivStd files are NOT z-scored within the brain: their background is a constant
  equal to the volume minimum (not 0), so "non-zero" is the whole volume;
- zscore-foreground (foreground = voxels > channel minimum) is what the models were trained with;
  it is invariant under any positive affine intensity map, so applying it to a raw scan whose
  background is 0 (the original, un-normalised BraTS image) gives the same network input, and on
  such a scan it equals nnU-Net's "zscore within the non-zero region".
"""
import json
import os
import sys

import nibabel as nib
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_inference as di  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "brats2013")


def zscore_nonzero(a):
    m = a != 0
    v = a[m].astype(np.float64)
    return np.where(m, (a - v.mean()) / v.std(), 0).astype(np.float32)


def main():
    out = {}
    for case in sorted(os.listdir(DATA)):
        bm = np.asarray(nib.load(os.path.join(DATA, case, "brainmask.nii.gz")).dataobj) > 0
        for ch in ("Flair", "T1c"):
            a = nib.load(os.path.join(DATA, case, f"{ch}_subtrMeanDivStd.nii.gz")).get_fdata(dtype=np.float32)
            fgz, fg = di.normalize_zscore_foreground(a[None])
            fgz = fgz[0]
            raw = (a - a.min()) * 250.0  # a raw-like scan: background 0, arbitrary positive scale
            inside = a[bm].astype(np.float64)
            out[f"{case}/{ch}"] = {
                "nonZeroFraction": round(float((a != 0).mean()), 4),
                "backgroundValue(min)": float(a.min()),
                "brainMean": round(inside.mean(), 4), "brainStd": round(inside.std(), 4),
                "maxChange_zscoreNonzero_onGivenFile": round(float(np.abs(zscore_nonzero(a) - a).max()), 4),
                "maxChange_zscoreForeground_onGivenFile": round(float(np.abs(fgz - a)[fg].max()), 4),
                "foregroundVoxels": int(fg.sum()), "brainmaskVoxels": int(bm.sum()),
                "foregroundOutsideBrainmask": int((fg & ~bm).sum()),
                "maxDiff_zscoreNonzero(raw)_vs_zscoreForeground(given)":
                    float(np.abs(zscore_nonzero(raw) - fgz).max()),
                "maxDiff_zscoreForeground(raw)_vs_zscoreForeground(given)":
                    float(np.abs(di.normalize_zscore_foreground(raw[None])[0][0] - fgz).max()),
            }
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
