#!/usr/bin/env python3
"""pydicom and rt-utils (PyPI) read SegStation's RT Structure Sets.

For each source series this script makes a mask on the DICOM grid (numpy: a disc, a ring with an island
in its hole, a block touching the border, on every slice), writes it as NRRD, runs
`segstation export-rtstruct`, then
- pydicom: reads the file, checks Modality, SOP Class, the Referenced Frame of Reference / Study /
  Series, that every contour is CLOSED_PLANAR, names an image of the series in its Contour Image Sequence
  and lies on that image's plane (distance along the normal), and counts ROIs, contours and points;
- rt-utils: RTStructBuilder.create_from(series, rt.dcm), ROI names, get_roi_mask_by_name -> Dice against
  the mask (rt-utils fills polygons with OpenCV, vertices rounded to whole pixels; it maps every slice
  with the first slice's position and one slice step, so a tilted or uneven series is right on its first
  slice only — printed beside the whole-series Dice).
Usage: python3 Scripts/reference/rtstruct_check.py [SEGSTATION_BINARY] [DATA_ROOT]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from rt_utils import RTStructBuilder

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", ".."))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build", "debug", "segstation")
data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("SEGSTATION_DATA", os.path.join(root, "..", "shared", "data"))
cases = [("ct-3slice", "dcmqi/segmentations/ct-3slice"), ("ge_tilted", "dcm_qa_ct/GE"), ("ct2", "pydicom/dicomdirtests/77654033/CT2")]


def series(folder):
    ds = [pydicom.dcmread(os.path.join(r, f), stop_before_pixels=True) for r, _, fs in os.walk(folder) for f in fs]
    ds = [d for d in ds if "ImagePositionPatient" in d]
    o = np.array(ds[0].ImageOrientationPatient, float)
    normal = np.cross(o[:3], o[3:])
    ds.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))
    return ds, o, normal


def write_nrrd(path, mask, ds, o):
    sp = [float(v) for v in ds[0].PixelSpacing]
    origin = np.array(ds[0].ImagePositionPatient, float)
    step = (np.array(ds[-1].ImagePositionPatient, float) - origin) / max(1, len(ds) - 1) if len(ds) > 1 else np.cross(o[:3], o[3:])
    fmt = lambda v: "(" + ",".join(repr(float(x)) for x in v) + ")"
    header = (f"NRRD0004\ntype: uint8\ndimension: 3\nspace: left-posterior-superior\nsizes: {mask.shape[2]} {mask.shape[1]} {mask.shape[0]}\n"
              f"space directions: {fmt(o[:3] * sp[1])} {fmt(o[3:] * sp[0])} {fmt(step)}\nkinds: domain domain domain\n"
              f"endian: little\nencoding: raw\nspace origin: {fmt(origin)}\n\n")
    with open(path, "wb") as f:
        f.write(header.encode())
        f.write(mask.astype(np.uint8).tobytes())


def make_mask(rows, cols, n):
    jj, ii = np.mgrid[0:rows, 0:cols]
    m = np.zeros((n, rows, cols), np.uint8)
    for k in range(n):
        r = lambda cx, cy: np.sqrt((ii - cx) ** 2 + (jj - cy) ** 2)
        m[k][r(cols * 0.3, rows * 0.35) <= cols * 0.12] = 1
        ring = r(cols * 0.65, rows * 0.6)
        m[k][((ring <= cols * 0.15) & (ring > cols * 0.08)) | (ring <= cols * 0.03)] = 2
        m[k, : rows // 10, : cols // 6] = 3
    return m


def dice(a, b):
    s = a.sum() + b.sum()
    return 1.0 if s == 0 else 2.0 * np.logical_and(a, b).sum() / s


for name, rel in cases:
    folder = os.path.join(data, rel)
    ds, o, normal = series(folder)
    rows, cols, n = int(ds[0].Rows), int(ds[0].Columns), len(ds)
    mask = make_mask(rows, cols, n)
    with tempfile.TemporaryDirectory() as tmp:
        nrrd, rt = os.path.join(tmp, "mask.nrrd"), os.path.join(tmp, "rt.dcm")
        write_nrrd(nrrd, mask, ds, o)
        # --uneven-spacing resample: accepted for uneven series as by every reader; contours stay on the exact frames.
        subprocess.run([binary, "export-rtstruct", "--mask", nrrd, "--source", folder, "-o", rt, "--uneven-spacing", "resample"],
                       check=True, stdout=subprocess.DEVNULL)
        r = pydicom.dcmread(rt)
        by_uid = {d.SOPInstanceUID: d for d in ds}
        problems, contours, points, worst = [], 0, 0, 0.0
        assert r.Modality == "RTSTRUCT" and r.SOPClassUID == "1.2.840.10008.5.1.4.1.1.481.3"
        ref = r.ReferencedFrameOfReferenceSequence[0]
        study = ref.RTReferencedStudySequence[0]
        ser = study.RTReferencedSeriesSequence[0]
        if ser.SeriesInstanceUID != ds[0].SeriesInstanceUID:
            problems.append("RT Referenced Series is not the source series")
        if len(ser.ContourImageSequence) != n:
            problems.append("series Contour Image Sequence does not list every image")
        for roi in r.ROIContourSequence:
            for c in roi.get("ContourSequence", []):
                contours += 1
                pts = np.array(c.ContourData, float).reshape(-1, 3)
                points += len(pts)
                if c.ContourGeometricType != "CLOSED_PLANAR":
                    problems.append("not CLOSED_PLANAR")
                image = by_uid.get(c.ContourImageSequence[0].ReferencedSOPInstanceUID)
                if image is None:
                    problems.append("contour image not in the series")
                    continue
                d = np.abs((pts - np.array(image.ImagePositionPatient, float)) @ normal).max()
                worst = max(worst, d)
        names = [s.ROIName for s in r.StructureSetROISequence]
        print(f"{name}: pydicom {pydicom.__version__}: {len(names)} ROIs {names}, {contours} contours, {points} points, "
              f"max distance from image plane {worst:.4f} mm, problems: {problems or 'none'}")
        b = RTStructBuilder.create_from(dicom_series_path=folder, rt_struct_path=rt)
        scores = []
        for label, roi_name in enumerate(b.get_roi_names(), start=1):
            theirs = np.transpose(b.get_roi_mask_by_name(roi_name), (2, 0, 1))  # rt-utils: (rows, cols, slices)
            scores.append(f"{roi_name} Dice {dice(theirs, mask == label):.4f} (first slice {dice(theirs[0], mask[0] == label):.4f})")
        print(f"{name}: rt-utils read {b.get_roi_names()}: " + ", ".join(scores))
