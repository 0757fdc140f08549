#!/usr/bin/env python3
"""Expected values for LesionsTests on synthetic masks that Swift regenerates bit-for-bit.

Masks come from a 32-bit LCG (state = state*1664525 + 1013904223 mod 2^32, one draw per voxel in
memory order, i fastest) or from listed ellipsoids/boxes; see Tests/LesionsTests/SyntheticMasks.swift.
References: pyradiomics (shape, firstorder), cc3d 4.x and scipy.ndimage.label (partitions),
MedPy 0.5 (dc, jc, hd, hd95, asd, assd, ravd and its surface-voxel distances).

pip install pyradiomics-bhklab connected-components-3d scipy medpy SimpleITK numpy
Writes Tests/LesionsTests/Expected/lesions_synthetic.json.
"""
import json, logging, os, sys
import numpy as np
import SimpleITK as sitk
import cc3d
from scipy import ndimage
from medpy.metric import binary as mb
from radiomics import shape, firstorder, imageoperations

logging.getLogger("radiomics").setLevel(logging.ERROR)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "../../Tests/LesionsTests/Expected/lesions_synthetic.json")


def lcg(seed, count):
    out = np.empty(count, dtype=np.uint64)
    s = seed & 0xFFFFFFFF
    for n in range(count):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        out[n] = s
    return out


def make(spec, size):
    """Array indexed [i, j, k] (Fortran memory order = Swift's)."""
    n = int(np.prod(size))
    kind = spec["kind"]
    if kind == "noise":
        r = lcg(spec["seed"], n)
        hit = ((r >> 8) % 100) < spec["percent"]
        val = 1 + ((r >> 20) % spec.get("labels", 1))
        flat = np.where(hit, val, 0).astype(np.uint8)
        return flat.reshape(size, order="F")
    a = np.zeros(size, dtype=np.uint8)
    ii, jj, kk = np.meshgrid(*[np.arange(s) for s in size], indexing="ij")
    if kind == "ellipsoids":
        for e in spec["ellipsoids"]:
            ci, cj, ck, ri, rj, rk, lab = e
            inside = ((ii - ci) / ri) ** 2 + ((jj - cj) / rj) ** 2 + ((kk - ck) / rk) ** 2 <= 1
            a[inside] = lab
        return a
    if kind == "box":
        lo, hi = spec["lo"], spec["hi"]
        a[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1] = 1
        return a
    raise ValueError(kind)


def image_values(seed, size):
    r = lcg(seed, int(np.prod(size)))
    return (((r >> 12) % 2000).astype(np.float64) - 1000.0).reshape(size, order="F")


def to_sitk(arr, spacing, direction):
    img = sitk.GetImageFromArray(np.ascontiguousarray(arr.transpose(2, 1, 0)))
    img.SetSpacing(spacing)
    img.SetDirection([float(x) for row in direction for x in row])
    return img


IDENTITY = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
c, s = np.cos(0.4), np.sin(0.4)
OBLIQUE = [[c, -s, 0], [s * 0.8, c * 0.8, -0.6], [s * 0.6, c * 0.6, 0.8]]  # rotation (orthonormal)

SHAPE_CASES = [
    dict(name="noise40", size=[12, 10, 9], spacing=[0.8, 1.1, 2.5], direction=IDENTITY,
         mask=dict(kind="noise", seed=7, percent=40)),
    dict(name="noise60_oblique", size=[9, 11, 8], spacing=[1.3, 0.6, 1.9], direction=OBLIQUE,
         mask=dict(kind="noise", seed=11, percent=60)),
    dict(name="ellipsoids", size=[40, 36, 18], spacing=[0.7, 0.7, 3.0], direction=IDENTITY,
         mask=dict(kind="ellipsoids", ellipsoids=[[15, 14, 8, 10, 7, 4, 1], [27, 22, 10, 8, 9, 5, 1]])),
    dict(name="border_box", size=[6, 5, 4], spacing=[1.0, 2.0, 3.0], direction=IDENTITY,
         mask=dict(kind="box", lo=[0, 0, 0], hi=[5, 4, 3])),
    dict(name="two_voxel_line", size=[5, 5, 5], spacing=[0.5, 0.5, 2.0], direction=IDENTITY,
         mask=dict(kind="box", lo=[2, 2, 1], hi=[2, 2, 2])),
]


def shape_expected(case):
    size = case["size"]
    m = (make(case["mask"], size) > 0).astype(np.uint8)
    img = image_values(case.get("imageSeed", 99), size)
    si = to_sitk(img, case["spacing"], case["direction"])
    sm = to_sitk(m, case["spacing"], case["direction"])
    # Crop to the bounding box as pyradiomics 2.x's shape class (which produced its baseline CSVs)
    # did: the mesh volume depends on this origin, see docs/MEASUREMENTS.md.
    bb, _ = imageoperations.checkMask(si, sm, label=1, minimumROIDimensions=1)
    si, sm = imageoperations.cropToTumorMask(si, sm, bb, padDistance=0)
    f = shape.RadiomicsShape(si, sm, label=1)
    f.enableAllFeatures()
    res = {k: float(v) for k, v in f.execute().items()}
    fo = firstorder.RadiomicsFirstOrder(si, sm, label=1)
    fo.enableAllFeatures()
    res.update({"firstorder_" + k: float(v) for k, v in fo.execute().items()
                if k in ("Mean", "Minimum", "Maximum", "Median", "10Percentile", "90Percentile", "Variance")})
    vals = img[m > 0]
    res["Percentile5"] = float(np.percentile(vals, 5))
    res["Percentile95"] = float(np.percentile(vals, 95))
    res["StandardDeviation"] = float(np.std(vals))
    return res


def canonical(labels):
    """Relabel components 1..n by first voxel in Fortran order; checksum as in the Swift test."""
    flat = labels.reshape(-1, order="F").astype(np.int64)
    ids, first = np.unique(flat, return_index=True)
    order = [i for _, i in sorted((f, i) for i, f in zip(ids, first) if i != 0)]
    remap = np.zeros(int(flat.max()) + 1, dtype=np.int64)
    for new, old in enumerate(order, start=1):
        remap[old] = new
    canon = remap[flat]
    v = np.arange(flat.size, dtype=np.int64)
    checksum = int(np.sum(canon * ((v % 1000003) + 1)))
    sizes = sorted(np.bincount(canon)[1:].tolist(), reverse=True)
    return dict(count=len(order), sizes=sizes, checksum=checksum)


CC_CASES = [
    dict(name="noise30", size=[23, 19, 17], mask=dict(kind="noise", seed=3, percent=30)),
    dict(name="noise55_3labels", size=[31, 17, 13], mask=dict(kind="noise", seed=5, percent=55, labels=3)),
    dict(name="noise20", size=[64, 48, 40], mask=dict(kind="noise", seed=21, percent=20)),
]
STRUCT = {6: 1, 18: 2, 26: 3}


def cc_expected(case):
    a = make(case["mask"], case["size"])
    out = {}
    for conn in (6, 18, 26):
        ref = cc3d.connected_components(a, connectivity=conn)
        out[str(conn)] = canonical(ref)
        if a.max() == 1:  # scipy labels binary masks: must give the same partition
            sp, _ = ndimage.label(a, structure=ndimage.generate_binary_structure(3, STRUCT[conn]))
            assert canonical(sp) == out[str(conn)], (case["name"], conn)
    return out


def surface_dice(pred, ref, spacing, tol):
    sd = getattr(mb, "__surface_distances")
    a = sd(pred, ref, spacing, 1)
    b = sd(ref, pred, spacing, 1)
    return float((np.sum(a <= tol) + np.sum(b <= tol)) / (len(a) + len(b)))


def detection(pred, ref, conn=26):
    lp, npred = ndimage.label(pred, structure=ndimage.generate_binary_structure(3, STRUCT[conn]))
    lr, nref = ndimage.label(ref, structure=ndimage.generate_binary_structure(3, STRUCT[conn]))
    tp = len(set(np.unique(lr[(lp > 0) & (lr > 0)])) - {0})
    fp = npred - len(set(np.unique(lp[(lp > 0) & (lr > 0)])) - {0})
    fn = nref - tp
    return dict(tp=tp, fp=fp, fn=fn)


def metrics(pred, ref, spacing, tol):
    v = float(np.prod(spacing))
    return dict(dice=float(mb.dc(pred, ref)), iou=float(mb.jc(pred, ref)),
                hausdorff=float(mb.hd(pred, ref, spacing)), hausdorff95=float(mb.hd95(pred, ref, spacing)),
                asdPredToRef=float(mb.asd(pred, ref, spacing)), assd=float(mb.assd(pred, ref, spacing)),
                ravd=float(mb.ravd(pred, ref)),
                volumeDifferenceMM3=float((pred.sum() - ref.sum()) * v),
                surfaceDice=surface_dice(pred, ref, spacing, tol), **detection(pred, ref))


METRIC_CASES = [
    dict(name="noise_pair", size=[20, 18, 12], spacing=[0.9, 1.2, 2.5], tolerance=1.5,
         prediction=dict(kind="noise", seed=31, percent=15), reference=dict(kind="noise", seed=32, percent=12)),
    dict(name="ellipsoid_pair", size=[40, 36, 18], spacing=[0.7, 0.7, 3.0], tolerance=2.0,
         prediction=dict(kind="ellipsoids", ellipsoids=[[15, 14, 8, 10, 7, 4, 1], [33, 30, 14, 3, 3, 2, 1]]),
         reference=dict(kind="ellipsoids", ellipsoids=[[16, 15, 8, 9, 8, 4, 1], [4, 4, 3, 2, 2, 1, 1]])),
]


def metric_expected(case):
    p = make(case["prediction"], case["size"]) > 0
    r = make(case["reference"], case["size"]) > 0
    return metrics(p, r, case["spacing"], case["tolerance"])


MORPH_CASES = [
    dict(name="noise50_aniso", size=[17, 15, 9], spacing=[0.8, 1.0, 2.2], radius=1.3,
         mask=dict(kind="noise", seed=41, percent=50)),
    dict(name="ellipsoids_border", size=[30, 26, 12], spacing=[0.7, 0.7, 3.0], radius=2.1,
         mask=dict(kind="ellipsoids", ellipsoids=[[3, 12, 5, 6, 5, 3, 1], [20, 14, 6, 7, 6, 3, 1]])),
    dict(name="noise70_holes", size=[14, 13, 8], spacing=[1.0, 1.0, 1.0], radius=1.0,
         mask=dict(kind="noise", seed=43, percent=70)),
]


def mask_summary(m):
    flat = m.reshape(-1, order="F")
    v = np.nonzero(flat)[0].astype(np.int64)
    return dict(count=int(flat.sum()), checksum=int(np.sum((v % 1000003) + 1)))


def ball(spacing, r):
    reach = [int(np.floor(r / s)) for s in spacing]
    o = np.mgrid[-reach[0]:reach[0] + 1, -reach[1]:reach[1] + 1, -reach[2]:reach[2] + 1]
    d2 = sum((o[a] * spacing[a]) ** 2 for a in range(3))
    return d2 <= r * r * (1 + 1e-9) + 1e-12


def morph_expected(case):
    m = make(case["mask"], case["size"]) > 0
    st = ball(case["spacing"], case["radius"])
    erode = lambda x: ndimage.binary_erosion(x, structure=st, border_value=1)
    dilate = lambda x: ndimage.binary_dilation(x, structure=st, border_value=0)
    fill2d = np.stack([ndimage.binary_fill_holes(m[:, :, k]) for k in range(m.shape[2])], axis=2)
    return dict(erode=mask_summary(erode(m)), dilate=mask_summary(dilate(m)),
                open=mask_summary(dilate(erode(m))), close=mask_summary(erode(dilate(m))),
                fill3D=mask_summary(ndimage.binary_fill_holes(m)), fillPerSlice=mask_summary(fill2d))


def main():
    out = dict(generator="Scripts/reference/lesions_synthetic.py",
               shape=[dict(case, expected=shape_expected(case)) for case in SHAPE_CASES],
               components=[dict(case, expected=cc_expected(case)) for case in CC_CASES],
               metrics=[dict(case, expected=metric_expected(case)) for case in METRIC_CASES],
               morphology=[dict(case, expected=morph_expected(case)) for case in MORPH_CASES])
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    sys.exit(main())
