#!/usr/bin/env python3
"""RTSTRUCT write benchmark: SegStation (DCMTK dcmrt) vs rt-utils and plastimatch, same mask, same run.

1. Builds a 300-slice 512x512 CT series from dcmqi's ct-3slice (Scripts/bench/make_ct_series.py) unless present.
2. Runs the release `rtstruct-bench`: 100 labels (10x10 in-plane grid, each over 60 slices, odd labels with a
   hole and an island), traced, reduced (0.2 mm) and written; also with --tolerance-mm 0.
3. rt-utils (PyPI) on the same mask: `RTStructBuilder.create_new` (reads the series; timed apart), then
   100 x `add_roi` + `save` (timed).
4. plastimatch (Debian) on the same mask: one gzip NRRD per label (written beforehand, not timed), then
   `plastimatch convert --input-prefix MASKS --referenced-ct SERIES --output-dicom OUT` (timed: its time
   includes reading the 100 mask volumes, the way its command line takes structures).
Prints the rows for BENCHMARKS.md with CPU model and load. dev-only: pip install rt-utils pydicom numpy.
"""
import gzip, json, os, platform, resource, shutil, subprocess, sys, time
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("SEGSTATION_DATA", os.path.join(os.path.dirname(REPO), "shared", "data"))
WORK = os.environ.get("RTSTRUCT_BENCH_DIR", "/tmp/rtstruct-bench")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_model():
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def series_geometry(series):
    import pydicom
    ds = [pydicom.dcmread(os.path.join(series, f), stop_before_pixels=True) for f in sorted(os.listdir(series))]
    iop = np.array(ds[0].ImageOrientationPatient, float)
    normal = np.cross(iop[:3], iop[3:])
    ds.sort(key=lambda d: float(np.dot(normal, np.array(d.ImagePositionPatient, float))))
    return ds, iop


def rtutils_write(series, labels, out):
    from rt_utils import RTStructBuilder
    start = time.perf_counter()
    builder = RTStructBuilder.create_new(dicom_series_path=series)
    load = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    volume = np.transpose(labels, (1, 2, 0))  # rt-utils: rows, columns, slices (its slices ascend like ours)
    for value in range(1, int(labels.max()) + 1):
        builder.add_roi(mask=volume == value, name=f"ROI {value}")
    builder.save(out)
    return load, time.perf_counter() - start, time.process_time() - cpu


def plastimatch_write(series, labels, ds, iop, work):
    prefix = os.path.join(work, "plastimatch-masks")
    if os.path.isdir(prefix):
        shutil.rmtree(prefix)
    os.makedirs(prefix)
    sp = [float(v) for v in ds[0].PixelSpacing]
    origin = np.array(ds[0].ImagePositionPatient, float)
    step = np.array(ds[1].ImagePositionPatient, float) - origin
    fmt = lambda v: "(" + ",".join(repr(float(x)) for x in v) + ")"
    n, rows, cols = labels.shape
    for value in range(1, int(labels.max()) + 1):
        header = (f"NRRD0004\ntype: uint8\ndimension: 3\nspace: left-posterior-superior\nsizes: {cols} {rows} {n}\n"
                  f"space directions: {fmt(iop[:3] * sp[1])} {fmt(iop[3:] * sp[0])} {fmt(step)}\nkinds: domain domain domain\n"
                  f"endian: little\nencoding: gzip\nspace origin: {fmt(origin)}\n\n")
        with open(os.path.join(prefix, f"ROI {value}.nrrd"), "wb") as f:
            f.write(header.encode())
            f.write(gzip.compress((labels == value).astype(np.uint8).tobytes(), compresslevel=1))
    out = os.path.join(work, "plastimatch-rt")
    shutil.rmtree(out, ignore_errors=True)
    cpu0, start = children_cpu(), time.perf_counter()
    subprocess.run(["plastimatch", "convert", "--input-prefix", prefix, "--referenced-ct", series, "--output-dicom", out],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, children_cpu() - cpu0


def main():
    series = os.path.join(WORK, "ct300")
    os.makedirs(WORK, exist_ok=True)
    if not os.path.isdir(series):
        subprocess.run([sys.executable, os.path.join(REPO, "Scripts/bench/make_ct_series.py"),
                        os.path.join(DATA, "dcmqi/segmentations/ct-3slice"), series, "--slices", "300"], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "rtstruct-bench"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(REPO, ".build/release/rtstruct-bench")
    labels_path = os.path.join(WORK, "labels.u8")
    runs = []
    for tolerance in ("0.2", "0"):
        load = os.getloadavg()[0]
        res = subprocess.run([binary, series, os.path.join(WORK, f"ours-{tolerance}.dcm"), labels_path, "--tolerance-mm", tolerance],
                             capture_output=True, text=True, check=True)
        runs.append((json.loads(res.stdout.strip().splitlines()[-1]), load))
        print("SegStation", runs[-1], flush=True)
    ds, iop = series_geometry(series)
    labels = np.fromfile(labels_path, dtype=np.uint8).reshape(len(ds), ds[0].Rows, ds[0].Columns)
    load_rt = os.getloadavg()[0]
    rt_load, rt_s, rt_cpu = rtutils_write(series, labels, os.path.join(WORK, "rtutils.dcm"))
    print("rt-utils", rt_load, rt_s, rt_cpu, load_rt, flush=True)
    load_pl = os.getloadavg()[0]
    pl_s, pl_cpu = plastimatch_write(series, labels, ds, iop, WORK)
    print("plastimatch", pl_s, pl_cpu, load_pl, flush=True)
    from importlib.metadata import version as package_version
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    version = subprocess.run(["plastimatch", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"\nRun {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit}, {cpu_model()}, {os.cpu_count()} cores, "
          f"rt-utils {package_version('rt-utils')}, {version}.\n")
    print("| writer | contours | points | wall (s) | CPU (s) | 1-min load before | file (MB) |\n|---|---|---|---|---|---|---|")
    for ours, load in runs:
        print(f"| SegStation, tolerance {ours['tolerance_mm']} mm | {ours['contours']} | {ours['points']} | {ours['write_s']:.2f} | "
              f"{ours['write_cpu_s']:.2f} | {load:.1f} | {ours['bytes'] / 1e6:.1f} |")
    import pydicom
    def count(path):
        d = pydicom.dcmread(path)
        cs = [c for r in d.ROIContourSequence for c in r.get("ContourSequence", [])]
        return len(cs), sum(int(c.NumberOfContourPoints) for c in cs), os.path.getsize(path) / 1e6
    c, p, mb = count(os.path.join(WORK, "rtutils.dcm"))
    print(f"| rt-utils (add_roi x 100 + save; create_new {rt_load:.1f} s apart) | {c} | {p} | {rt_s:.2f} | {rt_cpu:.2f} | {load_rt:.1f} | {mb:.1f} |")
    out = os.path.join(WORK, "plastimatch-rt")
    rtss = [os.path.join(r, f) for r, _, fs in os.walk(out) for f in fs if pydicom.dcmread(os.path.join(r, f), stop_before_pixels=True).Modality == "RTSTRUCT"]
    c, p, mb = count(rtss[0])
    print(f"| plastimatch convert (incl. reading 100 mask volumes) | {c} | {p} | {pl_s:.2f} | {pl_cpu:.2f} | {load_pl:.1f} | {mb:.1f} |")


if __name__ == "__main__":
    main()
