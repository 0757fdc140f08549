#!/usr/bin/env python3
"""Expected radiological key slices of real NIfTI scans, computed with nibabel (independently of SegStation).

For each scan, the volume is reoriented with nibabel.orientations to L,P,S (axis 0 towards the patient's
left, 1 posterior, 2 superior); the displayed slices through the scan's centre voxel are then
  axial    image[row, col] = lps[col, row, k]        (columns -> L, rows -> P)
  coronal  image[row, col] = lps[col, j, K-1-row]    (columns -> L, rows -> I)
  sagittal image[row, col] = lps[i, col, K-1-row]    (columns -> P, rows -> I)
We record each slice's shape, sum, per-column and per-row sums (which catch any flip or transposition)
and 25 pixel values on a 5x5 grid, and the LPS point, in
Tests/ReportsTests/Expected/key_slices.json (checked by ReportsTests.KeySliceReferenceTests).

Usage: python3 Scripts/reference/report_key_slices.py   (dev-only: pip install nibabel numpy)
"""
import json
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.orientations import apply_orientation, axcodes2ornt, io_orientation, ornt_transform

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared/data"
SCANS = ["totalsegmentator/example_ct.nii.gz", "totalsegmentator/example_mr_sm.nii.gz"]


def expected(relative):
    img = nib.load(DATA / relative)
    data = np.asanyarray(img.dataobj).astype(np.float64)  # scl_slope/inter applied by dataobj
    affine_ras = img.affine
    centre_index = (np.array(data.shape[:3]) - 1) // 2
    centre_ras = affine_ras @ np.append(centre_index, 1.0)
    centre_lps = [-centre_ras[0], -centre_ras[1], centre_ras[2]]

    transform = ornt_transform(io_orientation(affine_ras), axcodes2ornt(("L", "P", "S")))
    lps = apply_orientation(data, transform)
    lps_affine = affine_ras @ nib.orientations.inv_ornt_aff(transform, data.shape)
    i, j, k = np.rint(np.linalg.inv(lps_affine) @ centre_ras)[:3].astype(int)
    slices = {
        "axial": lps[:, :, k].T,
        "coronal": lps[:, j, ::-1].T,
        "sagittal": lps[i, :, ::-1].T,
    }
    out = {"file": relative, "throughLPS": centre_lps, "slices": {}}
    for plane, image in slices.items():
        rows, cols = image.shape
        grid = [(int(r), int(c)) for r in np.linspace(0, rows - 1, 5).round() for c in np.linspace(0, cols - 1, 5).round()]
        out["slices"][plane] = {
            "width": cols, "height": rows, "sum": float(image.sum()),
            "samples": [{"row": r, "column": c, "value": float(image[r, c])} for r, c in grid],
            "columnSums": [round(float(v), 3) for v in image.sum(axis=0)],
            "rowSums": [round(float(v), 3) for v in image.sum(axis=1)],
        }
    return out


def main():
    record = {"generator": "Scripts/reference/report_key_slices.py", "nibabel": nib.__version__,
              "scans": [expected(s) for s in SCANS]}
    path = ROOT / "Tests/ReportsTests/Expected/key_slices.json"
    path.write_text(json.dumps(record, separators=(",", ":")) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
