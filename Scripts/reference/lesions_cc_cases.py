#!/usr/bin/env python3
"""Expected connected-component partitions for edge cases of SegStation's run-based labelling
(Tests/LesionsTests/ConnectedComponentsEdgeTests.swift): 1-voxel-thick grids along each axis,
empty and full masks, masks with no background and three labels, regions clipped by every border,
sparse rows longer than the 32-byte background skip, and a mask with more than 65535 components.

Masks are the LCG / ellipsoid / box masks of lesions_synthetic.py (regenerated bit-for-bit in Swift).
References: cc3d 4.x (3D, 6/18/26; and 2D per k-slice, 4/8, for `withinSlices`), checked against
scipy.ndimage.label where the mask is binary.

pip install connected-components-3d scipy numpy (+ lesions_synthetic.py's imports)
Writes Tests/LesionsTests/Expected/lesions_cc_cases.json.
"""
import json, os, sys
import numpy as np
import cc3d
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lesions_synthetic import make  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../../Tests/LesionsTests/Expected/lesions_cc_cases.json")

CASES = [
    dict(name="thin_i", size=[1, 37, 29], mask=dict(kind="noise", seed=31, percent=50, labels=2)),
    dict(name="thin_j", size=[41, 1, 23], mask=dict(kind="noise", seed=32, percent=50, labels=2)),
    dict(name="thin_k", size=[45, 33, 1], mask=dict(kind="noise", seed=33, percent=50, labels=2)),
    dict(name="line_i", size=[300, 1, 1], mask=dict(kind="noise", seed=34, percent=60, labels=3)),
    dict(name="line_k", size=[1, 1, 200], mask=dict(kind="noise", seed=35, percent=60)),
    dict(name="empty", size=[17, 9, 5], mask=dict(kind="noise", seed=36, percent=0)),
    dict(name="full", size=[19, 11, 7], mask=dict(kind="noise", seed=37, percent=100)),
    dict(name="full_3labels", size=[29, 23, 11], mask=dict(kind="noise", seed=38, percent=100, labels=3)),
    dict(name="dense_2labels", size=[33, 27, 15], mask=dict(kind="noise", seed=39, percent=85, labels=2)),
    dict(name="border_ellipsoids", size=[40, 30, 20], mask=dict(kind="ellipsoids", ellipsoids=[
        [0, 0, 0, 9, 7, 5, 1], [39, 29, 19, 8, 8, 6, 2], [39, 0, 10, 6, 12, 4, 1],
        [20, 29, 0, 10, 5, 3, 3], [0, 15, 19, 5, 20, 4, 1], [20, 15, 10, 4, 4, 3, 2]])),
    dict(name="sparse_long_rows", size=[515, 7, 5], mask=dict(kind="noise", seed=40, percent=2, labels=3)),
    dict(name="many_components", size=[200, 160, 120], mask=dict(kind="noise", seed=41, percent=3)),
]


def canonical(labels):
    """Partition summary independent of id order: ids renumbered 1..n by first voxel in Fortran
    order; checksum = sum(id * (index mod 1000003 + 1)) (Synthetic.checksum); sizes as
    [[size, how many components], ...] by decreasing size."""
    flat = labels.reshape(-1, order="F").astype(np.int64)
    nz = np.flatnonzero(flat)
    ids, first = np.unique(flat[nz], return_index=True)
    remap = np.zeros(int(flat.max()) + 1, dtype=np.int64)
    remap[ids[np.argsort(first)]] = np.arange(1, ids.size + 1)
    canon = remap[flat]
    v = np.arange(flat.size, dtype=np.int64)
    checksum = int(np.sum(canon * ((v % 1000003) + 1)))
    sizes, counts = np.unique(np.bincount(canon)[1:], return_counts=True)
    histogram = [[int(s), int(c)] for s, c in zip(sizes[::-1], counts[::-1])]
    return dict(count=int(ids.size), sizeCounts=histogram, checksum=checksum)


def per_slice(a, conn2d):
    """cc3d 2D on each k-slice, ids offset so that slices never share one."""
    out = np.zeros(a.shape, dtype=np.int64)
    offset = 0
    for k in range(a.shape[2]):
        lab, n = cc3d.connected_components(np.asfortranarray(a[:, :, k]), connectivity=conn2d, return_N=True)
        out[:, :, k] = np.where(lab > 0, lab.astype(np.int64) + offset, 0)
        offset += n
    return out


def expected(case):
    a = make(case["mask"], case["size"])
    binary = a.max() <= 1
    out = {}
    for conn, st in ((6, 1), (18, 2), (26, 3)):
        out[str(conn)] = canonical(cc3d.connected_components(a, connectivity=conn))
        if binary:
            sp, _ = ndimage.label(a, structure=ndimage.generate_binary_structure(3, st))
            assert canonical(sp) == out[str(conn)], (case["name"], conn)
    for conn2d, st in ((4, 1), (8, 2)):
        out[f"slices{conn2d}"] = canonical(per_slice(a, conn2d))
        if binary:
            s3 = np.zeros((3, 3, 3), dtype=bool)
            s3[:, :, 1] = ndimage.generate_binary_structure(2, st)
            sp, _ = ndimage.label(a, structure=s3)
            assert canonical(sp) == out[f"slices{conn2d}"], (case["name"], conn2d)
    return out


def main():
    cases = [dict(case, expected=expected(case)) for case in CASES]
    many = next(c for c in cases if c["name"] == "many_components")["expected"]
    assert min(many[k]["count"] for k in ("6", "18", "26")) > 65535, "many_components must exceed UInt16 ids"
    with open(OUT, "w") as f:
        json.dump(dict(generator="Scripts/reference/lesions_cc_cases.py", cases=cases), f, separators=(",", ":"))
    print("wrote", os.path.normpath(OUT), {c["name"]: c["expected"]["26"]["count"] for c in cases})


if __name__ == "__main__":
    sys.exit(main())
