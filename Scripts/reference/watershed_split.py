#!/usr/bin/env python3
"""Expected values for Tests/LesionsTests/WatershedSplitTests: scikit-image's marker watershed on
the distance transform (the usual "split touching objects" recipe) on the synthetic two-sphere
cases that the Swift test paints the same way (voxel centre inside when |p - c|^2 <= r^2, 1 mm
voxels). Writes Tests/LesionsTests/Expected/watershed_skimage.json.

    pip install scikit-image scipy numpy && python3 Scripts/reference/watershed_split.py
"""
import json, pathlib
import numpy as np
from scipy import ndimage as ndi
from skimage.feature import peak_local_max
from skimage.segmentation import watershed
import skimage

SIZE = (48, 32, 32)  # i, j, k
CASES = {
    "equal": [((16, 16, 16), 8), ((30, 16, 16), 8)],
    "unequal": [((15, 16, 16), 9), ((29, 16, 16), 7)],
    "close": [((16, 16, 16), 8), ((28, 16, 16), 8)],
}
MIN_DISTANCE_VOXELS = 5

def paint(spheres):
    i, j, k = np.meshgrid(*[np.arange(n) for n in SIZE], indexing="ij")
    mask = np.zeros(SIZE, bool)
    for (c, r) in spheres:
        mask |= (i - c[0]) ** 2 + (j - c[1]) ** 2 + (k - c[2]) ** 2 <= r * r
    return mask

out = {"skimage": skimage.__version__, "size": SIZE, "minDistanceVoxels": MIN_DISTANCE_VOXELS, "cases": {}}
for name, spheres in CASES.items():
    mask = paint(spheres)
    distance = ndi.distance_transform_edt(mask)
    peaks = peak_local_max(distance, min_distance=MIN_DISTANCE_VOXELS, labels=mask.astype(int), exclude_border=False)
    markers = np.zeros(SIZE, int)
    for n, p in enumerate(peaks, 1):
        markers[tuple(p)] = n
    labels = watershed(-distance, markers, mask=mask)
    counts = sorted(int((labels == n).sum()) for n in range(1, labels.max() + 1))
    # Which sphere centre each instance holds, so the test can pair instances with spheres.
    by_sphere = [int((labels == labels[c]).sum()) for (c, _) in spheres]
    out["cases"][name] = {"spheres": [{"centre": c, "radius": r} for c, r in spheres],
                          "maskVoxels": int(mask.sum()), "components": int(ndi.label(mask)[1]),
                          "instances": int(labels.max()), "instanceVoxelsBySphere": by_sphere}
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/LesionsTests/Expected/watershed_skimage.json"
path.write_text(json.dumps(out, indent=2) + "\n")
print(path, json.dumps(out["cases"], indent=1))
