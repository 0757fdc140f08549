#!/usr/bin/env python3
"""Writes the oracle instance detector the pipeline tests run through `segment`
(Tests/PipelineTests/Fixtures/oracle-instances-2d). dev-only: pip install onnx onnxruntime numpy

A real ONNX graph of standard operators (opset 17) with torchvision's Mask R-CNN output format,
input "image" [C, H, W] (one channel, "VALUES", normalisation none):
  one detection per intensity value v = 1..K (K = 6) present on the slice, in increasing v:
    masks  [N, 1, H, W]  1.0 where the pixel equals v, else 0.0
    scores [N]           v / 10
    labels [N] int64     1
    boxes  [N, 4]        x1, y1, x2, y2 of the mask's extent (x2, y2 one past the last pixel)
  The detection count is data-dependent: NonZero over "value present" then Gather.
So a test that paints a volume with values knows every detection: which voxels, which score.

The script checks onnxruntime against that closed form, and records onnxruntime's outputs for three
slices (two values that touch, one value, an empty slice) as .npy files in reference/: the test
`OracleDetectorTests` checks that SegStation's engine gives the same.
"""
import hashlib
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "PipelineTests", "Fixtures",
                      "oracle-instances-2d")
K = 6
BIG = 1.0e6


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def graph():
    n = helper.make_node
    inits = [
        const("zero_index", np.array(0, np.int64)),
        const("one_index", np.array(1, np.int64)),
        const("two_index", np.array(2, np.int64)),
        const("axes0", np.array([0], np.int64)),
        const("axes1", np.array([1], np.int64)),
        const("axes12", np.array([1, 2], np.int64)),
        const("values", np.arange(1, K + 1, dtype=np.float32).reshape(K, 1, 1)),
        const("score_table", (np.arange(1, K + 1, dtype=np.float32) / np.float32(10))),
        const("label_table", np.ones(K, np.int64)),
        const("fzero", np.array(0.0, np.float32)),
        const("fone", np.array(1.0, np.float32)),
        const("fbig", np.array(BIG, np.float32)),
    ]
    nodes = [
        n("Gather", ["image", "zero_index"], ["x"], axis=0),                      # [H, W]
        n("Unsqueeze", ["x", "axes0"], ["x1hw"]),                                  # [1, H, W]
        n("Equal", ["x1hw", "values"], ["equal"]),                                 # [K, H, W]
        n("Cast", ["equal"], ["m"], to=TensorProto.FLOAT),
        n("ReduceSum", ["m", "axes12"], ["area"], keepdims=0),                    # [K]
        n("Greater", ["area", "fzero"], ["present"]),
        n("NonZero", ["present"], ["nz"]),                                         # [1, N]
        n("Squeeze", ["nz", "axes0"], ["idx"]),                                    # [N]
        n("Gather", ["m", "idx"], ["masks_nhw"], axis=0),
        n("Unsqueeze", ["masks_nhw", "axes1"], ["masks"]),                         # [N, 1, H, W]
        n("Gather", ["score_table", "idx"], ["scores"], axis=0),
        n("Gather", ["label_table", "idx"], ["labels"], axis=0),
        # Boxes from the mask's extent: rows and columns that hold a pixel of value v.
        n("Shape", ["image"], ["shape"]),
        n("Gather", ["shape", "one_index"], ["h"], axis=0),
        n("Gather", ["shape", "two_index"], ["w"], axis=0),
        n("Cast", ["h"], ["hf"], to=TensorProto.FLOAT),
        n("Cast", ["w"], ["wf"], to=TensorProto.FLOAT),
        n("Range", ["fzero", "hf", "fone"], ["rows"]),                             # [H]
        n("Range", ["fzero", "wf", "fone"], ["cols"]),                             # [W]
        n("ReduceMax", ["m"], ["row_any"], axes=[2], keepdims=0),                  # [K, H]
        n("ReduceMax", ["m"], ["col_any"], axes=[1], keepdims=0),                  # [K, W]
    ]
    for axis, any_name, coords in (("y", "row_any", "rows"), ("x", "col_any", "cols")):
        nodes += [
            n("Add", [coords, "fone"], [f"{axis}_next"]),
            n("Mul", [any_name, f"{axis}_next"], [f"{axis}_hi_all"]),
            n("ReduceMax", [f"{axis}_hi_all"], [f"{axis}2"], axes=[1], keepdims=1),    # [K, 1]
            n("Mul", [any_name, coords], [f"{axis}_lo_in"]),
            n("Sub", ["fone", any_name], [f"{axis}_none"]),
            n("Mul", [f"{axis}_none", "fbig"], [f"{axis}_lo_out"]),
            n("Add", [f"{axis}_lo_in", f"{axis}_lo_out"], [f"{axis}_lo_all"]),
            n("ReduceMin", [f"{axis}_lo_all"], [f"{axis}1"], axes=[1], keepdims=1),    # [K, 1]
        ]
    nodes += [
        n("Concat", ["x1", "y1", "x2", "y2"], ["boxes_all"], axis=1),              # [K, 4]
        n("Gather", ["boxes_all", "idx"], ["boxes"], axis=0),                      # [N, 4]
    ]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, "H", "W"])]
    outputs = [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, ["N", 4]),
               helper.make_tensor_value_info("labels", TensorProto.INT64, ["N"]),
               helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N"]),
               helper.make_tensor_value_info("masks", TensorProto.FLOAT, ["N", 1, "H", "W"])]
    g = helper.make_graph(nodes, "oracle_detector", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="segstation-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def closed_form(image):
    x = image[0]
    present = [v for v in range(1, K + 1) if (x == v).any()]
    masks = np.stack([(x == v).astype(np.float32) for v in present])[:, None] if present else np.zeros((0, 1) + x.shape, np.float32)
    boxes = []
    for v in present:
        ys, xs = np.nonzero(x == v)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    return (np.asarray(boxes, np.float32).reshape(-1, 4), np.ones(len(present), np.int64),
            (np.asarray(present, np.float32) / np.float32(10)), masks)


def slices():
    """Three 20 x 24 slices (H x W): two touching discs (values 1 and 2), one value 3, nothing."""
    yy, xx = np.mgrid[0:20, 0:24]
    a = np.zeros((1, 20, 24), np.float32)
    a[0][(yy - 9) ** 2 + (xx - 7) ** 2 <= 16] = 1
    a[0][(yy - 9) ** 2 + (xx - 15) ** 2 <= 16] = 2
    b = np.zeros((1, 20, 24), np.float32)
    b[0][(yy - 4) ** 2 + (xx - 18) ** 2 <= 9] = 3
    b[0][0, 0] = 0.5  # not an integer value: no detection
    return {"touching": a, "single": b, "empty": np.zeros((1, 20, 24), np.float32)}


def main():
    os.makedirs(os.path.join(FOLDER, "reference"), exist_ok=True)
    path = os.path.join(FOLDER, "model.onnx")
    onnx.save(graph(), path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = ["boxes", "labels", "scores", "masks"]
    for name, image in slices().items():
        out = session.run(names, {"image": image})
        for got, want, what in zip(out, closed_form(image), names):
            assert got.shape == want.shape and np.array_equal(got, want), f"{name} {what}: onnxruntime {got} != closed form {want}"
        np.save(os.path.join(FOLDER, "reference", f"{name}.image.npy"), image)
        for what, value in zip(names, out):
            np.save(os.path.join(FOLDER, "reference", f"{name}.{what}.npy"), value)
        print(f"{name}: {out[2].shape[0]} detection(s), scores {out[2].tolist()}")
    manifest = {
        "schemaVersion": 1, "name": "oracle-instances-2d", "version": "1.0.0",
        "description": "Test fixture: an oracle instance detector, one detection per intensity value 1..6 present on a slice "
                       "(mask = the value's pixels, score = value / 10, class 1); see Scripts/engine/make_oracle_detector.py.",
        "licence": "CC0-1.0",
        "network": {"file": "model.onnx", "format": "onnx", "opset": 17,
                    "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
                    "inputName": "image", "tensorAxes": ["C", "j", "i"]},
        "inputs": [{"name": "VALUES", "modality": "MR", "sequence": "FLAIR", "normalization": {"kind": "none"}}],
        "orientation": "LPS", "targetSpacingMM": [1.0, 1.0, 1.0], "dimensionality": "2d", "sliceAxis": "k",
        "patchSizeIJK": [24, 24, 1], "cropToForeground": False,
        "slidingWindow": {"stepFraction": 0.5, "padValue": 0.0},
        "mirrorAxes": [],
        "output": {"kind": "probabilities", "classes": 2, "decision": "instances",
                   "instances": {"scoreThreshold": 0.05, "maskThreshold": 0.5, "nmsIoU": 0.5, "minSliceOverlap": 0.1}},
        "labels": [{"value": 1, "name": "Lesion", "colorRGB": [255, 64, 0],
                    "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
                    "type": {"code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"}}],
    }
    with open(os.path.join(FOLDER, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
