#!/usr/bin/env python3
"""Acceptance of SegStation's DICOM-SEGs against highdicom, dcmqi and dciodvfy.

1. Writes TotalSegmentator's 117-class `example_seg_dicom.nii.gz` as raw bytes + LPS affine into OUT.
2. Runs `swift test --filter SEGExportTests` with SEGSTATION_SEG_EXPORT=OUT: SegStation writes each SEG
   (the TotalSegmentator mask resampled onto its J2K source by SegStation) and its expected masks on
   the source frames.
3. For each SEG: dciodvfy errors; highdicom `segread` + `get_pixels_by_source_instance/frame` equals our
   masks exactly; dcmqi `segimage2itkimage` output, mapped voxel by voxel onto the source frames by
   position, equals our masks.
Prints a JSON summary (recorded in Tests/DICOMTests/Expected/seg_acceptance.json).
Needs: pip install highdicom pydicom dcmqi nibabel pynrrd numpy pylibjpeg pylibjpeg-openjpeg.
"""
import glob, json, os, subprocess, sys, tempfile
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("SEGSTATION_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))


def export_totalseg(out):
    import nibabel as nib
    img = nib.load(os.path.join(DATA, "totalsegmentator/example_seg_dicom.nii.gz"))
    labels = np.asarray(img.dataobj).astype(np.uint8)
    affine = img.affine.copy()
    affine[:2, :] *= -1  # RAS -> LPS
    labels.transpose(2, 1, 0).tofile(os.path.join(out, "ts_labels.u8"))  # i fastest
    json.dump({"size": list(labels.shape), "affine_lps": affine.tolist()}, open(os.path.join(out, "ts_labels.json"), "w"))
    return int(len(np.unique(labels)) - 1)


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


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="segacc")
    os.makedirs(out, exist_ok=True)
    classes = export_totalseg(out)
    env = dict(os.environ, SEGSTATION_SEG_EXPORT=out)
    subprocess.run(["swift", "test", "--disable-swift-testing", "--filter", "SEGExportTests"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    summary = {"totalsegmentator_classes": classes}
    for path in sorted(glob.glob(os.path.join(out, "*.dcm"))):
        name = os.path.basename(path)[:-4]
        info, masks = expected(out, name)
        row = {"segments": int(masks.shape[0]), "frames_on_source": len(info["frames"]), "dciodvfy_errors": dciodvfy(path)}
        for check in (check_highdicom, check_dcmqi):
            try:
                row.update(check(path, info, masks))
            except Exception as e:  # report, never hide
                row[check.__name__ + "_exception"] = repr(e)[:300]
        summary[name] = row
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
