#!/usr/bin/env python3
"""DICOM-SEG write benchmark: SegStation (DCMTK dcmseg) vs highdicom, same label map, same run.

1. Builds a 300-slice 512x512 CT series from dcmqi's ct-3slice (Benchmarks/volumeio/make_ct_series.py) unless present.
2. Runs the release `seg-bench` (100 segments; each spans 60 slices; then every segment on every slice).
3. highdicom 0.28 writes a BINARY SEG from the same label map (frames in the same slice order) over the
   same source datasets; time of `Segmentation(...)` + `save_as` (source files read beforehand, not timed).
Prints the table for BENCHMARKS.md (writes BENCHMARKS-seg.md to fold in). dev-only: pip install highdicom pydicom numpy.
"""
import json, os, subprocess, sys, time, platform
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("SEGSTATION_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))
WORK = os.environ.get("SEG_BENCH_DIR", "/tmp/seg-bench")


def highdicom_write(series_dir, labels_path, segments, out):
    import pydicom, highdicom as hd
    from pydicom.sr.codedict import codes
    files = [os.path.join(series_dir, f) for f in sorted(os.listdir(series_dir))]
    ds = [pydicom.dcmread(f) for f in files]
    for d in ds:  # highdicom rejects the empty Specific Character Set of ct-3slice (not timed)
        if not d.get("SpecificCharacterSet"):
            d.SpecificCharacterSet = "ISO_IR 100"
    iop = np.array(ds[0].ImageOrientationPatient, float)
    normal = np.cross(iop[:3], iop[3:])
    ds.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
    rows, cols = ds[0].Rows, ds[0].Columns
    labels = np.fromfile(labels_path, dtype=np.uint8).reshape(len(ds), rows, cols)
    algo = hd.AlgorithmIdentificationSequence(name="bench", version="1", family=codes.cid7162.ArtificialIntelligence)
    descs = [hd.seg.SegmentDescription(segment_number=s, segment_label=f"Segment {s}",
                                       segmented_property_category=codes.SCT.Tissue, segmented_property_type=codes.SCT.Tissue,
                                       algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC, algorithm_identification=algo)
             for s in range(1, segments + 1)]
    start, cpu = time.perf_counter(), time.process_time()
    seg = hd.seg.Segmentation(source_images=ds, pixel_array=labels, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
                              segment_descriptions=descs, series_instance_uid=hd.UID(), series_number=300,
                              sop_instance_uid=hd.UID(), instance_number=1, manufacturer="bench",
                              manufacturer_model_name="bench", software_versions="1", device_serial_number="0")
    seg.save_as(out)
    return time.perf_counter() - start, time.process_time() - cpu, int(seg.NumberOfFrames)


def same_frames(a_path, b_path):
    """Not timed: every frame's packed bits equal, frames matched by (segment number, source instance)
    (the writers may order frames differently). Frames of 512x512 start on byte boundaries."""
    import pydicom
    found = []
    for path in (a_path, b_path):
        ds = pydicom.dcmread(path)
        size = ds.Rows * ds.Columns // 8
        data = memoryview(ds.PixelData)
        found.append({(int(it.SegmentIdentificationSequence[0].ReferencedSegmentNumber),
                       it.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID): data[f * size:(f + 1) * size]
                      for f, it in enumerate(ds.PerFrameFunctionalGroupsSequence)})
    a, b = found
    return a.keys() == b.keys() and all(a[k] == b[k] for k in a)


def main():
    series = os.path.join(WORK, "ct300")
    os.makedirs(WORK, exist_ok=True)
    if not os.path.isdir(series):
        subprocess.run([sys.executable, os.path.join(REPO, "Benchmarks/volumeio/make_ct_series.py"),
                        os.path.join(DATA, "dcmqi/segmentations/ct-3slice"), series, "--slices", "300"], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "seg-bench"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(REPO, ".build/release/seg-bench")
    rows = []
    for name, extra in (("100 segments x 60 slices", []), ("100 segments x every slice", ["--every-slice"])):
        labels = os.path.join(WORK, "labels.u8")
        load_ours = os.getloadavg()[0]
        res = subprocess.run([binary, series, os.path.join(WORK, "ours.dcm"), labels] + extra, capture_output=True, text=True, check=True)
        ours = json.loads(res.stdout.strip().splitlines()[-1])
        load = os.getloadavg()[0]
        hd_s, hd_cpu, hd_frames = highdicom_write(series, labels, 100, os.path.join(WORK, "highdicom.dcm"))
        ours["pixel_data_equal"] = same_frames(os.path.join(WORK, "ours.dcm"), os.path.join(WORK, "highdicom.dcm"))
        rows.append((name, ours, hd_s, hd_cpu, hd_frames, (load_ours, load)))
        print(name, ours, "highdicom", hd_s, hd_cpu, hd_frames, "load", load_ours, load, flush=True)
    import highdicom
    with open(os.path.join(REPO, "BENCHMARKS-seg.md"), "w") as f:
        f.write("# DICOM-SEG write benchmark\n\n")
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        f.write(f"Generated by `Benchmarks/seg/run_benchmark.py` at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
                f"(commit {commit}) on {platform.platform()} ({os.cpu_count()} cores), "
                f"highdicom {highdicom.__version__}, same label map and source files for both, one run each.\n\n")
        f.write("Source: 300-slice 512x512 CT built from dcmqi/segmentations/ct-3slice by Benchmarks/volumeio/make_ct_series.py. "
                "Label map: 100 disc-shaped segments on a 10x10 in-plane grid, radius varying from slice to slice. Empty frames are omitted by both.\n\n")
        f.write("The machine is shared by several builders (2 cores), so wall time depends on their load; CPU time "
                "(user + system of the writing process) is the load-independent figure.\n\n")
        f.write("| case | frames | SegStation write wall / CPU (s) | highdicom write wall / CPU (s) | 1-min load avg before (ours / highdicom) | SegStation read source headers (s) | SEG size (MB) | every frame identical to highdicom's (by segment and source instance) |\n|---|---|---|---|---|---|---|---|\n")
        for name, ours, hd_s, hd_cpu, hd_frames, (load_ours, load_hd) in rows:
            f.write(f"| {name} | {ours['frames']} (highdicom {hd_frames}) | {ours['write_seg_s']:.2f} / {ours['write_seg_cpu_s']:.2f} | "
                    f"{hd_s:.2f} / {hd_cpu:.2f} | {load_ours:.1f} / {load_hd:.1f} | {ours['read_source_s']:.2f} | {ours['bytes'] / 1e6:.1f} | {'yes' if ours['pixel_data_equal'] else 'NO'} |\n")
        f.write("\nSegStation's time includes building every binary frame from the label map, packing it, DCMTK's functional "
                "groups and dataset, and writing the file atomically; highdicom's includes `Segmentation(...)` and `save_as`.\n")


if __name__ == "__main__":
    main()
