#!/usr/bin/env python3
"""Writes a synthetic 2-channel brain-like volume of a given size (default 512x512x600, 1 mm) as
NIfTI, for the memory/time benchmark of `segment` (the issue's 512x512x600 CT-sized grid).
usage: make_large.py OUT_DIR [--size 512 512 600]"""
import argparse, os
import numpy as np, nibabel as nib
ap = argparse.ArgumentParser(); ap.add_argument("out"); ap.add_argument("--size", type=int, nargs=3, default=[512, 512, 600])
a = ap.parse_args(); os.makedirs(a.out, exist_ok=True)
n = a.size
i, j, k = np.ogrid[:n[0], :n[1], :n[2]]
c = [s / 2 for s in n]
r2 = ((i - c[0]) / (0.4 * n[0])) ** 2 + ((j - c[1]) / (0.45 * n[1])) ** 2 + ((k - c[2]) / (0.45 * n[2])) ** 2
brain = r2 <= 1
t2 = ((i - c[0] - 40) ** 2 + (j - c[1] + 30) ** 2 + (k - c[2]) ** 2) <= 30 ** 2
rng = np.random.default_rng(0)
for name, base, tum in (("flair", 300.0, 570.0), ("t1c", 300.0, 570.0)):
    v = np.where(brain, base, 0).astype(np.float32)
    v[t2 & brain] = tum
    v += np.where(brain, rng.normal(0, 12, n).astype(np.float32), 0)
    nib.save(nib.Nifti1Image(v, np.diag([-1.0, -1.0, 1.0, 1.0])), os.path.join(a.out, f"{name}.nii"))
print("wrote", a.out)
