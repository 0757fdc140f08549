#!/usr/bin/env python3
"""Writes tiny NIfTI/ANALYZE fixtures with nibabel covering what ../shared/data lacks (scaling,
every scalar datatype, big-endian, qform-only with qfac -1, the pixdim fallback, NaN slope, NIfTI-2
pairs, ANALYZE 7.5, 4D) and records what nibabel reads back from them, in the schema of
volumeio_expected.json, into Tests/VolumeIOTests/Fixtures/ (a few KB in all).

Usage: python3 Scripts/reference/volumeio_fixtures.py
"""
import json
import os
import struct
import sys

import nibabel as nib
import nrrd
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from volumeio_expected import checksum  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "VolumeIOTests", "Fixtures")
SHAPE = (5, 4, 3)


def oblique_affine(flip=False):
    a = 0.4
    r = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    zooms = np.diag([0.9, 1.1, 2.5 * (-1 if flip else 1)])
    aff = np.eye(4)
    aff[:3, :3] = r @ zooms
    aff[:3, 3] = [-20.5, 14.25, 30.0]
    return aff


def ramp(dtype, shape=SHAPE, start=-7):
    values = np.arange(np.prod(shape)) * 3 + start
    if np.dtype(dtype).itemsize >= 4 and np.issubdtype(dtype, np.integer):
        values = values * 1000003   # exercise large magnitudes (exact in float32 only up to 2^24)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        values = np.clip(values, info.min, info.max)
    return values.reshape(shape, order="F").astype(dtype)


def save(img, name):
    path = os.path.join(OUT, name)
    img.to_filename(path)
    return path


def write_nrrd_fixtures():
    """NRRDs written by pynrrd: RAS space, big endian, ascii, raw detached, gzip 4D with a list axis."""
    dirs = oblique_affine()[:3, :3].T  # row a = step of axis a
    origin = [-20.5, 14.25, 30.0]
    cases = [
        ("ras_bigendian.nrrd", ramp(np.int16).astype(">i2"), {"space": "right-anterior-superior", "encoding": "raw"}, False),
        ("ascii_double.nrrd", ramp(np.float64) * 0.25, {"space": "left-posterior-superior", "encoding": "ascii"}, False),
        ("detached_uint16.nhdr", ramp(np.uint16, start=0), {"space": "left-posterior-superior", "encoding": "raw"}, True),
        ("list4d_gzip.nrrd", ramp(np.int32, shape=(2,) + SHAPE), {"space": "left-posterior-superior", "encoding": "gzip"}, False),
    ]
    entries = []
    for name, data, options, detached in cases:
        header = dict(options)
        spatial = dirs.copy()
        o = np.array(origin)
        if header["space"] == "right-anterior-superior":
            spatial = spatial * [-1, -1, 1]
            o = o * [-1, -1, 1]
        if data.ndim == 4:
            header["space directions"] = np.vstack([[np.nan] * 3, spatial])
            header["kinds"] = ["list", "domain", "domain", "domain"]
        else:
            header["space directions"] = spatial
            header["kinds"] = ["domain"] * 3
        header["space origin"] = o
        path = os.path.join(OUT, name)
        nrrd.write(path, data, header, detached_header=detached)
        back, h = nrrd.read(path)
        flip = [-1, -1, 1] if h["space"] == "right-anterior-superior" else [1, 1, 1]
        directions = np.asarray(h["space directions"], dtype=np.float64)
        rows = [r for r in directions if not np.isnan(r).any()]
        affine = np.eye(4)
        affine[:3, :3] = (np.asarray(rows) * flip).T
        affine[:3, 3] = np.asarray(h["space origin"], dtype=np.float64) * flip
        volume = back[0] if back.ndim == 4 else back
        entries.append({"file": name, "shape": list(volume.shape), "dtype": str(back.dtype.newbyteorder("=")), "space": h["space"],
                        "affineLPS": affine.tolist(), "checksum": checksum(volume),
                        **({"checksumLastVolume": checksum(back[-1])} if back.ndim == 4 else {})})
    return entries


def main():
    os.makedirs(OUT, exist_ok=True)
    made = []
    for dtype in ["uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]:
        img = nib.Nifti1Image(ramp(np.dtype(dtype), start=0 if dtype.startswith("u") else -7), oblique_affine(), dtype=dtype)
        made.append(save(img, f"dtype_{dtype}.nii"))
    # Scaled int16, big-endian.
    hdr = nib.Nifti1Header(endianness=">")
    # nibabel's writer drops scaling that integer data does not need, so scl_slope/scl_inter are
    # patched into the written headers (NIfTI-1: float32 at bytes 112/116; NIfTI-2: float64 at 176/184).
    img = nib.Nifti1Image(ramp(np.int16), oblique_affine(), hdr, dtype=">i2")
    path = save(img, "scaled_bigendian.nii")
    with open(path, "r+b") as f:
        f.seek(112)
        f.write(struct.pack(">ff", 0.37, -10.25))
    made.append(path)
    # qform only, with a reflection (qfac -1), gzip.
    img = nib.Nifti1Image(ramp(np.float32), None)
    img.header.set_qform(oblique_affine(flip=True), code=1)
    img.header.set_sform(None, code=0)
    made.append(save(img, "qform_only_qfac.nii.gz"))
    # Headers nibabel fixes on load (check_fix): invalid sform_code -> 0, negative pixdim -> abs,
    # zero pixdim -> 1, qfac 0 -> 1. Patched into uncompressed copies of the qform-only image
    # (sform_code int16 at byte 254, pixdim float32 from byte 76).
    for name, offset, fmt, value in [("fix_sform_code7.nii", 254, "<h", 7), ("fix_negative_pixdim.nii", 80, "<f", -0.9),
                                     ("fix_zero_pixdim.nii", 84, "<f", 0.0), ("fix_qfac0.nii", 76, "<f", 0.0)]:
        path = save(img, name)
        with open(path, "r+b") as f:
            f.seek(offset)
            f.write(struct.pack(fmt, value))
        made.append(path)
    # Neither code: nibabel's pixdim fallback.
    img = nib.Nifti1Image(ramp(np.uint8, start=0), np.diag([1.5, 2.0, 3.0, 1.0]))
    img.header.set_qform(None, code=0)
    img.header.set_sform(None, code=0)
    made.append(save(img, "no_xform.nii"))
    # NaN slope: means no scaling (patched after writing; scl_slope is at byte 112).
    path = save(nib.Nifti1Image(ramp(np.int16), oblique_affine()), "nan_slope.nii")
    with open(path, "r+b") as f:
        f.seek(112)
        f.write(struct.pack("<f", float("nan")))
    made.append(path)
    # NIfTI-2 pair, 4D (3 volumes), int16 with scaling.
    img = nib.Nifti2Pair(ramp(np.int16, shape=SHAPE + (3,)), oblique_affine(), dtype=np.int16)
    path = save(img, "nifti2_pair_4d.hdr")
    with open(path, "r+b") as f:
        f.seek(176)
        f.write(struct.pack("<dd", 2.5, 1000.0))
    made.append(path)
    # ANALYZE 7.5 pair.
    made.append(save(nib.AnalyzeImage(ramp(np.int16), np.diag([2.0, 2.0, 2.0, 1.0])), "analyze.hdr"))

    entries = []
    for path in made:
        img = nib.load(path)
        data = np.asanyarray(img.dataobj)
        shape = list(img.shape)
        volumes = data.reshape(shape[:3] + [-1], order="F")
        entry = {"file": os.path.basename(path), "shape": shape, "dtype": str(img.get_data_dtype().newbyteorder("=")),
                 "affineRAS": img.affine.tolist(), "volumeCount": volumes.shape[-1],
                 "class": type(img).__name__, "checksum": checksum(volumes[..., 0])}
        if volumes.shape[-1] > 1:
            entry["checksumLastVolume"] = checksum(volumes[..., -1])
        entries.append(entry)
    nrrd_entries = write_nrrd_fixtures()
    with open(os.path.join(OUT, "fixtures_expected.json"), "w") as f:
        json.dump({"generator": "Scripts/reference/volumeio_fixtures.py", "nibabel": nib.__version__, "pynrrd": nrrd.__version__,
                   "nifti": entries, "nrrd": nrrd_entries}, f, indent=1)
    for e in entries:
        print(e["file"], e["class"], e["shape"], e["dtype"])


if __name__ == "__main__":
    main()
