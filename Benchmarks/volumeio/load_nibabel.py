#!/usr/bin/env python3
"""Times nibabel loading a NIfTI in-process: nib.load + np.asanyarray(img.dataobj) (incl. gzip).

Usage: python3 Benchmarks/volumeio/load_nibabel.py FILE [--repeat N]   -> one JSON line (min/median seconds)
       python3 Benchmarks/volumeio/load_nibabel.py FILE --once         -> load once (for hyperfine)
"""
import json
import sys
import time

import nibabel as nib
import numpy as np


def load(path):
    return np.asanyarray(nib.load(path).dataobj)


def main():
    path = sys.argv[1]
    if "--once" in sys.argv:
        load(path)
        return
    repeats = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    times, voxels = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        voxels = load(path).size
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"reader": f"nibabel {nib.__version__}", "file": path, "voxels": int(voxels), "repeats": repeats,
                      "minSeconds": times[0], "medianSeconds": times[len(times) // 2]}))


if __name__ == "__main__":
    main()
