#!/usr/bin/env python3
"""Builds a long CT series for load benchmarks by replicating the slices of a real series.

Each output slice copies a source slice (cycling through them), moves ImagePositionPatient along the
slice normal by the source spacing, and gets new SOPInstanceUID / InstanceNumber; one new
SeriesInstanceUID for the whole series. Pixel data is kept as it is (same transfer syntax).

usage: make_ct_series.py SOURCE_DIR OUT_DIR [--slices 320]
dev-only: pip install pydicom numpy
"""
import argparse, os, sys
import numpy as np
import pydicom
from pydicom.uid import generate_uid

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source"); ap.add_argument("out"); ap.add_argument("--slices", type=int, default=320)
    a = ap.parse_args()
    files = [os.path.join(a.source, f) for f in sorted(os.listdir(a.source))]
    ds = [pydicom.dcmread(f) for f in files]
    ds = [d for d in ds if "PixelData" in d]
    iop = np.array(ds[0].ImageOrientationPatient, float)
    normal = np.cross(iop[:3], iop[3:])
    ds.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
    pos = [np.array(d.ImagePositionPatient, float) for d in ds]
    step = (pos[-1] - pos[0]) / (len(pos) - 1) if len(pos) > 1 else normal * float(ds[0].SliceThickness)
    os.makedirs(a.out, exist_ok=True)
    series_uid = generate_uid()
    for n in range(a.slices):
        d = ds[n % len(ds)].copy()
        d.SeriesInstanceUID = series_uid
        uid = generate_uid()
        d.SOPInstanceUID = uid
        d.file_meta.MediaStorageSOPInstanceUID = uid
        d.InstanceNumber = n + 1
        p = pos[0] + step * n
        d.ImagePositionPatient = [f"{v:.4f}" for v in p]
        d.SliceLocation = f"{float(np.dot(normal, p)):.4f}"
        d.save_as(os.path.join(a.out, f"slice{n:04d}.dcm"), enforce_file_format=True)
    print(f"wrote {a.slices} slices to {a.out} (step {np.linalg.norm(step):.3f} mm)")

if __name__ == "__main__":
    sys.exit(main())
