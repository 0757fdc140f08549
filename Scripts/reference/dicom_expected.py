#!/usr/bin/env python3
"""Regenerates Tests/DICOMTests/Expected/dicom_expected.json from reference tools.

Sources of truth:
  * dcm2niix (Debian, v1.0.20220720) NIfTI outputs, read with nibabel: dcm_qa_ts/Ref, and
    conversions this script runs on dcm_qa_ct/GE, dcm_qa_enh Siemens XA10 and CT2;
  * pydicom 3 (+ pylibjpeg) decoded pixel arrays: emri_small*, MR_small*, Philips per-frame rescale;
  * nibabel for totalsegmentator/example_ct.nii.gz.

Voxel arrays are summarised as FNV-1a 64 hashes of float32 little-endian values in NIfTI order
(i fastest; -0.0 folded to 0.0), plus sums and sample voxels. Affines are index -> RAS (NIfTI).
Usage: python3 Scripts/reference/dicom_expected.py [DATA_DIR]
"""
import glob, json, os, shutil, subprocess, sys, tempfile
import numpy as np
import nibabel as nib
import pydicom

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), "shared", "data")
OUT = os.path.join(ROOT, "Tests", "DICOMTests", "Expected", "dicom_expected.json")


def fnv1a64(values):
    """FNV-1a 64 of float32 little-endian bytes of `values` in the given (flat) order."""
    a = np.asarray(values, dtype=np.float32).ravel() + np.float32(0.0)
    h = 0xcbf29ce484222325
    for b in a.astype("<f4").tobytes():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return format(h, "016x")


def summary(array_ijk, samples=48):
    """Hash/sum/samples of an array indexed [i, j, k] (flattened with i fastest)."""
    a = np.asarray(array_ijk, dtype=np.float64)
    flat = a.ravel(order="F").astype(np.float32)
    rng = np.random.default_rng(7)
    idx = sorted(set(rng.integers(0, flat.size, samples).tolist()))
    return {"shape": list(a.shape), "hash": fnv1a64(flat), "sum": float(flat.astype(np.float64).sum()),
            "samples": [[int(i), float(flat[i])] for i in idx]}


def classic_stack(folder):
    """pydicom: rescaled slices sorted along the normal, [i, j, k] order (what the loader returns
    for an evenly spaced stack), with the DICOM positions."""
    dss = [pydicom.dcmread(p) for p in sorted(glob.glob(os.path.join(folder, "*")))]
    iop = np.array(dss[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    dss.sort(key=lambda d: float(normal @ np.array(d.ImagePositionPatient, dtype=float)))
    vol = np.stack([(d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept)).astype(np.float32).T for d in dss], axis=2)
    entry = summary(vol)
    entry["positionsLPS"] = [[float(x) for x in d.ImagePositionPatient] for d in dss]
    entry["gantryTilt"] = float(dss[0].get("GantryDetectorTilt", 0))
    return entry


def nifti(path, samples=48):
    img = nib.load(path)
    data = np.asanyarray(img.dataobj) if img.header["scl_slope"] in (0, 1) or np.isnan(img.header["scl_slope"]) else img.get_fdata()
    data = np.asarray(data, dtype=np.float64)
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    entry = summary(data, samples)
    entry["affineRAS"] = np.asarray(img.affine, dtype=float).tolist()
    entry["file"] = os.path.relpath(path, DATA) if path.startswith(DATA) else os.path.basename(path)
    return entry


def dcm2niix(folder, tmp, name):
    out = os.path.join(tmp, name)
    os.makedirs(out, exist_ok=True)
    subprocess.run(["dcm2niix", "-b", "n", "-z", "n", "-f", "%s_%e_%t", "-o", out, folder], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return sorted(glob.glob(os.path.join(out, "*.nii")))


def stored_frames(path):
    """pydicom's decoded stored values, [frames, rows, cols] -> hash in frame, row, column order."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array.astype(np.float64)
    if arr.ndim == 2:
        arr = arr[None]
    flat = arr.ravel(order="C")
    return {"frames": int(arr.shape[0]), "rows": int(arr.shape[1]), "columns": int(arr.shape[2]),
            "hash": fnv1a64(flat), "sum": float(flat.sum())}


def philips_stacks(path):
    """Per-frame rescale (PixelValueTransformationSequence) applied per frame, frames grouped by
    FrameType and sorted along the slice normal: what the loader must produce."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array.astype(np.float64)
    groups = {}
    for n, fg in enumerate(ds.PerFrameFunctionalGroupsSequence):
        ftype = "\\".join(fg.MRImageFrameTypeSequence[0].FrameType[2:])
        pvt = fg.PixelValueTransformationSequence[0]
        iop = np.array(fg.PlaneOrientationSequence[0].ImageOrientationPatient, dtype=float)
        ipp = np.array(fg.PlanePositionSequence[0].ImagePositionPatient, dtype=float)
        normal = np.cross(iop[:3], iop[3:])
        value = (arr[n] * float(pvt.RescaleSlope) + float(pvt.RescaleIntercept)).astype(np.float32)
        groups.setdefault(ftype, []).append((float(normal @ ipp), value, float(pvt.RescaleSlope), float(pvt.RescaleIntercept)))
    result = {}
    for ftype, frames in groups.items():
        frames.sort(key=lambda f: f[0])
        vol = np.stack([f[1].T for f in frames], axis=2)  # [i=column, j=row, k]
        entry = summary(vol)
        entry["slopes"] = sorted({f[2] for f in frames})
        entry["intercepts"] = sorted({f[3] for f in frames})
        result[ftype] = entry
    return result


def main():
    expected = {"generator": "Scripts/reference/dicom_expected.py", "pydicom": pydicom.__version__,
                "nibabel": nib.__version__,
                "dcm2niix": subprocess.run(["dcm2niix", "--version"], capture_output=True, text=True).stdout.strip().splitlines()[-1]}
    # dcm_qa_ts: dcm2niix's Ref NIfTIs (the mosaic de-mosaiced into 64x64x35).
    ts = {}
    for n in range(1, 10):
        ref = os.path.join(DATA, "dcm_qa_ts", "Ref", f"{n}.nii")
        ds = pydicom.dcmread(os.path.join(DATA, "dcm_qa_ts", "In", f"{n}.dcm"), stop_before_pixels=True)
        entry = nifti(ref)
        entry["transferSyntax"] = str(ds.file_meta.TransferSyntaxUID)
        ts[str(n)] = entry
    expected["dcm_qa_ts"] = ts
    # pydicom-data emri_small* and pydicom MR_small* decoded by pydicom.
    expected["pydicom_decoded"] = {}
    for rel in ["pydicom-data/emri_small.dcm", "pydicom-data/emri_small_big_endian.dcm", "pydicom-data/emri_small_RLE.dcm",
                "pydicom-data/emri_small_jpeg_ls_lossless.dcm", "pydicom-data/emri_small_jpeg_2k_lossless.dcm",
                "pydicom/MR_small.dcm", "pydicom/MR_small_implicit.dcm", "pydicom/MR_small_bigendian.dcm",
                "pydicom/MR_small_expb.dcm", "pydicom/MR_small_RLE.dcm", "pydicom/MR_small_jpeg_ls_lossless.dcm",
                "pydicom/MR_small_jp2klossless.dcm", "pydicom/CT_small.dcm", "pydicom/image_dfl.dcm",
                "pydicom/JPEG2000.dcm", "pydicom/J2K_pixelrep_mismatch.dcm", "pydicom/693_J2KI.dcm"]:
        try:
            expected["pydicom_decoded"][rel] = stored_frames(os.path.join(DATA, rel))
        except Exception as e:  # noqa: BLE001 - record what pydicom cannot decode
            print("pydicom cannot decode", rel, e, file=sys.stderr)
    # dcm2niix conversions.
    with tempfile.TemporaryDirectory() as tmp:
        ge = dcm2niix(os.path.join(DATA, "dcm_qa_ct", "GE"), tmp, "ge")
        expected["dcm_qa_ct_GE"] = {os.path.basename(p): nifti(p) for p in ge}
        # The evenly spaced first 14 slices (4.22 mm, tilt 18.5 deg): dcm2niix's tilt-corrected
        # output is geometrically consistent there (its 28-slice outputs are not: DICOM pixels land
        # 1.3 slices off through their affines).
        sub = os.path.join(tmp, "ge14")
        os.makedirs(sub)
        for n in range(1, 15):
            shutil.copy(os.path.join(DATA, "dcm_qa_ct", "GE", f"{n:02d}.dcm"), sub)
        ge14 = dcm2niix(sub, tmp, "ge14out")
        expected["GE14_dcm2niix"] = {os.path.basename(p): nifti(p, samples=400) for p in ge14}
        expected["GE14_pydicom"] = classic_stack(sub)
        raw = [p for p in ge14 if "Tilt" not in p][0]
        rawdata = np.asanyarray(nib.load(raw).dataobj).astype(np.float64)[:, ::-1, :]
        expected["GE14_pydicom"]["dcm2niixRawEqual"] = fnv1a64(rawdata.ravel(order="F")) == expected["GE14_pydicom"]["hash"]
        xa = dcm2niix(os.path.join(DATA, "dcm_qa_enh", "In", "Siemens", "XA10"), tmp, "xa10")
        expected["dcm_qa_enh_XA10"] = {os.path.basename(p): nifti(p) for p in xa}
        ct2 = dcm2niix(os.path.join(DATA, "pydicom", "dicomdirtests", "77654033", "CT2"), tmp, "ct2")
        expected["CT2"] = {os.path.basename(p): nifti(p) for p in ct2}
        expected["CT2_pydicom"] = classic_stack(os.path.join(DATA, "pydicom", "dicomdirtests", "77654033", "CT2"))
        tsct = dcm2niix(os.path.join(DATA, "totalsegmentator", "example_ct_dicom"), tmp, "tsct")
        expected["totalseg_dcm2niix"] = {os.path.basename(p): nifti(p) for p in tsct}
    expected["dcm_qa_enh_Philips"] = philips_stacks(os.path.join(DATA, "dcm_qa_enh", "In", "Philips", "IM_0027_fMAP.dcm"))
    expected["dcm_qa_enh_Philips_ref"] = {n: nifti(os.path.join(DATA, "dcm_qa_enh", "Ref", n)) for n in
                                          ["Philips_WIP_B0_NS_801_e1.nii", "Philips_WIP_B0_NS_801_e2_fieldmaphz.nii"]}
    ct = nib.load(os.path.join(DATA, "totalsegmentator", "example_ct.nii.gz"))
    expected["totalseg_example_ct"] = {"shape": list(ct.shape), "affineRAS": ct.affine.tolist(),
                                       "axcodes": "".join(nib.aff2axcodes(ct.affine))}
    seg = nib.load(os.path.join(DATA, "totalsegmentator", "example_seg_dicom.nii.gz"))
    expected["totalseg_example_seg_dicom"] = {"shape": list(seg.shape), "affineRAS": seg.affine.tolist(),
                                              "axcodes": "".join(nib.aff2axcodes(seg.affine))}
    with open(OUT, "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
