#!/usr/bin/env python3
"""Writes the tiny model packages the pipeline tests use (Tests/PipelineTests/Fixtures/*).

threshold-3d / threshold-2d: a 1x1(x1) convolution over two channels (FLAIR, T1c) giving two
class scores: background = 0.5, foreground = FLAIR (after the manifest's normalisation "none").
So the predicted label is 1 exactly where FLAIR > 0.5: an oracle the tests can compute.
onnxruntime checks each model on a random input. dev-only: pip install onnx onnxruntime numpy
"""
import hashlib, json, os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
import onnxruntime as ort

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "PipelineTests", "Fixtures")

def model(dims):
    spatial = ["d", "h", "w"][-dims:]
    k = [1] * dims
    w = np.zeros([2, 2] + k, np.float32)
    w[1, 0] = 1.0                     # class 1 = FLAIR
    b = np.array([0.5, 0.0], np.float32)
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 2] + spatial)
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 2] + spatial)
    node = helper.make_node("Conv", ["input", "W", "B"], ["logits"], kernel_shape=k, name="classify")
    g = helper.make_graph([node], f"threshold{dims}d", [x], [y],
                          [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="segstation-fixtures")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m

def write(name, dims, patch, axes):
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    m = model(dims)
    path = os.path.join(folder, "model.onnx")
    onnx.save(m, path)
    sess = ort.InferenceSession(path)
    x = np.random.default_rng(0).normal(size=[3, 2] + [5] * dims).astype(np.float32)
    out = sess.run(None, {"input": x})[0]
    assert np.allclose(out[:, 1], x[:, 0]) and np.allclose(out[:, 0], 0.5)
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    manifest = {
        "schemaVersion": 1, "name": name, "version": "1.0.0",
        "description": "Test fixture: label 1 where FLAIR > 0.5 (a 1x1 convolution).",
        "licence": "CC0-1.0",
        "network": {"file": "model.onnx", "format": "onnx", "opset": 17, "sha256": sha, "inputName": "input",
                    "outputName": "logits", "tensorAxes": axes},
        "inputs": [
            {"name": "FLAIR", "modality": "MR", "sequence": "FLAIR", "normalization": {"kind": "none"}},
            {"name": "T1c", "modality": "MR", "sequence": "T1c", "normalization": {"kind": "none"}},
        ],
        "orientation": "RAS", "targetSpacingMM": [1.0, 1.0, 1.0],
        "dimensionality": f"{dims}d", "sliceAxis": "k" if dims == 2 else None, "patchSizeIJK": patch,
        "cropToForeground": True,
        "slidingWindow": {"stepFraction": 0.5, "importance": "gaussian", "sigmaFraction": 0.125, "padValue": 0.0,
                          "batchSize": 4 if dims == 2 else 1},
        "mirrorAxes": ["i", "j", "k"] if dims == 3 else ["i", "j"],
        "output": {"kind": "logits", "classes": 2, "aggregation": "weighted-mean-logits", "decision": "argmax"},
        "labels": [{"value": 1, "name": "Bright region", "colorRGB": [255, 64, 0],
                    "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"},
                    "type": {"code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"}}],
    }
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(name, sha)

write("threshold-3d", 3, [16, 16, 16], ["N", "C", "i", "j", "k"])
write("threshold-2d", 2, [32, 32, 1], ["k", "C", "i", "j"])
