#!/usr/bin/env python3
"""Anonymised data end to end (issue 11 point 17), against dciodvfy and highdicom.

Cases:
  totalseg  TotalSegmentator's example CT (J2K; empty PatientID and other identifiers, as shipped)
  phantom   `segstation sample` (FLAIR + T1c) with PatientID, PatientName, StudyInstanceUID,
            SeriesInstanceUID, FrameOfReferenceUID removed and StudyDate, AccessionNumber emptied (pydicom)
  dcmqa     dcm_qa_ct/GE (gantry tilt, uneven spacing) anonymised the same way; loaded with
            --uneven-spacing resample --tilt resample-orthogonal

Each case runs inspect --json, convert, segment (threshold-3d test model for the CTs: its manifest says
MR, so --force is passed when the binary has it; brats-wt-3d for the phantom), export-seg, export-sr and
report. Checks: the commands exit 0; dciodvfy finds 0 errors in every SEG and SR; highdicom reads each SEG
and maps its frames onto the source instances (get_pixels_by_source_instance); the SEG's referenced series
and study are the UIDs `inspect` derived; a derived-identity flag is on the run.
Prints a JSON summary (recorded in Tests/DICOMTests/Expected/anonymised_acceptance.json).

Usage: python3 Scripts/reference/anonymised_acceptance.py [WORKDIR]
Needs: a built segstation ($SEGSTATION_BIN, else .build/release or .build/debug), Debian dicom3tools
(dciodvfy), pip install pydicom highdicom pylibjpeg pylibjpeg-openjpeg.
"""
import glob, json, os, shutil, sqlite3, subprocess, sys, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("SEGSTATION_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))
REMOVED = ["PatientID", "PatientName", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"]
EMPTIED = ["StudyDate", "AccessionNumber"]


def binary():
    for candidate in [os.environ.get("SEGSTATION_BIN"), os.path.join(REPO, ".build/release/segstation"),
                      os.path.join(REPO, ".build/debug/segstation")]:
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("no segstation binary: build first or set SEGSTATION_BIN")


BIN = binary()


def run(args, db, expect=0):
    env = dict(os.environ, SEGSTATION_DB=db)
    p = subprocess.run([BIN] + args, capture_output=True, text=True, env=env)
    if p.returncode != expect:
        raise SystemExit(f"segstation {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p


def anonymise(src, dst):
    import pydicom
    os.makedirs(dst)
    for path in sorted(glob.glob(os.path.join(src, "*"))):
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            continue
        for keyword in REMOVED:
            if keyword in ds:
                delattr(ds, keyword)
        for keyword in EMPTIED:
            setattr(ds, keyword, "")
        ds.save_as(os.path.join(dst, os.path.basename(path)), enforce_file_format=True)


def dciodvfy_errors(path):
    p = subprocess.run(["dciodvfy", "-new", path], capture_output=True, text=True)
    lines = (p.stdout + p.stderr).splitlines()
    return [l for l in lines if l.startswith("Error")]


def highdicom_check(seg_path, source_dir):
    import highdicom as hd, pydicom
    seg = hd.seg.segread(seg_path)
    sources = {}
    for path in glob.glob(os.path.join(source_dir, "**", "*"), recursive=True):
        if os.path.isfile(path):
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True)
                sources[ds.SOPInstanceUID] = ds
            except Exception:
                pass
    referenced = [uid for _, _, uid in seg.get_source_image_uids()]
    missing = [u for u in referenced if u not in sources]
    pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=referenced,
                                               segment_numbers=list(seg.segment_numbers), ignore_spatial_locations=True)
    return {"referencedInstances": len(referenced), "notInSource": len(missing), "pixelsShape": list(pixels.shape),
            "nonzero": int((pixels != 0).sum()), "studyUID": seg.StudyInstanceUID,
            "referencedSeries": seg.ReferencedSeriesSequence[0].SeriesInstanceUID}


def has_force():
    return "--force" in subprocess.run([BIN, "segment", "--help"], capture_output=True, text=True).stdout


def case(name, channels, model, work, extra, force):
    db = os.path.join(work, f"{name}.sqlite")
    out = os.path.join(work, f"{name}-out")
    inspected = json.loads(run(["inspect", "--json", channels[0]], db).stdout)
    stack = inspected["studies"][0]["series"][0]["stacks"][0]
    run(["convert", channels[0], "-o", os.path.join(work, f"{name}.nii.gz")] + extra, db)
    args = ["segment"] + channels + ["--model", model, "-o", out, "--json"] + extra + (["--force"] if force else [])
    summary = json.loads(run(args, db).stdout)
    seg, sr = os.path.join(out, "seg.dcm"), os.path.join(out, "sr.dcm")
    exported_seg = os.path.join(work, f"{name}-export-seg.dcm")
    exported_sr = os.path.join(work, f"{name}-export-sr.dcm")
    run(["export-seg", "--mask", os.path.join(out, "mask.nii.gz"), "--source", channels[0], "-o", exported_seg,
         "--labels", os.path.join(model, "manifest.json") if os.path.isdir(model) else model] + extra, db)
    run(["export-sr", "--seg", exported_seg, "--image", channels[0], "-o", exported_sr] + extra, db)
    run(["report", str(summary["runID"]), "--db", db, "-o", os.path.join(work, f"{name}-report"), "--format", "json"], db)
    derived = sqlite3.connect(db).execute("SELECT derivedIdentifiers FROM run WHERE id = ?", (summary["runID"],)).fetchone()[0]
    result = {"derivedByInspect": stack.get("derivedIdentifiers", []), "derivedInDatabase": derived, "dciodvfyErrors": {}, "highdicom": {}}
    for label, path in [("segment seg", seg), ("segment sr", sr), ("export-seg", exported_seg), ("export-sr", exported_sr)]:
        if os.path.exists(path):
            result["dciodvfyErrors"][label] = dciodvfy_errors(path)
    for label, path in [("segment seg", seg), ("export-seg", exported_seg)]:
        h = highdicom_check(path, channels[0])
        h["matchesInspect"] = h["studyUID"] == inspected["studies"][0]["info"]["studyInstanceUID"] and \
            h["referencedSeries"] == inspected["studies"][0]["series"][0]["info"]["seriesInstanceUID"]
        result["highdicom"][label] = h
    return result


def main():
    work = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="anon-acceptance-")
    os.makedirs(work, exist_ok=True)
    force = has_force()
    threshold = os.path.join(REPO, "Tests/PipelineTests/Fixtures/threshold-3d")
    results = {"forceAvailable": force}
    ct = os.path.join(DATA, "totalsegmentator/example_ct_dicom")
    results["totalseg"] = case("totalseg", [ct, ct], threshold, work, [], force)
    sample = os.path.join(work, "sample")
    if not os.path.exists(sample):
        run(["sample", "-o", sample, "--size", "96,96,64"], os.path.join(work, "sample.sqlite"))
    for channel in ["FLAIR", "T1c"]:
        if not os.path.exists(os.path.join(work, "phantom", channel)):
            anonymise(os.path.join(sample, channel), os.path.join(work, "phantom", channel))
    results["phantom"] = case("phantom", [os.path.join(work, "phantom", c) for c in ["FLAIR", "T1c"]],
                              os.path.join(REPO, "Models/brats-wt-3d"), work, [], False)
    ge = os.path.join(work, "dcmqa")
    if not os.path.exists(ge):
        anonymise(os.path.join(DATA, "dcm_qa_ct/GE"), ge)
    results["dcmqa"] = case("dcmqa", [ge, ge], threshold, work, ["--uneven-spacing", "resample", "--tilt", "resample-orthogonal"], force)
    errors = sum(len(v) for c in ["totalseg", "phantom", "dcmqa"] for v in results[c]["dciodvfyErrors"].values())
    mapped = all(h["notInSource"] == 0 and h["matchesInspect"] for c in ["totalseg", "phantom", "dcmqa"] for h in results[c]["highdicom"].values())
    results["summary"] = {"dciodvfyErrors": errors, "highdicomMapsOntoSource": mapped}
    print(json.dumps(results, indent=2, sort_keys=True))
    return 0 if errors == 0 and mapped else 1


if __name__ == "__main__":
    sys.exit(main())
