#!/usr/bin/env python3
"""Whose fault is dcmqi's failure on SegStation's SEG over the gantry-tilted GE series (dcm_qa_ct/GE)?

usage: seg_tilted_dcmqi.py OUR_SEG.dcm OUR_SEG.mask.u8 OUR_SEG.json [SOURCE_DIR]
  (the three files SEGExportTests leaves with SEGSTATION_SEG_EXPORT=<folder>, name ge_tilted)

1. Every frame's Plane Position (Patient) in our SEG is compared with the Image Position (Patient) of the
   source instance its Derivation Image references (max difference, mm), and the shared orientation with
   the source's.
2. highdicom 0.28 writes a BINARY SEG from the same masks over the same source datasets; dcmqi's
   segimage2itkimage converts both SEGs. If dcmqi fails on highdicom's SEG the same way, the failure is
   dcmqi's (it builds one ITK image with a slice direction normal to the planes, so the frames of a
   sheared stack do not lie on it).
3. The slice step along the normal vs the step between positions shows the shear (tilt angle).
Prints a JSON summary. dev-only: pip install highdicom pydicom numpy dcmqi.
"""
import json, os, subprocess, sys, tempfile
import numpy as np
import pydicom

DATA = os.environ.get("SEGSTATION_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))


def dcmqi(path):
    out = tempfile.mkdtemp()
    res = subprocess.run(["segimage2itkimage", "--inputDICOM", path, "--outputDirectory", out, "-t", "nrrd"],
                         capture_output=True, text=True)
    err = [l for l in (res.stdout + res.stderr).splitlines() if "ERROR" in l or "rror" in l]
    return {"returncode": res.returncode, "outputs": len([f for f in os.listdir(out) if f.endswith(".nrrd")]),
            "error": err[:2]}


def main():
    seg_path, mask_path, info_path = sys.argv[1:4]
    source_dir = sys.argv[4] if len(sys.argv) > 4 else os.path.join(DATA, "dcm_qa_ct", "GE")
    info = json.load(open(info_path))
    sources = {}
    for name in sorted(os.listdir(source_dir)):
        d = pydicom.dcmread(os.path.join(source_dir, name))
        sources[d.SOPInstanceUID] = d
    seg = pydicom.dcmread(seg_path)
    worst = 0.0
    for item in seg.PerFrameFunctionalGroupsSequence:
        uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        ours = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
        worst = max(worst, float(np.abs(ours - np.array(sources[uid].ImagePositionPatient, float)).max()))
    iop = np.array(seg.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0].ImageOrientationPatient, float)
    src_iop = np.array(next(iter(sources.values())).ImageOrientationPatient, float)

    frames = info["frames"]
    ds = [sources[f["sop_instance_uid"]] for f in frames]   # slice order of the masks
    for d in ds:  # the anonymised series lacks type 2 attributes highdicom copies (not geometry)
        for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyID", "AccessionNumber",
                        "ReferringPhysicianName", "StudyDate", "StudyTime"):
            if keyword not in d:
                setattr(d, keyword, "")
        if not d.get("SpecificCharacterSet"):
            d.SpecificCharacterSet = "ISO_IR 100"
    positions = np.array([d.ImagePositionPatient for d in ds], float)
    normal = np.cross(src_iop[:3], src_iop[3:])
    steps = np.diff(positions, axis=0)
    along_normal = steps @ normal
    tilt = float(np.degrees(np.arccos(np.clip(np.abs(along_normal) / np.linalg.norm(steps, axis=1), -1, 1))).mean())

    import highdicom as hd
    from pydicom.sr.codedict import codes
    n, r, c = len(frames), info["rows"], info["columns"]
    masks = np.fromfile(mask_path, dtype=np.uint8).reshape(len(info["segments"]), n, r, c)
    labels = np.zeros((n, r, c), np.uint8)
    for s in range(masks.shape[0]):
        labels[masks[s] != 0] = s + 1
    algo = hd.AlgorithmIdentificationSequence(name="reference", version="1", family=codes.cid7162.ArtificialIntelligence)
    descs = [hd.seg.SegmentDescription(segment_number=s, segment_label=f"Segment {s}", segmented_property_category=codes.SCT.Tissue,
                                       segmented_property_type=codes.SCT.Tissue, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
                                       algorithm_identification=algo) for s in range(1, masks.shape[0] + 1)]
    theirs = hd.seg.Segmentation(source_images=ds, pixel_array=labels, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
                                 segment_descriptions=descs, series_instance_uid=hd.UID(), series_number=300,
                                 sop_instance_uid=hd.UID(), instance_number=1, manufacturer="reference",
                                 manufacturer_model_name="reference", software_versions="1", device_serial_number="0")
    hd_path = os.path.join(tempfile.mkdtemp(), "highdicom_ge_tilted.dcm")
    theirs.save_as(hd_path)
    hd_worst = 0.0
    for item in theirs.PerFrameFunctionalGroupsSequence:
        uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        p = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
        hd_worst = max(hd_worst, float(np.abs(p - np.array(sources[uid].ImagePositionPatient, float)).max()))
    print(json.dumps({
        "source_slices": n, "gantry_tilt_deg_from_positions": round(tilt, 3),
        "slice_step_mm": float(np.linalg.norm(steps, axis=1).mean()), "slice_step_along_normal_mm": float(np.abs(along_normal).mean()),
        "ours_max_plane_position_minus_source_ipp_mm": worst,
        "ours_orientation_minus_source_max": float(np.abs(iop - src_iop).max()),
        "highdicom_max_plane_position_minus_source_ipp_mm": hd_worst,
        "dcmqi_on_ours": dcmqi(seg_path), "dcmqi_on_highdicom": dcmqi(hd_path),
    }, indent=1))


if __name__ == "__main__":
    main()
