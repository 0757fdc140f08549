#!/usr/bin/env python3
"""Same-run comparison: SegStation (Swift, release) vs cc3d, scipy.ndimage.label and
skimage.measure.marching_cubes on the 512x512x300 mask the Swift program writes.

Run from anywhere:  python3 Benchmarks/lesions/bench.py [--rounds R] [--repeats N]
(builds the `lesions-bench` product in release first; pip install connected-components-3d scipy
scikit-image numpy).

Connected components: R interleaved rounds (default 3; the order Swift/cc3d alternates per round),
each with N timed calls per connectivity on each side (default 5). Each timed interval covers only
the labelling call (cc3d.connected_components with default settings, single-threaded; Swift's
ConnectedComponents.label); results are released outside the clock. Reported: median of all calls
per side and the median of the per-round ratios of medians. The partitions are checked equal
(component count and a canonical checksum of the instance map). scipy: 1 call per connectivity.
Marching cubes (SegStation's SurfaceMesh vs skimage on the padded binary mask): median of 3 calls.
"""
import argparse, gc, os, statistics, subprocess, sys, tempfile, time
import numpy as np
import cc3d
from scipy import ndimage
from skimage import measure

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
SHAPE = (512, 512, 300)


def timed(f, n):
    """n calls of f; returns (seconds per call, last result). The previous result is released
    before each clock start."""
    times, r = [], None
    for _ in range(n):
        r = None
        gc.collect()
        t0 = time.perf_counter(); r = f(); times.append(time.perf_counter() - t0)
    return times, r


def checksum(labels):
    """sum(id * (index mod 1000003 + 1)) over Fortran order, ids renumbered 1..n by first voxel
    (as Swift and the tests number them), wrapping like Swift's Int64 &+."""
    flat = labels.reshape(-1, order="F")
    v = np.arange(flat.size, dtype=np.int64)
    weights = (v % 1000003) + 1

    def raw(ids):
        with np.errstate(over="ignore"):
            return int(np.sum(ids.astype(np.int64) * weights, dtype=np.int64))

    s = raw(flat)
    nz = np.flatnonzero(flat)
    ids, first = np.unique(flat[nz], return_index=True)
    order = np.argsort(first)
    if np.array_equal(ids[order], np.arange(1, ids.size + 1)):
        return s  # already numbered by first voxel
    remap = np.zeros(int(flat.max()) + 1, dtype=np.int64)
    remap[ids[order]] = np.arange(1, ids.size + 1)
    return raw(remap[flat])


def run_swift(binpath, args):
    out = subprocess.run([os.path.join(binpath, "lesions-bench")] + args, check=True,
                         capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        if line.startswith("swift_"):
            head, times = line.split(" times ")
            words = head.split()
            rows[words[0]] = (dict(zip(words[1::2], words[2::2])), [float(x) for x in times.split()])
    return out, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=5)
    opt = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "lesions-bench"], cwd=ROOT, check=True)
    binpath = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    raw = os.path.join(tempfile.gettempdir(), f"lesions-bench-mask-{os.getpid()}.raw")
    load_before = os.getloadavg()
    first_out, _ = run_swift(binpath, ["--mask-out", raw, "--repeats", "1", "--cc-only"])
    a = np.fromfile(raw, dtype=np.uint8).reshape(SHAPE, order="F")
    os.remove(raw)
    nonzero = int(first_out.split()[2])
    assert np.count_nonzero(a) == nonzero, "mask differs between Swift and Python"

    conns = (6, 18, 26)
    sw_all = {c: [] for c in conns}
    cc_all = {c: [] for c in conns}
    ratios = {c: [] for c in conns}
    swift_rows, cc_last = None, {}
    for rnd in range(opt.rounds):
        def swift_side():
            nonlocal swift_rows
            _, swift_rows = run_swift(binpath, ["--repeats", str(opt.repeats), "--cc-only"])
            return {c: swift_rows[f"swift_cc{c}"][1] for c in conns}

        def cc3d_side():
            res = {}
            for c in conns:
                times, (lab, n) = timed(lambda: cc3d.connected_components(a, connectivity=c, return_N=True),
                                        opt.repeats)
                if rnd == opt.rounds - 1:
                    cc_last[c] = (n, checksum(lab))
                lab = None
                res[c] = times
            return res

        if rnd % 2 == 0:
            sw, cc = swift_side(), cc3d_side()
        else:
            cc, sw = cc3d_side(), swift_side()
        for c in conns:
            sw_all[c] += sw[c]; cc_all[c] += cc[c]
            ratios[c].append(statistics.median(sw[c]) / statistics.median(cc[c]))
        print(f"round {rnd + 1}: " + ", ".join(
            f"cc{c} swift {statistics.median(sw[c]):.4f} s cc3d {statistics.median(cc[c]):.4f} s" for c in conns))

    rows = []
    for c, st in zip(conns, (1, 2, 3)):
        n, cc_sum = cc_last[c]
        fields = swift_rows[f"swift_cc{c}"][0]
        assert int(fields["components"]) == n, (c, fields["components"], n)
        assert int(fields["checksum"]) == cc_sum, f"partition differs from cc3d at connectivity {c}"
        (ts,), (_, ns) = timed(lambda: ndimage.label(a > 0, structure=ndimage.generate_binary_structure(3, st)), 1)
        rows.append((f"connected components {c} (multi-label)", statistics.median(sw_all[c]),
                     f"cc3d {statistics.median(cc_all[c]):.3f}", statistics.median(ratios[c]),
                     f"scipy (binary only) {ts:.3f} s; partition = cc3d", n))

    full_out, full = run_swift(binpath, ["--repeats", "1", "--mesh-repeats", "3"])
    binary = (a > 0).astype(np.float32)
    tms, (verts, faces, *_rest) = timed(lambda: measure.marching_cubes(np.pad(binary, 1), 0.5), 3)
    tm, tsm = statistics.median(tms), statistics.median(full["swift_mesh"][1])
    rows.append(("marching cubes, whole mask", tsm, f"skimage {tm:.3f}", tsm / tm,
                 "triangles: SegStation / skimage", f"{full['swift_mesh'][0]['triangles']} / {len(faces)}"))
    load_after = os.getloadavg()

    print()
    print(full_out.strip())
    print(f"\nload average (1, 5, 15 min) before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
          f"{opt.rounds} rounds x {opt.repeats} calls per connectivity")
    print()
    print("| operation | SegStation (s) | reference (s) | SegStation / reference | notes | count |")
    print("|---|---|---|---|---|---|")
    for name, sw, ref, ratio, note, count in rows:
        print(f"| {name} | {sw:.3f} | {ref} | {ratio:.2f} | {note} | {count} |")


if __name__ == "__main__":
    sys.exit(main())
