#!/usr/bin/env python3
"""Two 256^3 1 mm MR volumes for the registration benchmark (issue 13, BENCHMARKS.md).

fixed.nii.gz: Colin27 ch2bet (a real T1 brain, mricron) centred in a 256^3 1 mm grid.
moving.nii.gz: the same head rotated 7 degrees about an oblique axis and shifted 12 mm
(resampled with cubic splines, scipy), plus 2 % Gaussian noise, on the same kind of grid.
Usage: make_volumes.py DATA_FOLDER OUT_FOLDER
"""
import sys
import numpy as np
import nibabel as nib
from scipy import ndimage

data, out = sys.argv[1], sys.argv[2]
src = nib.load(f"{data}/mricron/ch2bet.nii.gz")
img = np.asarray(src.dataobj, dtype=np.float32)
n = 256
fixed = np.zeros((n, n, n), np.float32)
off = [(n - s) // 2 for s in img.shape]
fixed[off[0]:off[0] + img.shape[0], off[1]:off[1] + img.shape[1], off[2]:off[2] + img.shape[2]] = img
affine = np.diag([-1.0, -1.0, 1.0, 1.0])  # LPS-aligned axes stored as RAS: x flipped, y flipped
affine[:3, 3] = [127.5, 127.5, -127.5]
axis = np.array([0.2, -0.3, 1.0]); axis /= np.linalg.norm(axis)
a = np.deg2rad(7.0)
K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
R = np.eye(3) + np.sin(a) * K + (1 - np.cos(a)) * K @ K
shift = np.array([8.0, -7.0, 5.385164807134504])  # 12 mm, in voxel units (1 mm, axis-aligned grid)
c = np.array([n / 2 - 0.5] * 3)
# moving(y) = fixed(R^-1 (y - c - shift) + c)
Rinv = R.T
moving = ndimage.affine_transform(fixed, Rinv, offset=c - Rinv @ (c + shift), order=3, mode="constant", cval=0)
rng = np.random.default_rng(13)
scale = float(np.percentile(fixed[fixed > 0], 99))
moving = np.where(moving > 0, moving + rng.normal(0, 0.02 * scale, moving.shape), 0).astype(np.float32)
nib.save(nib.Nifti1Image(fixed, affine), f"{out}/fixed.nii.gz")
nib.save(nib.Nifti1Image(moving, affine), f"{out}/moving.nii.gz")
print("wrote", out, fixed.shape)
