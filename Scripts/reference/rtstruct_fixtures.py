#!/usr/bin/env python3
"""RTSTRUCT fixtures written by other tools, for Tests/DICOMTests/RT (RTStructForeignTests).

Over dcmqi's ct-3slice CT (../shared/data/dcmqi/segmentations/ct-3slice, 3 slices of 512x512) this makes
masks for three ROIs — "Disc" (a filled circle), "Ring" (an annulus with an island in its hole) and
"Blocks" (two rectangles, one touching the image border) — and writes them as RT Structure Sets with:

- rt-utils (PyPI; OpenCV contours through boundary pixel centres): rtutils.dcm; the Ring ROI also as
  "RingPinHole" with rt-utils' use_pin_hole=True (a one-pixel cut joins the hole to the outside, the way
  some planning systems draw one contour per region; the cut pixels are removed from its mask);
- plastimatch (Debian; `plastimatch convert --input-prefix MASKS --referenced-ct CT --output-dicom OUT`):
  plastimatch.dcm;
- pydicom, by hand: keyhole.dcm, ROI "Keyhole": the Ring as one planning-system-style contour per slice,
  outer boundary, a zero-width cut to the hole, the hole boundary the other way round, and back along the
  same cut (the island stays a separate contour).

Expected masks: fixtures.json "runs" ([start, length] runs of set voxels over the flat index
frame x rows x columns, frames in the order of "frames", sorted along the slice normal). Usage:
    python3 Scripts/reference/rtstruct_fixtures.py [DATA_ROOT] [OUT_DIR]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from rt_utils import RTStructBuilder

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", ".."))
data = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SEGSTATION_DATA", os.path.join(root, "..", "shared", "data"))
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "Tests", "DICOMTests", "RT", "Fixtures")
source = os.path.join(data, "dcmqi", "segmentations", "ct-3slice")
os.makedirs(out, exist_ok=True)

# Frames sorted along the slice normal, ascending (as SegStation and rt-utils sort them).
datasets = [pydicom.dcmread(os.path.join(source, f), stop_before_pixels=True) for f in sorted(os.listdir(source))]
row_dir = np.array(datasets[0].ImageOrientationPatient[:3], float)
col_dir = np.array(datasets[0].ImageOrientationPatient[3:], float)
normal = np.cross(row_dir, col_dir)
datasets.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, float), normal)))
rows, cols, n = int(datasets[0].Rows), int(datasets[0].Columns), len(datasets)
spacing = [float(v) for v in datasets[0].PixelSpacing]  # between rows, between columns

jj, ii = np.mgrid[0:rows, 0:cols]


def disc(cx, cy, r):
    return (ii - cx) ** 2 + (jj - cy) ** 2 <= r * r


masks = {}
m = np.zeros((n, rows, cols), bool)
for k in range(n):
    m[k] = disc(180 + 10 * k, 200, 40 + 5 * k)
masks["Disc"] = m
m = np.zeros((n, rows, cols), bool)
for k in range(n):
    m[k] = (disc(330, 300, 60) & ~disc(330, 300, 35)) | disc(330, 300, 12 + 2 * k)
masks["Ring"] = m
m = np.zeros((n, rows, cols), bool)
for k in range(n):
    m[k, 380:440, 100:180 + 20 * k] = True
    m[k, 0:30, 470:512] = True  # touches the top and right borders
masks["Blocks"] = m

# rt-utils: the mask is (rows, columns, slices) in its own (ascending) slice order.
builder = RTStructBuilder.create_new(dicom_series_path=source)
colors = {"Disc": [255, 0, 0], "Ring": [0, 255, 0], "Blocks": [0, 0, 255]}
for name, mask in masks.items():
    builder.add_roi(mask=np.transpose(mask, (1, 2, 0)), name=name, color=colors[name])
builder.add_roi(mask=np.transpose(masks["Ring"], (1, 2, 0)), name="RingPinHole", color=[255, 255, 0], use_pin_hole=True)
builder.save(os.path.join(out, "rtutils.dcm"))
# The pin-hole mask rt-utils actually contoured (its cut removes pixels), to compare against.
from rt_utils.image_helper import create_pin_hole_mask  # noqa: E402
pin = np.stack([create_pin_hole_mask(masks["Ring"][k].astype(np.uint8), True) for k in range(n)]).astype(bool)

def read_nrrd(path, shape):
    """A plastimatch NRRD (uint8, raw or gzip) as (frames, rows, columns), frames ascending along the normal."""
    import gzip
    raw = open(path, "rb").read()
    header, body = raw.split(b"\n\n", 1)
    fields = dict(line.split(": ", 1) for line in header.decode().splitlines()[1:] if ": " in line)
    assert fields["sizes"].split() == [str(shape[2]), str(shape[1]), str(shape[0])], fields["sizes"]
    if fields.get("encoding") == "gzip":
        body = gzip.decompress(body)
    return np.frombuffer(body, np.uint8).reshape(shape) != 0


# plastimatch: one NRRD (LPS) per ROI, converted to an RTSTRUCT referencing the CT.
origin = np.array(datasets[0].ImagePositionPatient, float)
step = np.array(datasets[1].ImagePositionPatient, float) - origin
with tempfile.TemporaryDirectory() as tmp:
    prefix = os.path.join(tmp, "masks")
    os.makedirs(prefix)
    for name, mask in masks.items():
        header = ("NRRD0004\ntype: uint8\ndimension: 3\nspace: left-posterior-superior\n"
                  f"sizes: {cols} {rows} {n}\n"
                  f"space directions: ({','.join(map(lambda v: repr(float(v)), row_dir * spacing[1]))}) "
                  f"({','.join(map(lambda v: repr(float(v)), col_dir * spacing[0]))}) ({','.join(map(lambda v: repr(float(v)), step))})\n"
                  "kinds: domain domain domain\nendian: little\nencoding: raw\n"
                  f"space origin: ({','.join(map(lambda v: repr(float(v)), origin))})\n\n")
        with open(os.path.join(prefix, name + ".nrrd"), "wb") as f:
            f.write(header.encode())
            f.write(mask.astype(np.uint8).tobytes())
    dicom_out = os.path.join(tmp, "rt")
    subprocess.run(["plastimatch", "convert", "--input-prefix", prefix, "--referenced-ct", source,
                    "--output-dicom", dicom_out], check=True, stdout=subprocess.DEVNULL)
    written = [os.path.join(r, f) for r, _, fs in os.walk(dicom_out) for f in fs]
    rtss = [p for p in written if pydicom.dcmread(p, stop_before_pixels=True).Modality == "RTSTRUCT"]
    shutil.copy(rtss[0], os.path.join(out, "plastimatch.dcm"))
    # plastimatch traces a region touching the image border only along its inner sides (the border side
    # is closed by a straight chord): its own rasterisation of its file is the mask that file holds.
    self_prefix = os.path.join(tmp, "self")
    subprocess.run(["plastimatch", "convert", "--input", os.path.join(out, "plastimatch.dcm"), "--referenced-ct", source,
                    "--output-prefix", self_prefix, "--prefix-format", "nrrd", "--xor-contours"], check=True, stdout=subprocess.DEVNULL)
    plastimatch_self = read_nrrd(os.path.join(self_prefix, "Blocks.nrrd"), (n, rows, cols))

# Keyhole: take rt-utils' file, keep its Ring ROI's structure, and replace the contours by one keyhole
# contour per slice (+ the island), as planning systems that allow no separate hole contours write them.
ds = pydicom.dcmread(os.path.join(out, "rtutils.dcm"))
ring_index = [r.ROIName for r in ds.StructureSetROISequence].index("Ring")
contour_item = ds.ROIContourSequence[ring_index].ContourSequence[0]


def to_lps(k, points):
    """(column, row) pixel coordinates on frame k -> flat LPS list."""
    p0 = np.array(datasets[k].ImagePositionPatient, float)
    return [float(c) for x, y in points for c in (p0 + row_dir * x * spacing[1] + col_dir * y * spacing[0])]


def circle(cx, cy, r, count, start, clockwise):
    angles = start + (-1 if clockwise else 1) * np.arange(count) * 2 * np.pi / count
    return [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles]


# Radii between pixel rings (no pixel centre within 0.001 pixel of a contour): outer 60.5, hole 34.5,
# island 12.5 + 2k.
contours = []
for k in range(n):
    outer = circle(330, 300, 60.5, 720, 0.0, False)
    hole = circle(330, 300, 34.5, 720, 0.0, True)
    keyhole = outer + [outer[0]] + hole + [hole[0]] + [outer[0]]  # out, cut in, round the hole, cut back
    island = circle(330, 300, 12 + 2 * k + 0.5, 360, 0.0, False)
    for points in (keyhole, island):
        item = pydicom.Dataset()
        item.ContourImageSequence = [pydicom.Dataset()]
        item.ContourImageSequence[0].ReferencedSOPClassUID = datasets[k].SOPClassUID
        item.ContourImageSequence[0].ReferencedSOPInstanceUID = datasets[k].SOPInstanceUID
        item.ContourGeometricType = "CLOSED_PLANAR"
        item.NumberOfContourPoints = len(points)
        item.ContourData = [f"{v:.6f}" for v in to_lps(k, points)]
        item.ContourNumber = len(contours) + 1
        contours.append(item)
ds.ROIContourSequence[ring_index].ContourSequence = contours
ds.StructureSetROISequence[ring_index].ROIName = "Keyhole"
keep = [ring_index]
ds.StructureSetROISequence = [ds.StructureSetROISequence[i] for i in keep]
ds.ROIContourSequence = [ds.ROIContourSequence[i] for i in keep]
ds.RTROIObservationsSequence = [o for o in ds.RTROIObservationsSequence
                                if o.ReferencedROINumber == ds.StructureSetROISequence[0].ROINumber]
ds.SOPInstanceUID = pydicom.uid.generate_uid()
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
ds.save_as(os.path.join(out, "keyhole.dcm"))
ring_radius = np.sqrt((ii - 330) ** 2 + (jj - 300) ** 2)
keyhole_mask = np.stack([((ring_radius <= 60.5) & (ring_radius > 34.5)) | (ring_radius <= 12 + 2 * k + 0.5)
                         for k in range(n)])

expected = {"Disc": masks["Disc"], "Ring": masks["Ring"], "Blocks": masks["Blocks"], "RingPinHole": pin,
            "Keyhole": keyhole_mask, "plastimatch.dcm:Blocks": plastimatch_self}


def runs(mask):
    """[start, length] runs of set voxels over the flat frames x rows x columns index."""
    flat = np.concatenate([[0], mask.astype(np.int8).ravel(), [0]])
    edges = np.flatnonzero(np.diff(flat))
    return [[int(a), int(b - a)] for a, b in zip(edges[::2], edges[1::2])]


info = {
    "source": "dcmqi/segmentations/ct-3slice", "rows": rows, "columns": cols,
    "frames": [d.SOPInstanceUID for d in datasets], "rois": list(expected),
    "files": {"rtutils.dcm": ["Disc", "Ring", "Blocks", "RingPinHole"], "plastimatch.dcm": ["Disc", "Ring", "Blocks"],
              "keyhole.dcm": ["Keyhole"]},
    "voxels": {name: int(expected[name].sum()) for name in expected},
    "plastimatch_blocks_dice_vs_source_mask": float(2 * (plastimatch_self & masks["Blocks"]).sum()
                                                    / (plastimatch_self.sum() + masks["Blocks"].sum())),
    "runs": {name: runs(expected[name]) for name in expected},
    "made_by": {"rt-utils": __import__("rt_utils").__version__ if hasattr(__import__("rt_utils"), "__version__") else "pip",
                "pydicom": pydicom.__version__,
                "plastimatch": subprocess.run(["plastimatch", "--version"], capture_output=True, text=True).stdout.strip()},
}
with open(os.path.join(out, "fixtures.json"), "w") as f:
    json.dump(info, f, indent=1)
print(json.dumps(info["voxels"]))
