#!/usr/bin/env python3
"""Writes the small region and ensemble model packages the pipeline tests run through `segment`
(Tests/PipelineTests/Fixtures/regions-3d, ensemble-3d). dev-only: pip install onnx onnxruntime numpy

Both are pointwise (1x1x1 convolutions over the two channels FLAIR, T1c), so their answer is known
in closed form and does not depend on where the sliding windows fall:

regions-3d (normalisation "none", decision "regions", three sigmoid regions in this order):
  whole tumour  logit = FLAIR - 0.3        threshold 0.5  -> label 1
  tumour core   logit = FLAIR - 0.4        threshold 0.55 -> label 2 (cut-off logit log(0.55/0.45))
  enhancing     logit = 2 T1c - 1.6        threshold 0.5  -> label 3
  "Enhancing" is deliberately not nested in the others (it follows T1c), so the precedence rule
  (a later region overwrites an earlier one) decides voxels where it holds outside the core.

ensemble-3d (normalisation zscore-foreground, decision argmax, three folds): fold f outputs logits
  (0, a_f z_FLAIR + b_f) with a, b drawn from numpy's default_rng(16) (fixed seed). The ensemble's
  probability of label 1 is the mean over folds of sigmoid(a_f z + b_f).

Every model is checked with onnxruntime against the closed form on a random input.
"""
import hashlib
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "PipelineTests", "Fixtures")
CODES = {"category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
         "type": {"code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"}}


def pointwise(weights, bias, name):
    """A 1x1x1 Conv from 2 channels to len(bias) outputs."""
    w = np.asarray(weights, np.float32).reshape(len(bias), 2, 1, 1, 1)
    b = np.asarray(bias, np.float32)
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 2, "d", "h", "w"])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", len(bias), "d", "h", "w"])
    node = helper.make_node("Conv", ["input", "W", "B"], ["logits"], kernel_shape=[1, 1, 1], name="pointwise")
    g = helper.make_graph([node], name, [x], [y], [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="segstation-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def save_checked(m, path, weights, bias):
    onnx.save(m, path)
    x = np.random.default_rng(0).normal(size=[2, 2, 3, 4, 5]).astype(np.float32)
    out = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    expected = np.einsum("oc,ncdhw->nodhw", np.asarray(weights, np.float32), x) + np.asarray(bias)[None, :, None, None, None]
    assert np.allclose(out, expected, atol=1e-6), f"{path}: onnxruntime disagrees with the closed form"
    return {"file": os.path.basename(path), "format": "onnx", "opset": 17,
            "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
            "inputName": "input", "outputName": "logits", "tensorAxes": ["N", "C", "i", "j", "k"]}


def manifest(name, description, network, normalization, output, labels, ensemble=None):
    m = {
        "schemaVersion": 1, "name": name, "version": "1.0.0", "description": description, "licence": "CC0-1.0",
        "network": network,
        "inputs": [{"name": "FLAIR", "modality": "MR", "sequence": "FLAIR", "normalization": normalization},
                   {"name": "T1c", "modality": "MR", "sequence": "T1c", "normalization": normalization}],
        "orientation": "RAS", "targetSpacingMM": [1.0, 1.0, 1.0], "dimensionality": "3d", "sliceAxis": None,
        "patchSizeIJK": [16, 16, 16], "cropToForeground": True,
        "slidingWindow": {"stepFraction": 0.5, "importance": "gaussian", "sigmaFraction": 0.125, "padValue": 0.0},
        "mirrorAxes": ["i", "j", "k"], "output": output, "labels": labels,
    }
    if ensemble:
        m["ensemble"] = ensemble
    return m


def write_manifest(folder, m):
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")


def regions():
    folder = os.path.join(ROOT, "regions-3d")
    os.makedirs(folder, exist_ok=True)
    weights, bias = [[1, 0], [1, 0], [0, 2]], [-0.3, -0.4, -1.6]
    net = save_checked(pointwise(weights, bias, "regions3d"), os.path.join(folder, "model.onnx"), weights, bias)
    output = {"kind": "logits", "classes": 3, "aggregation": "weighted-mean-logits", "decision": "regions",
              "regions": [{"name": "Whole tumour", "label": 1, "threshold": 0.5},
                          {"name": "Tumour core", "label": 2, "threshold": 0.55},
                          {"name": "Enhancing tumour", "label": 3, "threshold": 0.5}]}
    labels = [dict(value=v, name=n, colorRGB=c, **CODES) for v, n, c in
              [(1, "Oedema", [255, 200, 0]), (2, "Tumour core", [255, 96, 0]), (3, "Enhancing tumour", [220, 0, 40])]]
    write_manifest(folder, manifest("regions-3d", "Test fixture: three pointwise sigmoid regions (see "
                                    "Scripts/engine/make_package_fixtures.py).", net, {"kind": "none"}, output, labels))


def ensemble():
    folder = os.path.join(ROOT, "ensemble-3d")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(16)
    a = rng.uniform(0.5, 2.0, 3)
    b = rng.uniform(-1.0, 1.0, 3)
    nets = []
    for f in range(3):
        weights, bias = [[0, 0], [float(a[f]), 0]], [0.0, float(b[f])]
        nets.append(save_checked(pointwise(weights, bias, f"fold{f}"), os.path.join(folder, f"fold{f}.onnx"), weights, bias))
        print(f"fold {f}: logits (0, {a[f]:.6f} z + {b[f]:.6f})")
    output = {"kind": "logits", "classes": 2, "aggregation": "weighted-mean-logits", "decision": "argmax"}
    labels = [dict(value=1, name="Bright region", colorRGB=[255, 64, 0], **CODES)]
    norm = {"kind": "zscore-foreground", "foreground": "greater-than-minimum"}
    write_manifest(folder, manifest("ensemble-3d", "Test fixture: three pointwise folds averaged as nnU-Net "
                                    "ensembles (see Scripts/engine/make_package_fixtures.py).", nets[0], norm, output,
                                    labels, ensemble=nets[1:]))


if __name__ == "__main__":
    regions()
    ensemble()
