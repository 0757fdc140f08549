#!/usr/bin/env python3
"""Same-run comparison: SegStation (Swift, release) vs cc3d, scipy.ndimage.label and
skimage.measure.marching_cubes on the 512x512x300 mask the Swift program writes.

Run from the repository root:  python3 Benchmarks/lesions/bench.py
pip install connected-components-3d scipy scikit-image numpy
"""
import os, subprocess, sys, tempfile, time
import numpy as np
import cc3d
from scipy import ndimage
from skimage import measure

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def best(f, n=3):
    t = float("inf")
    for _ in range(n):
        t0 = time.perf_counter(); r = f(); t = min(t, time.perf_counter() - t0)
    return t, r


def main():
    subprocess.run(["swift", "build", "-c", "release", "--product", "lesions-bench"], cwd=ROOT, check=True)
    binpath = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    raw = os.path.join(tempfile.gettempdir(), "lesions-bench-mask.raw")
    out = subprocess.run([os.path.join(binpath, "lesions-bench"), raw], check=True, capture_output=True, text=True).stdout
    print(out.strip())
    swift = {l.split()[0]: (float(l.split()[1]), l.split()[-1]) for l in out.splitlines() if l.startswith("swift_")}
    a = np.fromfile(raw, dtype=np.uint8).reshape((512, 512, 300), order="F")
    rows = []
    for conn, st in ((6, 1), (18, 2), (26, 3)):
        tc, (lab, n) = best(lambda: cc3d.connected_components(a, connectivity=conn, return_N=True))
        ts, (_, ns) = best(lambda: ndimage.label(a > 0, structure=ndimage.generate_binary_structure(3, st)), 1)
        sw, count = swift[f"swift_cc{conn}"]
        assert int(count) == n, (conn, count, n)
        rows.append((f"connected components {conn} (multi-label)", sw, tc, f"scipy (binary only) {ts:.3f} s", n))
    binary = (a > 0).astype(np.float32)
    tm, (verts, faces, *_rest) = best(lambda: measure.marching_cubes(np.pad(binary, 1), 0.5), 1)
    rows.append(("marching cubes, whole mask", swift["swift_mesh"][0], tm, "skimage marching_cubes", len(faces)))
    print()
    print("| operation | SegStation (s) | reference (s) | notes | count |")
    print("|---|---|---|---|---|")
    for name, sw, ref, note, count in rows:
        ref_name = "cc3d" if "components" in name else "skimage"
        print(f"| {name} | {sw:.3f} | {ref_name} {ref:.3f} | {note} | {count} |")
    os.remove(raw)


if __name__ == "__main__":
    sys.exit(main())
