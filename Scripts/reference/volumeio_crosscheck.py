#!/usr/bin/env python3
"""Cross-checks SegStation's writers with independent readers: nibabel reads the NIfTI files and
pynrrd the NRRD files that `volumeio-bench write DIR` produced, and both must give the geometry
SegStation meant (DIR/<tag>.json, index->LPS) and the voxel values it wrote.

Usage: swift build --product volumeio-bench && .build/debug/volumeio-bench write /tmp/vio-samples
       python3 Scripts/reference/volumeio_crosscheck.py /tmp/vio-samples
Exit status 0 when every file agrees; prints one line per file.
"""
import glob
import json
import os
import sys

import nibabel as nib
import nrrd
import numpy as np

LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def expected_values(shape, labels):
    n = int(np.prod(shape))
    linear = np.arange(n)
    values = ((linear * 37) % 256).astype(np.uint8) if labels else (linear.astype(np.float32) * np.float32(0.37) - np.float32(11.5))
    return values.reshape(shape, order="F")


def main(folder):
    failures = 0
    for path in sorted(glob.glob(os.path.join(folder, "*"))):
        name = os.path.basename(path)
        if name.endswith((".json", ".img")):
            continue
        tag = name.split(".")[0].split("-")[0]
        want = np.asarray(json.load(open(os.path.join(folder, tag + ".json")))["affineLPS"])
        labels = "labels" in name
        if name.endswith(".nrrd"):
            data, h = nrrd.read(path)
            assert h["space"] == "left-posterior-superior", h["space"]
            affine = np.eye(4)
            affine[:3, :3] = np.asarray(h["space directions"]).T
            affine[:3, 3] = h["space origin"]
            tolerance, extra = 1e-12, ""
        else:
            img = nib.load(path)
            data = np.asanyarray(img.dataobj)
            affine = LPS_FROM_RAS @ img.affine
            hdr = img.header
            tolerance = 1e-9 if isinstance(img, nib.Nifti2Image) else 1e-4
            qcode = int(hdr["qform_code"])
            extra = f" {type(img).__name__} sform_code={int(hdr['sform_code'])} qform_code={qcode}"
            if qcode:
                qdiff = np.abs(LPS_FROM_RAS @ hdr.get_qform() - want).max()
                extra += f" qform diff {qdiff:.2e}"
                if qdiff > 1e-4:
                    failures += 1
                    extra += " QFORM MISMATCH"
        diff = np.abs(affine - want).max()
        same = np.array_equal(np.asarray(data), expected_values(data.shape, labels))
        ok = diff <= tolerance and same
        failures += not ok
        print(f"{'ok ' if ok else 'BAD'} {name}: affine diff {diff:.2e} (tol {tolerance:g}), values {'equal' if same else 'DIFFER'}, dtype {data.dtype}{extra}")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
