#!/usr/bin/env python3
"""Writes a large label map with a few huge regions (default 512x512x600, 1 mm) and a matching float
image, for timing `segment`'s lesion-measurement step alone (`segstation measure`, measure.sh).

Regions: label 1 is a brain-sized ellipsoid with a noisy boundary (many contour vertices per slice)
plus a 30 mm sphere; label 2 a wavy, concave band (a thick ring whose radius varies with the angle);
label 3 about 2000 small specks.
usage: make_measure_mask.py OUT_DIR [--size 512 512 600]"""
import argparse, os
import numpy as np, nibabel as nib

ap = argparse.ArgumentParser(); ap.add_argument("out"); ap.add_argument("--size", type=int, nargs=3, default=[512, 512, 600])
a = ap.parse_args(); os.makedirs(a.out, exist_ok=True)
n = a.size
rng = np.random.default_rng(1)
i, j, k = np.ogrid[:n[0], :n[1], :n[2]]
c = [s / 2 for s in n]
labels = np.zeros(n, np.uint8)
r2 = ((i - c[0]) / (0.35 * n[0])) ** 2 + ((j - c[1]) / (0.4 * n[1])) ** 2 + ((k - c[2]) / (0.4 * n[2])) ** 2
labels[r2 + rng.normal(0, 0.03, n).astype(np.float32) <= 1] = 1
labels[((i - 0.88 * n[0]) ** 2 + (j - 0.12 * n[1]) ** 2 + (k - c[2]) ** 2) <= 30 ** 2] = 1
x, y = i - 0.5 * n[0], j - 0.5 * n[1]
radius = np.sqrt(x ** 2 + y ** 2)
angle = np.arctan2(y, x)
wavy = 0.46 * min(n[0], n[1]) + 6 * np.sin(7 * angle)
band = (np.abs(radius - wavy) <= 4) & (np.abs(k - c[2]) <= 0.3 * n[2]) & (angle > -2.5)
labels[band & (labels == 0)] = 2
flat = labels.reshape(-1)
specks = rng.integers(0, flat.size, 2000)
flat[specks[flat[specks] == 0]] = 3
image = (labels * 100 + rng.normal(0, 10, n)).astype(np.float32)
affine = np.diag([-1.0, -1.0, 1.0, 1.0])
nib.save(nib.Nifti1Image(labels, affine), os.path.join(a.out, "mask.nii"))
nib.save(nib.Nifti1Image(image, affine), os.path.join(a.out, "image.nii"))
print("wrote", a.out, {int(v): int(c) for v, c in zip(*np.unique(labels, return_counts=True))})
