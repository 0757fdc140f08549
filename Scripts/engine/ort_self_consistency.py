#!/usr/bin/env python3
"""How far onnxruntime is from itself on a Mask R-CNN export: the recorded outputs (default session:
all graph optimisations, 2 threads, as export_maskrcnn.py records them) against a second session
with graph optimisations off on 1 thread. It reads issue 17's "boxes within 1e-4": if onnxruntime's
own two float orders differ by more than 1e-4 px in absolute terms on boxes hundreds of pixels wide,
an absolute reading cannot be met by any implementation, and the relative one (1e-4 of
max(|coordinate|, box extent, 1), `DetectionComparison`) is the one to check.

Usage: python3 Scripts/engine/ort_self_consistency.py DIR NAME [x0 x1 x2]
  e.g. DIR = the --out of export_maskrcnn.py --full, NAME = maskrcnn_resnet50_fpn
Prints per input: matches under compare_detections.py's criteria, and the largest absolute box and
score differences.
"""
import os
import sys

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_detections as cd  # noqa: E402


def main():
    d, name = sys.argv[1], sys.argv[2]
    inputs = sys.argv[3:] or ["x0", "x1", "x2"]
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    s = ort.InferenceSession(f"{d}/{name}.onnx", so, providers=["CPUExecutionProvider"])
    for x in inputs:
        outs = s.run(None, {s.get_inputs()[0].name: np.load(f"{d}/{name}.{x}.in0.npy")})
        got = dict(zip(("boxes", "labels", "scores", "masks"), outs))
        rec = cd.load(f"{d}/{name}.{x}", ".")
        problems, summary = cd.compare(got, rec)
        used, max_box, max_score = set(), 0.0, 0.0
        for i in range(len(rec["scores"])):
            cands = [j for j in range(len(got["scores"])) if j not in used and got["labels"][j] == rec["labels"][i]
                     and cd.iou(got["boxes"][j], rec["boxes"][i]) > 0.5]
            if not cands:
                continue
            j = min(cands, key=lambda j: np.abs(got["boxes"][j] - rec["boxes"][i]).max())
            used.add(j)
            max_box = max(max_box, float(np.abs(got["boxes"][j].astype(np.float64) - rec["boxes"][i]).max()))
            max_score = max(max_score, abs(float(got["scores"][j]) - float(rec["scores"][i])))
        print(f"{name} {x}: {summary}; absolute: max box diff {max_box:.2e} px, max score diff {max_score:.2e}"
              + (f"; problems: {problems}" if problems else ""))


if __name__ == "__main__":
    main()
