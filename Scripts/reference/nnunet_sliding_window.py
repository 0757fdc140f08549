"""Reference values of nnU-Net v2's sliding-window helpers for Tests/InferenceTests.

Imports nnU-Net's own code (PyPI `nnunetv2`, module nnunetv2.inference.sliding_window_prediction)
and records:
  - compute_gaussian(tile_size, sigma_scale=1/8, value_scaling_factor, dtype=float32, device=cpu):
    every value for small tiles (factor 1); otherwise (the demo models' tiles among them) the
    minimum, maximum, sum and the values at seeded sample indices (C order, last axis fastest);
    float32 values as the shortest decimals that read back exactly;
  - compute_steps_for_sliding_window(image_size, tile_size, tile_step_size) for a grid of sizes.

Run once (the test reads the JSON; it needs no Python):
    flock /tmp/pip.lock pip install nnunetv2
    python3 Scripts/reference/nnunet_sliding_window.py > Tests/InferenceTests/Expected/nnunet_sliding_window.json
"""
import json
import sys

import numpy as np
import torch
import nnunetv2
from importlib.metadata import version
from nnunetv2.inference.sliding_window_prediction import compute_gaussian, compute_steps_for_sliding_window


def f32(v):
    """The shortest decimal that reads back as the same float32."""
    return float(str(np.float32(v)))


def gaussian(tile, factor):
    g = compute_gaussian(tuple(tile), sigma_scale=1. / 8, value_scaling_factor=factor,
                         dtype=torch.float32, device=torch.device("cpu")).numpy()
    entry = {"tile": list(tile), "valueScalingFactor": factor,
             "min": f32(g.min()), "max": f32(g.max()), "sum": float(g.astype(np.float64).sum())}
    flat = g.reshape(-1)
    if flat.size <= 300 and factor == 1:
        entry["values"] = [f32(v) for v in flat]
    else:
        rng = np.random.default_rng(12)
        idx = sorted(set(int(i) for i in rng.integers(0, flat.size, 80)) | {0, flat.size - 1, int(np.argmax(flat))})
        entry["samples"] = [[i, f32(flat[i])] for i in idx]
    return entry


def main():
    small = [[1, 5, 8], [4, 6, 7], [8, 8, 8], [1, 16, 16], [3, 1, 10], [2, 2, 2], [1, 1, 17], [9, 4, 9], [6, 6, 6], [8, 16, 8]]
    large = [[48, 48, 48], [1, 128, 128], [16, 16, 16], [64, 64, 64], [40, 56, 72], [1, 160, 192], [28, 256, 256]]
    gaussians = [gaussian(t, f) for t in small + large for f in (1, 10)]

    steps = []
    for size in list(range(1, 26)) + [31, 47, 48, 49, 64, 65, 110, 129, 155, 240, 512]:
        for tile in (1, 2, 3, 5, 8, 16, 20, 48, 64, 128):
            if tile > size:
                continue
            for step in (0.25, 0.3, 0.5, 1.0):
                if step * tile < 1:
                    continue  # nnU-Net never steps a 1-voxel tile axis (2D models loop over slices)
                s = compute_steps_for_sliding_window((size, size, size), (tile, tile, tile), step)[0]
                if len(s) <= 40:  # keeps the file small; longer lists add no new rounding case
                    steps.append([size, tile, step, s])
    # Mixed axes, as nnU-Net calls it (3 axes at once).
    mixed = []
    for image, tile, step in [((155, 240, 240), (48, 48, 48), 0.5), ((110, 64, 33), (64, 64, 32), 0.5),
                              ((240, 240), (128, 128), 0.5), ((23, 38, 11), (8, 16, 8), 0.5), ((9, 9, 9), (9, 4, 9), 0.3)]:
        mixed.append({"image": list(image), "tile": list(tile), "step": step,
                      "steps": compute_steps_for_sliding_window(image, tile, step)})

    json.dump({"generator": "Scripts/reference/nnunet_sliding_window.py",
               "nnunetv2": version("nnunetv2"), "torch": torch.__version__, "numpy": np.__version__,
               "sigmaScale": 0.125, "gaussians": gaussians,
               "steps1D": {"columns": ["size", "tile", "stepSize", "steps"], "rows": steps},
               "stepsND": mixed}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
