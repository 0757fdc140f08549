#!/usr/bin/env python3
"""Shrinks an exported fixture model below the project's 2 MiB limit without changing its graph:
every float initializer of at least --min-elements values is replaced by a small subgraph that
computes deterministic pseudo-random weights of the same shape and scale at load time,

    W = Reshape((Mod(Range(0, n, 1) * 0.6180339887, 1) - 0.5) * (2 * a), shape)   (Mod fmod=1)

with a = sqrt(3) x the original tensor's standard deviation (uniform with the same spread), all in
float32 (exact integers from Range; IEEE products and fmod: onnxruntime and SegStation's engine
compute the same values). Then onnxruntime records the output on the fixture's input again.

Used for SwinUNETR (Tests/EngineTests/Fixtures/model_swinunetr.onnx): MONAI's smallest SwinUNETR
(feature_size 12) still has 4.5 M parameters (its 192-channel encoder10/decoder5 convolutions), 20 MB.

  python3 Scripts/engine/compact_weights.py Tests/EngineTests/Fixtures/model_swinunetr
dev-only: pip install onnx onnxruntime numpy
"""
import argparse
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def compact(model, min_elements):
    g = model.graph
    keep, nodes, replaced = [], [], 0
    scalar = lambda name, v: numpy_helper.from_array(np.array(v, np.float32), name)
    consts = [scalar("cw_zero", 0.0), scalar("cw_one", 1.0), scalar("cw_golden", 0.6180339887), scalar("cw_half", 0.5)]
    for init in g.initializer:
        n = int(np.prod(init.dims)) if init.dims else 1
        if init.data_type != TensorProto.FLOAT or n < min_elements:
            keep.append(init)
            continue
        w = numpy_helper.to_array(init).astype(np.float64)
        amp = float(np.sqrt(3.0) * w.std()) or 1e-3
        p = f"cw{replaced}_"
        keep += [scalar(p + "n", float(n)), scalar(p + "amp2", 2 * amp),
                 numpy_helper.from_array(np.array(init.dims, np.int64), p + "shape")]
        nodes += [
            helper.make_node("Range", ["cw_zero", p + "n", "cw_one"], [p + "r"]),
            helper.make_node("Mul", [p + "r", "cw_golden"], [p + "m"]),
            helper.make_node("Mod", [p + "m", "cw_one"], [p + "f"], fmod=1),
            helper.make_node("Sub", [p + "f", "cw_half"], [p + "c"]),
            helper.make_node("Mul", [p + "c", p + "amp2"], [p + "s"]),
            helper.make_node("Reshape", [p + "s", p + "shape"], [init.name]),
        ]
        replaced += 1
    del g.initializer[:]
    g.initializer.extend(consts + keep)
    old = list(g.node)
    del g.node[:]
    g.node.extend(nodes + old)
    onnx.checker.check_model(model)
    return replaced


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stem", help="fixture path without extension: STEM.onnx, STEM.in0.npy; STEM.out0.npy is rewritten")
    ap.add_argument("--min-elements", type=int, default=1024)
    args = ap.parse_args()
    model = onnx.load(args.stem + ".onnx")
    replaced = compact(model, args.min_elements)
    onnx.save(model, args.stem + ".onnx")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(args.stem + ".onnx", so, providers=["CPUExecutionProvider"])
    x = np.load(args.stem + ".in0.npy")
    y = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    np.save(args.stem + ".out0.npy", y.astype(np.float32))
    print(f"{args.stem}.onnx: {replaced} initializers generated in-graph, {os.path.getsize(args.stem + '.onnx')} bytes; "
          f"output {y.shape}, max |y| {np.abs(y).max():.3g}")


if __name__ == "__main__":
    main()
