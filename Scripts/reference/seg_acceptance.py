#!/usr/bin/env python3
"""Acceptance of SegStation's DICOM-SEGs against highdicom, dcmqi and dciodvfy.

1. Runs `swift test --filter SEGExportTests` with SEGSTATION_SEG_EXPORT=OUT: SegStation writes each SEG
   (TotalSegmentator's label NIfTI resampled onto its J2K source by SegStation) and its masks on the
   source frames; the resampling is checked against nibabel-affine nearest sampling.
2. For each SEG: dciodvfy errors; highdicom `segread` + `get_pixels_by_source_instance/frame` equals our
   masks exactly; dcmqi `segimage2itkimage` output, mapped voxel by voxel onto the source frames by
   position, equals our masks.
Prints a JSON summary (recorded in Tests/DICOMTests/Expected/seg_acceptance.json).
Needs: pip install highdicom pydicom dcmqi nibabel pynrrd numpy pylibjpeg pylibjpeg-openjpeg.
"""
import glob, json, os, subprocess, sys, tempfile
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("SEGSTATION_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))


def totalseg_classes():
    import nibabel as nib
    labels = np.asarray(nib.load(os.path.join(DATA, "totalsegmentator/example_seg_dicom.nii.gz")).dataobj)
    return int(len(np.unique(labels)) - 1)


def check_resampling(info, masks):
    """Independent nearest-neighbour sampling of the TotalSegmentator NIfTI (nibabel affine) at every source
    pixel centre, compared with the masks SegStation wrote (labels in segment order)."""
    import nibabel as nib
    img = nib.load(os.path.join(DATA, "totalsegmentator/example_seg_dicom.nii.gz"))
    data = np.asarray(img.dataobj).astype(np.int32)
    inv = np.linalg.inv(img.affine)
    rows, cols = info["rows"], info["columns"]
    src = pydicom_first(info)
    iop = np.array(src.ImageOrientationPatient, float)
    ps = np.array(src.PixelSpacing, float)
    jj, ii = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    ours = np.zeros((len(info["frames"]), rows, cols), np.int32)
    for s, label in enumerate(info["label_values"]):
        ours[masks[s] != 0] = label
    bad = 0
    for k, f in enumerate(info["frames"]):
        p = np.array(f["position"])[None, None, :] + ii[..., None] * ps[1] * iop[:3] + jj[..., None] * ps[0] * iop[3:]
        ras = p * np.array([-1, -1, 1])
        idx = np.rint(ras @ inv[:3, :3].T + inv[:3, 3]).astype(int)
        inside = np.all((idx >= 0) & (idx < np.array(data.shape)), axis=-1)
        ref = np.zeros((rows, cols), np.int32)
        ref[inside] = data[idx[inside][:, 0], idx[inside][:, 1], idx[inside][:, 2]]
        bad += int(np.count_nonzero(ref != ours[k]))
    return {"nibabel_nearest_mismatched_voxels": bad, "voxels_compared": len(info["frames"]) * rows * cols}


def pydicom_first(info):
    import pydicom, glob as g
    uid = info["frames"][0]["sop_instance_uid"]
    for f in g.glob(os.path.join(DATA, "totalsegmentator/example_ct_dicom/*")):
        d = pydicom.dcmread(f, stop_before_pixels=True)
        if d.file_meta.MediaStorageSOPInstanceUID == uid:
            return d
    raise RuntimeError("source frame not found")


def expected(out, name):
    info = json.load(open(os.path.join(out, name + ".json")))
    n, r, c = len(info["frames"]), info["rows"], info["columns"]
    masks = np.fromfile(os.path.join(out, name + ".mask.u8"), dtype=np.uint8).reshape(len(info["segments"]), n, r, c)
    return info, masks


def dciodvfy(path):
    res = subprocess.run(["dciodvfy", path], capture_output=True, text=True)
    return [l for l in (res.stdout + res.stderr).splitlines() if l.startswith("Error")]


def check_highdicom(path, info, masks):
    import highdicom as hd
    seg = hd.seg.segread(path)
    frames = info["frames"]
    numbers = list(range(1, masks.shape[0] + 1))
    bad = 0
    if frames[0]["frame_number"]:  # enhanced source: by source frame
        uid = frames[0]["sop_instance_uid"]
        arr = seg.get_pixels_by_source_frame(uid, [f["frame_number"] for f in frames], segment_numbers=numbers,
                                             assert_missing_frames_are_empty=True)
    else:
        arr = seg.get_pixels_by_source_instance([f["sop_instance_uid"] for f in frames], segment_numbers=numbers,
                                                assert_missing_frames_are_empty=True)
    ours = masks.transpose(1, 2, 3, 0)  # frames, rows, columns, segments
    bad = int(np.count_nonzero(arr.astype(np.uint8) != ours))
    return {"highdicom_mismatched_voxels": bad, "highdicom_shape": list(arr.shape)}


def check_dcmqi(path, info, masks):
    import nrrd
    tmp = tempfile.mkdtemp()
    res = subprocess.run(["segimage2itkimage", "--inputDICOM", path, "--outputDirectory", tmp, "-t", "nrrd"], capture_output=True, text=True)
    outs = sorted(glob.glob(os.path.join(tmp, "*.nrrd")), key=lambda p: int(os.path.basename(p).split(".")[0].split("-")[-1]) if os.path.basename(p).split(".")[0].split("-")[-1].isdigit() else 0)
    if res.returncode != 0 or not outs:
        return {"dcmqi_error": (res.stderr or res.stdout)[-300:]}
    frames = info["frames"]
    pos = np.array([f["position"] for f in frames])
    total_bad = 0
    for s, p in enumerate(outs):
        data, header = nrrd.read(p)  # (i, j, k) with i fastest on disk
        dirs = np.array(header["space directions"], dtype=float)  # rows = axis vectors
        origin = np.array(header["space origin"], dtype=float)
        got = np.zeros_like(masks[s])
        for k in range(data.shape[2]):
            p0 = origin + k * dirs[2]
            d = np.linalg.norm(pos - p0, axis=1)
            f = int(np.argmin(d))
            if d[f] > 0.05:
                continue  # a slice outside the source: must be empty
            got[f] = (data[:, :, k].T != 0)
        total_bad += int(np.count_nonzero(got != masks[s]))
    return {"dcmqi_mismatched_voxels": total_bad, "dcmqi_segments": len(outs)}


def check_sr(path):
    """highdicom parses the TID 1500 report; the values SegStation wrote come back (see SRMeasurementReportTests)."""
    import highdicom as hd
    sr = hd.sr.srread(path)
    groups = sr.content.get_volumetric_roi_measurement_groups()
    found = []
    for g in groups:
        values = {m.name.meaning: (float(m.value), m.unit.value) for m in g.get_measurements()}
        ref = g.referenced_segment
        found.append({"tracking": g.tracking_identifier, "segment": int(ref.referenced_segment_numbers[0]) if hasattr(ref, "referenced_segment_numbers") else None,
                      "values": values})
    expected = [{"Volume": (1.5 * i, "ml"), "Long Axis": (10.0 + i, "mm"), "Mean": (40.0 + i, "[hnsf'U]")} for i in range(1, len(groups) + 1)]
    ok = len(groups) > 0 and all(f["values"] == e for f, e in zip(found, expected))
    return {"sr_groups": len(groups), "sr_values_equal": ok, "sr_observer": sr.content.get_observer_contexts()[0].observer_identifying_attributes[0].value if sr.content.get_observer_contexts() else None}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="segacc")
    os.makedirs(out, exist_ok=True)
    classes = totalseg_classes()
    env = dict(os.environ, SEGSTATION_SEG_EXPORT=out)
    subprocess.run(["swift", "test", "--disable-swift-testing", "--filter", "SEGExportTests"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    summary = {"totalsegmentator_classes": classes}
    for path in sorted(glob.glob(os.path.join(out, "*.dcm"))):
        name = os.path.basename(path)[:-4]
        info, masks = expected(out, name)
        row = {"segments": int(masks.shape[0]), "frames_on_source": len(info["frames"]), "dciodvfy_errors": dciodvfy(path)}
        sr = os.path.join(out, name + ".sr")
        row["sr_dciodvfy_errors"] = dciodvfy(sr)
        try:
            row.update(check_sr(sr))
        except Exception as e:
            row["check_sr_exception"] = repr(e)[:300]
        if name == "totalseg_j2k":
            row.update(check_resampling(info, masks))
        for check in (check_highdicom, check_dcmqi):
            try:
                row.update(check(path, info, masks))
            except Exception as e:  # report, never hide
                row[check.__name__ + "_exception"] = repr(e)[:300]
        summary[name] = row
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
