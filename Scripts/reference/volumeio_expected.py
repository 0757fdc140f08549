#!/usr/bin/env python3
"""Records what nibabel (NIfTI) and pynrrd (NRRD) read from ../shared/data, for VolumeIOTests.

Per file: shape, dtype, the index->RAS affine (nibabel's img.affine) or the index->LPS affine
(pynrrd's space directions/origin, converted to LPS), and a checksum of volume 0's values as
SegStation holds them (float32): the float64 sum and sum of squares over all voxels, plus values at
128 sampled linear indices (i fastest). Files the reference cannot read are listed with the reason.

Usage: pip install nibabel pynrrd numpy; python3 Scripts/reference/volumeio_expected.py [DATA_DIR]
Writes Tests/VolumeIOTests/Expected/volumeio_expected.json.
"""
import glob
import json
import os
import sys

import nibabel as nib
import nrrd
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "data")
OUT = os.path.join(ROOT, "Tests", "VolumeIOTests", "Expected", "volumeio_expected.json")
SAMPLES = 128


def checksum(volume3d):
    """volume3d indexed [i, j, k]; SegStation's linear index is i + nx * (j + ny * k)."""
    v = np.asarray(volume3d, dtype=np.float32)
    flat = v.reshape(-1, order="F").astype(np.float64)
    rng = np.random.default_rng(20260101)
    idx = np.sort(rng.choice(flat.size, size=min(SAMPLES, flat.size), replace=False))
    return {
        "sum": float(flat.sum()),
        "sumSquares": float((flat * flat).sum()),
        "sampleIndices": [int(i) for i in idx],
        "sampleValues": [float(flat[i]) for i in idx],
    }


def nifti_entries():
    patterns = ["nibabel/*.nii", "nibabel/*.nii.gz", "nibabel/*.hdr", "niivue/*.nii.gz", "mricron/*.nii.gz",
                "brats2013/*/*.nii.gz", "totalsegmentator/*.nii.gz", "dcm_qa_ts/Ref/*.nii", "dcm_qa_enh/Ref/*.nii"]
    entries = []
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(DATA, pattern))):
            rel = os.path.relpath(path, DATA)
            entry = {"file": rel}
            try:
                img = nib.load(path)
                shape = list(img.shape)
                entry.update({
                    "shape": shape,
                    "dtype": str(img.get_data_dtype().newbyteorder("=")),
                    "affineRAS": img.affine.tolist(),
                    "volumeCount": int(np.prod(shape[3:])) if len(shape) > 3 else 1,
                })
                data = np.asanyarray(img.dataobj)
                if np.iscomplexobj(data) or data.dtype.fields is not None:
                    # nibabel reads it; SegStation's scalar volumes cannot hold it (header still checked).
                    entry["segstationUnsupported"] = f"dtype {data.dtype} is not a real scalar"
                    entries.append(entry)
                    continue
                volumes = data.reshape(shape[:3] + [-1], order="F") if len(shape) > 3 else data[..., np.newaxis]
                while volumes.ndim < 4:
                    volumes = volumes[..., np.newaxis, :]
                entry["checksum"] = checksum(volumes[..., 0])
                if volumes.shape[-1] > 1:
                    entry["checksumLastVolume"] = checksum(volumes[..., -1])
            except Exception as e:  # noqa: BLE001 - the reason is recorded
                entry["referenceError"] = f"{type(e).__name__}: {e}"
            entries.append(entry)
    return entries


def nrrd_entries():
    paths = sorted(glob.glob(os.path.join(DATA, "pyradiomics", "*.nrrd")) +
                   glob.glob(os.path.join(DATA, "dcmqi", "**", "*.nrrd"), recursive=True))
    entries = []
    for path in paths:
        rel = os.path.relpath(path, DATA)
        data, h = nrrd.read(path)  # data indexed [i, j, k] (pynrrd's default Fortran order)
        space = h.get("space", "left-posterior-superior")
        flip = {"left-posterior-superior": [1, 1, 1], "right-anterior-superior": [-1, -1, 1]}[space]
        dirs = np.asarray(h["space directions"], dtype=np.float64) * flip  # row a = axis a's step
        origin = np.asarray(h["space origin"], dtype=np.float64) * flip
        affine = np.eye(4)
        affine[:3, :3] = dirs.T
        affine[:3, 3] = origin
        entries.append({
            "file": rel, "shape": list(data.shape), "dtype": str(data.dtype.newbyteorder("=")),
            "space": space, "affineLPS": affine.tolist(), "checksum": checksum(data),
        })
    return entries


def main():
    result = {
        "generator": "Scripts/reference/volumeio_expected.py",
        "nibabel": nib.__version__, "pynrrd": nrrd.__version__, "numpy": np.__version__,
        "nifti": nifti_entries(), "nrrd": nrrd_entries(),
    }
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {OUT}: {len(result['nifti'])} NIfTI, {len(result['nrrd'])} NRRD entries")


if __name__ == "__main__":
    main()
