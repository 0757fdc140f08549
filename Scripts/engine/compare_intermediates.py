#!/usr/bin/env python3
"""Finds where SegStation's engine drifts from onnxruntime inside a network: exposes the outputs of
the chosen operator types as extra graph outputs, runs onnxruntime and `segstation model run` on
the same input, and prints max |engine - ort| / max |ort| per value in graph order.

  python3 Scripts/engine/compare_intermediates.py MODEL.onnx INPUT.npy \
      --ops LayerNormalization,Softmax,MatMul,Add --segstation .build/release/segstation \
      [--backend fast|reference] [--threads 1] [--workdir /tmp/drift] [--max-memory 12G]

The exposed values stay alive for the whole run in both runtimes: pick few operator types for
large networks (the full SwinUNETR with 174 exposed values needs ~7 GiB). Dev-only dependencies:
onnx, onnxruntime, numpy.
"""
import argparse, os, re, subprocess
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper


def file_name(value):
    """The name `segstation model run` gives an output file (and the one used here for onnxruntime's)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", value)


def expose(src, dst, ops):
    model = onnx.load(src)
    picked = [(i, n.op_type, n.output[0]) for i, n in enumerate(model.graph.node) if n.op_type in ops]
    known = {o.name for o in model.graph.output}
    for _, _, name in picked:
        if name not in known:
            model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    onnx.save(model, dst)
    return picked, [o.name for o in model.graph.output]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model"); ap.add_argument("input")
    ap.add_argument("--ops", default="LayerNormalization,Softmax,MatMul,Add,InstanceNormalization")
    ap.add_argument("--segstation", default=".build/release/segstation")
    ap.add_argument("--backend", default="fast"); ap.add_argument("--threads", default="1")
    ap.add_argument("--workdir", default="/tmp/segstation-drift"); ap.add_argument("--max-memory", default="12G")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    exposed = os.path.join(a.workdir, "exposed.onnx")
    picked, outputs = expose(a.model, exposed, set(a.ops.split(",")))
    x = np.load(a.input)
    so = ort.SessionOptions(); so.intra_op_num_threads = int(a.threads)
    session = ort.InferenceSession(exposed, so, providers=["CPUExecutionProvider"])
    reference = dict(zip(outputs, session.run(None, {session.get_inputs()[0].name: x})))
    base = os.path.join(a.workdir, "engine.npy")
    subprocess.run([a.segstation, "model", "run", exposed, "--input", a.input, "--output", base, "--threads", a.threads,
                    "--backend", a.backend, "--max-memory", a.max_memory], check=True)
    for index, op, name in picked + [(-1, "output", o) for o in outputs[:1]]:
        ref = reference[name].astype(np.float64)
        got = np.load(os.path.join(a.workdir, f"engine-{file_name(name)}.npy")).astype(np.float64)
        if got.shape != ref.shape:
            print(f"{index:6} {op:22} {name}: shape {got.shape} vs {ref.shape}")
            continue
        d = np.abs(got - ref)
        print(f"{index:6} {op:22} max|d|/max|ref| {d.max() / max(np.abs(ref).max(), 1e-30):.2e}  mean|d| {d.mean():.2e}  {name}")


if __name__ == "__main__":
    main()
