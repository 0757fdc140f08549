#!/usr/bin/env python3
"""Expected values for LesionsTests on the BraTS 2013 label maps in ../shared/data/brats2013.

- Connected components of the multi-label OTMultiClass map (labels 1-4) with cc3d 4.x at 6/18/26,
  cross-checked per label against scipy.ndimage.label: count, sorted sizes, canonical checksum
  (components renumbered by first voxel in NIfTI memory order, i fastest; sum of id * (v % 1000003 + 1)).
- MedPy 0.5 metrics of label 2 (prediction) against labels 1-4 (reference), at the file's spacing
  and at a made-up anisotropic spacing (0.9, 1.1, 2.5) mm, tolerance 2 mm for the surface Dice.

pip install nibabel connected-components-3d scipy medpy numpy
Writes Tests/LesionsTests/Expected/lesions_brats.json.
"""
import json, os, sys
import numpy as np
import nibabel as nib
import cc3d
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lesions_synthetic import canonical, metrics, STRUCT  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("SEGSTATION_DATA", os.path.join(HERE, "../../../shared/data"))
OUT = os.path.join(HERE, "../../Tests/LesionsTests/Expected/lesions_brats.json")
CASES = ["brats_2013_pat0003_1", "brats_2013_pat0004_1", "brats_2013_pat0005_1", "brats_2013_pat0006_1"]


def main():
    out = dict(generator="Scripts/reference/lesions_brats.py", cases=[])
    for case in CASES:
        img = nib.load(os.path.join(DATA, "brats2013", case, "OTMultiClass.nii.gz"))
        a = np.asarray(img.dataobj).astype(np.uint8)
        entry = dict(name=case, file=f"brats2013/{case}/OTMultiClass.nii.gz", components={}, metrics=[])
        for conn in (6, 18, 26):
            ref = cc3d.connected_components(a, connectivity=conn)
            entry["components"][str(conn)] = canonical(ref)
            for lab in range(1, 5):  # scipy per label: same components as cc3d's label-lab ones
                sp, n = ndimage.label(a == lab, structure=ndimage.generate_binary_structure(3, STRUCT[conn]))
                assert n == len(np.unique(ref[a == lab])), (case, conn, lab)
        pred, refm = a == 2, (a >= 1) & (a <= 4)
        for spacing in ([float(z) for z in img.header.get_zooms()[:3]], [0.9, 1.1, 2.5]):
            entry["metrics"].append(dict(spacing=spacing, tolerance=2.0, expected=metrics(pred, refm, spacing, 2.0)))
        out["cases"].append(entry)
        print(case, entry["components"]["26"]["count"], entry["metrics"][0]["expected"]["hausdorff"])
    for c in out["cases"]:
        for k in c["components"].values():
            k["sizes"] = k["sizes"][:50]  # the largest 50 (the tail is all 1s and 2s); count + checksum cover the rest
            k["sizesTruncated"] = True
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    sys.exit(main())
