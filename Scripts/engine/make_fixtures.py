#!/usr/bin/env python3
"""Builds the engine's test models with the `onnx` package (random weights, fixed seeds), runs
onnxruntime on random inputs and records everything under Tests/EngineTests/Fixtures:
  <name>.onnx, <name>.in<i>.npy, <name>.out<i>.npy and manifest.json (input/output names, files).
Dev-only dependencies: pip install onnx onnxruntime numpy
Usage: python3 Scripts/engine/make_fixtures.py [--out DIR]
"""
import argparse, json, os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
import onnxruntime as ort

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "EngineTests", "Fixtures")


class G:
    """A tiny graph builder: values are names, weights become initializers."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, p):
        self.n += 1
        return f"{p}_{self.n}"

    def w(self, shape, scale=None, raw=True):
        fan = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        s = scale if scale is not None else 1.0 / np.sqrt(max(fan, 1))
        a = (self.rng.standard_normal(shape) * s).astype(np.float32)
        return self.const(a, raw)

    def const(self, a, raw=True):
        nm = self.name("w")
        t = numpy_helper.from_array(np.asarray(a), nm)
        if not raw and t.data_type == TensorProto.FLOAT:  # exercise typed float_data too
            t = helper.make_tensor(nm, TensorProto.FLOAT, a.shape, np.asarray(a).flatten().tolist())
        self.inits.append(t)
        return nm

    def op(self, op, inputs, n_out=1, **attrs):
        outs = [self.name(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=self.name(op), **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, x, cin, cout, k, dims, bias=True, **attrs):
        ks = [k] * dims
        ins = [x, self.w([cout, cin // attrs.get("group", 1)] + ks)]
        if bias:
            ins.append(self.w([cout], 0.1))
        return self.op("Conv", ins, kernel_shape=ks, **attrs)

    def norm_act(self, x, c):
        y = self.op("InstanceNormalization", [x, self.const(1 + 0.1 * self.rng.standard_normal(c).astype(np.float32)),
                                              self.const(0.1 * self.rng.standard_normal(c).astype(np.float32))], epsilon=1e-5)
        return self.op("LeakyRelu", [y], alpha=0.01)

    def model(self, inputs, outputs, opset=17):
        ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs]
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
        g = helper.make_graph(self.nodes, "g", ins, outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="segstation-fixtures")
        m.ir_version = 8
        inferred = onnx.shape_inference.infer_shapes(m)
        known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
        for o in m.graph.output:
            if o.name in known and known[o.name].type.tensor_type.HasField("shape"):
                o.CopyFrom(known[o.name])
        onnx.checker.check_model(m)
        return m


def unet(dims, size, feats, seed, cin=1, classes=3):
    """nnU-Net-style: per stage two (conv3, IN, LeakyReLU); strided conv down; ConvTranspose up;
    skip concat; 1x1 head."""
    g = G(seed)
    x = "input"
    skips, c = [], cin
    for i, f in enumerate(feats):
        x = g.norm_act(g.conv(x, c, f, 3, dims, pads=[1] * 2 * dims, strides=[1 if i == 0 else 2] * dims), f)
        x = g.norm_act(g.conv(x, f, f, 3, dims, pads=[1] * 2 * dims), f)
        skips.append((x, f)); c = f
    for skip, f in reversed(skips[:-1]):
        x = g.op("ConvTranspose", [x, g.w([c, f] + [2] * dims)], kernel_shape=[2] * dims, strides=[2] * dims)
        x = g.op("Concat", [x, skip], axis=1)
        x = g.norm_act(g.conv(x, 2 * f, f, 3, dims, pads=[1] * 2 * dims), f)
        x = g.norm_act(g.conv(x, f, f, 3, dims, pads=[1] * 2 * dims), f)
        c = f
    out = g.conv(x, c, classes, 1, dims)
    return g.model([("input", [1, cin] + [size] * dims)], [out])


def residual(dims, size, seed):
    g = G(seed)
    c = 8
    x = g.conv("input", 2, c, 3, dims, pads=[1] * 2 * dims)
    for _ in range(2):
        y = g.norm_act(g.conv(x, c, c, 3, dims, pads=[1] * 2 * dims), c)
        y = g.conv(y, c, c, 3, dims, pads=[1] * 2 * dims)
        x = g.op("Relu", [g.op("Add", [x, y])])
    return g.model([("input", [1, 2] + [size] * dims)], [x])


def atrous(seed):
    """DeepLab-style ASPP: parallel dilated 3x3 convs, concat, 1x1 fuse, bilinear upsample."""
    g = G(seed)
    x = g.op("Relu", [g.conv("input", 3, 8, 3, 2, pads=[1, 1, 1, 1], strides=[2, 2])])
    branches = [g.op("Relu", [g.conv(x, 8, 6, 3, 2, pads=[d] * 4, dilations=[d, d])]) for d in (1, 2, 4, 6)]
    y = g.conv(g.op("Concat", branches, axis=1), 24, 4, 1, 2)
    y = g.op("Resize", [y, "", g.const(np.array([1, 1, 2, 2], np.float32))], mode="linear", coordinate_transformation_mode="half_pixel")
    return g.model([("input", [1, 3, 32, 32])], [y])


def single(op, shapes, attrs=None, extra=None, opset=17, seed=0, n_out=1, consts=()):
    """A one-node model: `shapes` are the run-time inputs, `consts` follow as initializers."""
    g = G(seed)
    names = [f"x{i}" for i in range(len(shapes))]
    ins = names + [g.const(c) if c is not None else "" for c in consts]
    y = g.op(op, ins, n_out=n_out, **(attrs or {}))
    ys = y if isinstance(y, list) else [y]
    if extra:
        ys = [extra(g, ys[0])]
    return g.model(list(zip(names, shapes)), ys, opset)


def shape_chain(seed):
    """The Shape/Gather/Unsqueeze/Concat/Reshape chain PyTorch emits for x.view(n, c, -1)."""
    g = G(seed)
    s = g.op("Shape", ["x0"])
    n = g.op("Unsqueeze", [g.op("Gather", [s, g.const(np.array(0, np.int64))], axis=0), g.const(np.array([0], np.int64))])
    c = g.op("Unsqueeze", [g.op("Gather", [s, g.const(np.array(1, np.int64))], axis=0), g.const(np.array([0], np.int64))])
    shp = g.op("Concat", [n, c, g.const(np.array([-1], np.int64))], axis=0)
    r = g.op("Reshape", ["x0", shp])
    m = g.op("ReduceMean", [r], axes=[2], keepdims=1)
    y = g.op("Softmax", [g.op("Cast", [g.op("Cast", [m], to=7)], to=1)], axis=1)
    return g.model([("x0", [2, 4, 6, 5])], [g.op("Add", [r, y])])


def group_norm_exported(seed):
    """torch.nn.GroupNorm as older torch.onnx exports it: Reshape, InstanceNorm, Reshape, Mul, Add."""
    g = G(seed)
    r = g.op("Reshape", ["x0", g.const(np.array([1, 2, -1], np.int64))])
    i = g.op("InstanceNormalization", [r, g.const(np.ones(2, np.float32)), g.const(np.zeros(2, np.float32))], epsilon=1e-5)
    b = g.op("Reshape", [i, g.const(np.array([1, 8, 6, 6, 6], np.int64))])
    y = g.op("Add", [g.op("Mul", [b, g.w([8, 1, 1, 1], 1.0)]), g.w([8, 1, 1, 1], 1.0)])
    return g.model([("x0", [1, 8, 6, 6, 6])], [y])


def cases():
    r = np.random.default_rng(7)
    i64 = lambda *v: np.array(v, np.int64)
    f32 = lambda *v: np.array(v, np.float32)
    w = lambda *s: (r.standard_normal(s) * 0.3).astype(np.float32)
    yield "conv2d", single("Conv", [[1, 3, 9, 11]], {"pads": [1, 1, 1, 1]}, consts=(w(4, 3, 3, 3), w(4)))
    yield "conv2d_stride_asym", single("Conv", [[2, 3, 10, 9]], {"pads": [0, 1, 2, 0], "strides": [2, 3]}, consts=(w(5, 3, 3, 2),))
    yield "conv2d_dilated", single("Conv", [[1, 4, 16, 16]], {"pads": [2, 2, 2, 2], "dilations": [2, 2]}, consts=(w(4, 4, 3, 3), w(4)))
    yield "conv2d_groups", single("Conv", [[1, 6, 8, 8]], {"pads": [1, 1, 1, 1], "group": 3}, consts=(w(9, 2, 3, 3), w(9)))
    yield "conv2d_same_upper", single("Conv", [[1, 2, 7, 7]], {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, consts=(w(3, 2, 4, 4),))
    yield "conv3d", single("Conv", [[1, 2, 7, 6, 5]], {"pads": [1] * 6}, consts=(w(4, 2, 3, 3, 3), w(4)))
    yield "conv3d_stride2_asym", single("Conv", [[1, 3, 8, 9, 7]], {"pads": [1, 0, 1, 0, 1, 1], "strides": [2, 2, 1]}, consts=(w(4, 3, 3, 3, 3),))
    yield "conv1d", single("Conv", [[1, 2, 20]], {"pads": [1, 1]}, consts=(w(3, 2, 3), w(3)))
    yield "convtranspose2d", single("ConvTranspose", [[1, 4, 5, 6]], {"strides": [2, 2]}, consts=(w(4, 3, 2, 2), w(3)))
    yield "convtranspose2d_outpad", single("ConvTranspose", [[1, 3, 5, 5]], {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}, consts=(w(3, 2, 3, 3),))
    yield "convtranspose2d_group", single("ConvTranspose", [[1, 4, 4, 4]], {"strides": [2, 2], "group": 2}, consts=(w(4, 3, 3, 3), w(6)))
    yield "convtranspose3d", single("ConvTranspose", [[1, 4, 3, 4, 5]], {"strides": [2, 2, 2]}, consts=(w(4, 2, 2, 2, 2), w(2)))
    yield "instancenorm2d", single("InstanceNormalization", [[2, 3, 7, 6]], {"epsilon": 1e-5}, consts=(f32(1, 2, 0.5), f32(0.1, -0.2, 0.3)))
    yield "instancenorm3d", single("InstanceNormalization", [[1, 4, 5, 6, 7]], {"epsilon": 1e-3}, consts=(f32(1, 2, 0.5, 1.5), f32(0.1, -0.2, 0.3, 0)))
    yield "batchnorm", single("BatchNormalization", [[2, 3, 4, 5]], {"epsilon": 1e-5}, consts=(f32(1, 2, 3), f32(0, 1, 2), f32(0.5, -0.5, 0), f32(1, 2, 0.5)))
    yield "groupnorm_exported", group_norm_exported(3)
    for op, attrs in [("Relu", {}), ("LeakyRelu", {"alpha": 0.1}), ("Elu", {"alpha": 0.7}), ("Sigmoid", {}), ("Tanh", {}),
                      ("Erf", {}), ("Exp", {}), ("Abs", {}), ("Neg", {}), ("Floor", {}), ("Identity", {})]:
        yield f"unary_{op.lower()}", single(op, [[2, 3, 4, 5]], attrs)
    yield "gelu20", single("Gelu", [[2, 3, 4, 5]], {}, opset=20)
    yield "gelu20_tanh", single("Gelu", [[2, 3, 4, 5]], {"approximate": "tanh"}, opset=20)
    yield "sqrt", single("Sqrt", [[2, 3, 4]], extra=None) if False else single("Abs", [[2, 3, 4]], extra=lambda g, y: g.op("Sqrt", [y]))
    yield "clip11", single("Clip", [[2, 3, 4, 5]], consts=(f32(-0.5).reshape(()), f32(0.7).reshape(())), opset=11)
    yield "prelu", single("PRelu", [[1, 3, 4, 5]], consts=(f32(0.1, 0.2, 0.3).reshape(3, 1, 1),))
    yield "softmax13", single("Softmax", [[2, 3, 4, 5]], {"axis": 1})
    yield "softmax11", single("Softmax", [[2, 3, 4, 5]], {"axis": 1}, opset=11)
    yield "maxpool2d", single("MaxPool", [[1, 2, 9, 9]], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
    yield "maxpool2d_ceil", single("MaxPool", [[1, 2, 8, 9]], {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1})
    yield "maxpool3d", single("MaxPool", [[1, 2, 6, 6, 7]], {"kernel_shape": [2, 2, 2], "strides": [2, 2, 2]})
    yield "avgpool2d_pad", single("AveragePool", [[1, 2, 7, 7]], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
    yield "avgpool2d_incpad", single("AveragePool", [[1, 2, 7, 7]], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1})
    yield "avgpool3d", single("AveragePool", [[1, 2, 6, 6, 6]], {"kernel_shape": [2, 2, 2], "strides": [2, 2, 2]})
    yield "globalavgpool", single("GlobalAveragePool", [[2, 3, 5, 6]])
    for mode, coord, extra_attrs in [("nearest", "asymmetric", {"nearest_mode": "floor"}), ("nearest", "half_pixel", {}),
                                     ("linear", "half_pixel", {}), ("linear", "align_corners", {}),
                                     ("linear", "pytorch_half_pixel", {}), ("linear", "asymmetric", {})]:
        a = {"mode": mode, "coordinate_transformation_mode": coord, **extra_attrs}
        yield f"resize2d_{mode}_{coord}", single("Resize", [[1, 2, 5, 6]], a, consts=(None, f32(1, 1, 2, 2)))
    yield "resize3d_linear", single("Resize", [[1, 2, 4, 5, 3]], {"mode": "linear"}, consts=(None, f32(1, 1, 2, 2, 2)))
    yield "resize3d_nearest", single("Resize", [[1, 2, 4, 5, 3]], {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, consts=(None, f32(1, 1, 2, 2, 2)))
    yield "resize2d_sizes", single("Resize", [[1, 2, 5, 6]], {"mode": "linear"}, consts=(None, None, i64(1, 2, 7, 13)))
    yield "resize2d_fractional", single("Resize", [[1, 1, 6, 6]], {"mode": "linear"}, consts=(None, f32(1, 1, 1.5, 0.75)))
    yield "concat", single("Concat", [[1, 2, 3, 4], [1, 3, 3, 4]], {"axis": 1})
    for op in ["Add", "Sub", "Mul", "Div", "Max"]:
        yield f"binary_{op.lower()}", single(op, [[2, 3, 4, 5], [3, 1, 5]])
    yield "pow", single("Abs", [[2, 3, 4]], extra=lambda g, y: g.op("Pow", [y, g.const(f32(1.7).reshape(()))]))
    yield "reducemean", single("ReduceMean", [[2, 3, 4, 5]], {"axes": [2, 3], "keepdims": 1})
    yield "reducemean18", single("ReduceMean", [[2, 3, 4, 5]], {"keepdims": 0}, opset=18, consts=(i64(1, -1),))
    yield "reshape", single("Reshape", [[2, 3, 4, 5]], consts=(i64(0, -1, 5),))
    yield "transpose", single("Transpose", [[2, 3, 4, 5]], {"perm": [0, 2, 3, 1]})
    yield "flatten", single("Flatten", [[2, 3, 4, 5]], {"axis": 2})
    yield "squeeze13", single("Squeeze", [[2, 1, 4, 1]], consts=(i64(1, 3),))
    yield "unsqueeze13", single("Unsqueeze", [[2, 3]], consts=(i64(0, 3),))
    yield "unsqueeze11", single("Unsqueeze", [[2, 3]], {"axes": [1]}, opset=11)
    yield "slice", single("Slice", [[4, 5, 6]], consts=(i64(1, -1, 0), i64(3, -6, 100), i64(0, 1, 2), i64(1, -2, 2)))
    yield "pad_constant", single("Pad", [[1, 2, 4, 5]], consts=(i64(0, 0, 1, 2, 0, 0, 2, 1), f32(0.5).reshape(())))
    yield "pad_reflect", single("Pad", [[1, 2, 4, 5]], {"mode": "reflect"}, consts=(i64(0, 0, 1, 2, 0, 0, 2, 1),))
    yield "pad_edge", single("Pad", [[1, 2, 4, 5]], {"mode": "edge"}, consts=(i64(0, 0, 1, 2, 0, 0, 2, 1),))
    yield "expand", single("Expand", [[3, 1, 5]], consts=(i64(2, 3, 4, 5),))
    yield "dropout", single("Dropout", [[2, 3]])
    yield "argmax", single("ArgMax", [[2, 4, 3, 3]], {"axis": 1, "keepdims": 1}, extra=lambda g, y: g.op("Cast", [y], to=1))
    yield "shape_chain", shape_chain(5)
    yield "constant", single("Add", [[2, 3]], extra=lambda g, y: g.op("Mul", [y, g.op("Constant", [], value=numpy_helper.from_array(f32(2, 3, 4), "c"))]), consts=(f32(1, 2, 3),))
    yield "typed_float_data", typed_float_data(11)
    yield "unet2d", unet(2, 32, [8, 16, 32, 32], 21, classes=3)
    yield "unet3d", unet(3, 16, [4, 8, 16], 22, classes=2)
    yield "residual2d", residual(2, 16, 23)
    yield "residual3d", residual(3, 8, 24)
    yield "atrous", atrous(25)


def typed_float_data(seed):
    g = G(seed)
    y = g.op("Conv", ["x0", g.w([3, 2, 3, 3], raw=False), g.w([3], raw=False)], kernel_shape=[3, 3])
    return g.model([("x0", [1, 2, 6, 6])], [y])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = []
    rng = np.random.default_rng(1234)
    for name, m in cases():
        path = os.path.join(args.out, name + ".onnx")
        onnx.save(m, path)
        so = ort.SessionOptions(); so.intra_op_num_threads = 1
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        feeds, entry = {}, {"name": name, "inputs": [], "outputs": []}
        for i, inp in enumerate(sess.get_inputs()):
            a = rng.standard_normal(inp.shape).astype(np.float32)
            feeds[inp.name] = a
            f = f"{name}.in{i}.npy"; np.save(os.path.join(args.out, f), a)
            entry["inputs"].append({"name": inp.name, "file": f})
        for i, (o, v) in enumerate(zip(sess.get_outputs(), sess.run(None, feeds))):
            f = f"{name}.out{i}.npy"; np.save(os.path.join(args.out, f), np.ascontiguousarray(v.astype(np.float32)))
            entry["outputs"].append({"name": o.name, "file": f})
        manifest.append(entry)
    malformed(args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"{len(manifest)} fixtures, {total / 1e6:.2f} MB in {args.out}")


def malformed(out):
    """Broken models for the error tests (saved without the checker)."""
    g = G(99)
    y = g.op("Conv", ["x0", "missing_weight"], kernel_shape=[3, 3])
    ins = [helper.make_tensor_value_info("x0", TensorProto.FLOAT, [1, 1, 5, 5])]
    outs = [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)]
    save = lambda name, nodes, inits, o=outs, opset=17: onnx.save(helper.make_model(
        helper.make_graph(nodes, "g", ins, o, inits), opset_imports=[helper.make_opsetid("", opset)]), os.path.join(out, name))
    save("bad_missing_initializer.onnx", g.nodes, [])
    a = helper.make_node("Relu", ["x0", "b"], ["a"], name="relu_a")
    b = helper.make_node("Add", ["a", "x0"], ["b"], name="add_b")
    save("bad_cycle.onnx", [a, b], [], [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)])
    huge = TensorProto(); huge.name = "w"; huge.data_type = TensorProto.FLOAT; huge.dims.extend([1 << 20, 1 << 20, 1 << 10])
    save("bad_absurd_dims.onnx", [helper.make_node("Add", ["x0", "w"], ["y"], name="add")], [huge],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    wrong = helper.make_node("Conv", ["x0", "w"], ["y"], name="conv_float_kernel", kernel_shape=[3.0, 3.0])
    save("bad_wrong_attribute_type.onnx", [wrong], [numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    short = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w"); short.raw_data = short.raw_data[:20]
    save("bad_short_raw_data.onnx", [helper.make_node("Conv", ["x0", "w"], ["y"], name="conv")], [short],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    save("bad_unsupported_op.onnx", [helper.make_node("Det", ["x0"], ["y"], name="my_det")], [],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    ext = numpy_helper.from_array(np.ones((1, 1, 3, 3), np.float32), "w")
    ext.ClearField("raw_data"); ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key="location", value="weights.bin")
    save("bad_external_data.onnx", [helper.make_node("Conv", ["x0", "w"], ["y"], name="conv")], [ext],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    save("bad_opset.onnx", [helper.make_node("Relu", ["x0"], ["y"], name="relu")], [],
         [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], opset=9)
    save("bad_conv_channels.onnx", [helper.make_node("Conv", ["x0", "w"], ["y"], name="conv_mismatch")],
         [numpy_helper.from_array(np.ones((2, 3, 3, 3), np.float32), "w")], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])


if __name__ == "__main__":
    main()
