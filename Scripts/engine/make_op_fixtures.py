#!/usr/bin/env python3
"""Per-operator fixtures for the transformer, DeepLab and indexing operators (issue 16): one-node
(or few-node) models built with `onnx`, seeded random inputs, onnxruntime outputs, recorded under
Tests/EngineTests/Fixtures as op_<name>.* and listed in ops_manifest.json with a tolerance each
(max|engine-ort| / max|ort|). Reuses make_fixtures.py's graph builder. The detection operators of
issue 17 (RoiAlign, NonMaxSuppression, TopK, NonZero, data-dependent chains) go to
detection_ops_manifest.json (DetectionOperatorTests).
Dev-only dependencies: pip install onnx onnxruntime numpy
Usage: python3 Scripts/engine/make_op_fixtures.py [--out DIR] [--only ops|detection]
"""
import argparse, json, os, sys
import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
from make_fixtures import G, OUT, single  # noqa: E402

i64 = lambda *v: np.array(v, np.int64)
f32 = lambda *v: np.array(v, np.float32)


def typed(model, name_types):
    """Declares non-float graph inputs (bool/int64 run-time inputs)."""
    for inp in model.graph.input:
        if inp.name in name_types:
            inp.type.tensor_type.elem_type = name_types[inp.name]
    return model


def decomposed_layernorm(seed):
    """nn.LayerNorm as exports before opset 17 write it: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add."""
    g = G(seed)
    m = g.op("ReduceMean", ["x0"], axes=[-1], keepdims=1)
    d = g.op("Sub", ["x0", m])
    v = g.op("ReduceMean", [g.op("Pow", [d, g.const(f32(2).reshape(()))])], axes=[-1], keepdims=1)
    y = g.op("Div", [d, g.op("Sqrt", [g.op("Add", [v, g.const(f32(1e-5).reshape(()))])])])
    y = g.op("Add", [g.op("Mul", [y, g.w([16], 1.0)]), g.w([16], 0.1)])
    return g.model([("x0", [2, 5, 16])], [y], opset=13)


def gelu_exported(seed):
    """nn.GELU as torch.onnx writes it at opset 17: x * 0.5 * (1 + erf(x / sqrt 2))."""
    g = G(seed)
    e = g.op("Erf", [g.op("Div", ["x0", g.const(f32(1.4142135).reshape(()))])])
    y = g.op("Mul", [g.op("Mul", ["x0", g.op("Add", [e, g.const(f32(1).reshape(()))])]), g.const(f32(0.5).reshape(()))])
    return g.model([("x0", [2, 6, 8])], [y])


def attention(seed):
    """MONAI SABlock's core: qkv Linear, head split, einsum scores, softmax, einsum, out Linear."""
    g = G(seed)
    b, l, c, h = 1, 10, 16, 4
    qkv = g.op("Add", [g.op("MatMul", ["x0", g.w([c, 3 * c])]), g.w([3 * c], 0.1)])
    r = g.op("Transpose", [g.op("Reshape", [qkv, g.const(i64(b, l, 3, h, c // h))])], perm=[2, 0, 3, 1, 4])
    q, k, v = (g.op("Gather", [r, g.const(np.array(i, np.int64))], axis=0) for i in range(3))
    s = g.op("Mul", [g.op("Einsum", [q, k], equation="blxd,blyd->blxy"), g.const(f32((c // h) ** -0.5).reshape(()))])
    a = g.op("Einsum", [g.op("Softmax", [s], axis=-1), v], equation="bhxy,bhyd->bhxd")
    o = g.op("Reshape", [g.op("Transpose", [a], perm=[0, 2, 1, 3]), g.const(i64(b, l, c))])
    y = g.op("Add", [g.op("MatMul", [o, g.w([c, c])]), g.w([c], 0.1)])
    return g.model([("x0", [b, l, c])], [y])


def masked_fill(seed):
    """Swin's shifted-window mask: Equal/Not on a run-time value, Where, Softmax."""
    g = G(seed)
    m = g.op("Not", [g.op("Equal", ["x1", g.const(f32(0).reshape(()))])])
    y = g.op("Where", [m, g.op("Sub", ["x0", g.const(f32(5).reshape(()))]), "x0"])
    return g.model([("x0", [2, 4, 6]), ("x1", [1, 4, 6])], [g.op("Softmax", [y], axis=-1)])


def range_added(seed):
    """Range on constants (folded at planning time), added to a run-time value."""
    g = G(seed)
    rg = g.op("Range", [g.const(f32(0.5).reshape(())), g.const(f32(4).reshape(())), g.const(f32(0.75).reshape(()))])
    return g.model([("x0", [2, 5])], [g.op("Add", ["x0", rg])])


def roi_align(mode, ctm, sampling, scale, seed, channels=3):
    """RoiAlign on a run-time feature map with constant boxes (some reaching outside the image,
    one degenerate) and batch indices, as torchvision's MultiScaleRoIAlign exports it (opset 16)."""
    g = G(seed)
    rois = g.const(f32(1.0, 2.0, 9.5, 7.0, -2.0, -1.0, 5.0, 12.0, 3.3, 3.3, 3.3, 3.3, 0.0, 0.0, 15.0, 11.0, 6.2, 1.7, 14.9, 10.4).reshape(5, 4))
    batch = g.const(i64(0, 1, 1, 0, 1))
    y = g.op("RoiAlign", ["x0", rois, batch], mode=mode, coordinate_transformation_mode=ctm, output_height=3, output_width=4,
             sampling_ratio=sampling, spatial_scale=scale)
    return g.model([("x0", [2, channels, 12, 16])], [y], opset=16)


def nms(center, max_out, iou, score, seed, batches=2, classes=3, boxes=12):
    """NonMaxSuppression on run-time boxes and scores; the selected triples are cast to float (the
    fixture format). max_output_boxes_per_class / iou / score threshold: constants, None to omit."""
    g = G(seed)
    ins = ["x0", "x1", g.const(i64(max_out)) if max_out is not None else "", g.const(f32(iou)) if iou is not None else "",
           g.const(f32(score)) if score is not None else ""]
    while ins[-1] == "":
        ins.pop()
    y = g.op("NonMaxSuppression", ins, center_point_box=center)
    return g.model([("x0", [batches, boxes, 4]), ("x1", [batches, classes, boxes])], [g.op("Cast", [y], to=1)], opset=11)


def topk(k, axis, largest, seed, shape=(3, 7, 5)):
    g = G(seed)
    v, ix = g.op("TopK", ["x0", g.const(i64(k))], n_out=2, axis=axis, largest=largest, sorted=1)
    return g.model([("x0", list(shape))], [v, g.op("Cast", [ix], to=1)], opset=11)


def topk_runtime_k(seed):
    """TopK whose K is min(5, number of elements selected by NonZero): a run-time K, as in the
    RPN's pre-NMS selection, and a data-dependent chain NonZero -> Shape -> Min -> TopK."""
    g = G(seed)
    nz = g.op("NonZero", [g.op("Greater", ["x0", g.const(f32(0.5).reshape(()))])])
    n = g.op("Slice", [g.op("Shape", [nz]), g.const(i64(1)), g.const(i64(2))])
    k = g.op("Min", [n, g.const(i64(5))])
    flat = g.op("Reshape", ["x0", g.const(i64(-1))])
    v, ix = g.op("TopK", [flat, k], n_out=2)
    return g.model([("x0", [3, 6])], [v, g.op("Cast", [ix], to=1)], opset=13)


def nonzero_gather(seed):
    """NonZero feeding a data-dependent Gather and Reshape, as the score-threshold step exports."""
    g = G(seed)
    nz = g.op("NonZero", [g.op("Greater", ["x0", g.const(f32(0.3).reshape(()))])])
    idx = g.op("Reshape", [nz, g.const(i64(-1))])
    return g.model([("x0", [20])], [g.op("Gather", ["x0", idx], axis=0), g.op("Cast", [nz], to=1)], opset=11)


def unchecked_model(g, inputs, outputs, opset):
    """G.model without onnx's shape inference and checker, which reject subgraph outputs of
    unknown shape (onnxruntime accepts them; If/Loop outputs here change shape with the data)."""
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    m = helper.make_model(helper.make_graph(g.nodes, "g", ins, outs, g.inits), opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="segstation-fixtures")
    m.ir_version = 8
    return m


def if_runtime(seed):
    """If on a run-time condition (sum > 0); the branches read an outer value and yield different
    shapes, as torchvision's "no boxes: keep nothing" If does."""
    g = G(seed)
    cond = g.op("Greater", [g.op("ReduceSum", ["x0"], keepdims=0), g.const(f32(0).reshape(()))])
    outer = g.op("Mul", ["x0", g.const(f32(2).reshape(()))])
    then_g = helper.make_graph([helper.make_node("Relu", [outer], ["t_out"])], "then", [],
                               [helper.make_tensor_value_info("t_out", TensorProto.FLOAT, None)])
    else_g = helper.make_graph([helper.make_node("Constant", [], ["e_out"], value=helper.make_tensor("e", TensorProto.FLOAT, [0], []))], "else", [],
                               [helper.make_tensor_value_info("e_out", TensorProto.FLOAT, None)])
    y = g.op("If", [cond], then_branch=then_g, else_branch=else_g)
    return unchecked_model(g, [("x0", [3, 4])], [y], 13)


def loop_scan(seed):
    """Loop with a trip count and a condition, a loop-carried running sum grown by Concat (as
    mask pasting appends), a scan output, and a read of an outer value."""
    g = G(seed)
    outer = g.op("Mul", ["x0", g.const(f32(0.5).reshape(()))])
    body = helper.make_graph(
        [helper.make_node("Gather", [outer, "i"], ["row"], axis=0),
         helper.make_node("Add", ["acc_in", "row"], ["acc_out"]),
         helper.make_node("Unsqueeze", ["row", "ax0"], ["row2"]),
         helper.make_node("Concat", ["rows_in", "row2"], ["rows_out"], axis=0),
         helper.make_node("Less", ["i", "limit"], ["cond_out"]),
         helper.make_node("ReduceMax", ["acc_out"], ["scan"], keepdims=0)],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []), helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, None), helper.make_tensor_value_info("rows_in", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("rows_out", TensorProto.FLOAT, None), helper.make_tensor_value_info("scan", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(i64(0), "ax0"), numpy_helper.from_array(np.array(3, np.int64), "limit")])
    trip, cond = g.const(np.array(6, np.int64)), g.const(np.array(True))
    acc0, rows0 = g.const(np.zeros(5, np.float32)), g.const(np.zeros((0, 5), np.float32))
    acc, rows, scan = g.op("Loop", [trip, cond, acc0, rows0], n_out=3, body=body)
    return unchecked_model(g, [("x0", [6, 5])], [acc, rows, scan], 13)


def selected_rows(g, x, scores, threshold):
    """Rows of `x` whose score exceeds `threshold`: NonZero -> Reshape -> Gather, as a detector
    keeps the boxes above its score threshold (the row count is decided by the data)."""
    nz = g.op("NonZero", [g.op("Greater", [scores, g.const(f32(threshold).reshape(()))])])
    return g.op("Gather", [x, g.op("Reshape", [nz, g.const(i64(-1))])], axis=0)


def tail_gemm_matmul(seed):
    """A box head on selected rows: Gemm (transB, bias) + Relu, then MatMul with a constant."""
    g = G(seed)
    rows = selected_rows(g, "x0", "x1", 0.0)
    h = g.op("Relu", [g.op("Gemm", [rows, g.w([5, 6]), g.w([5], 0.1)], transB=1)])
    return g.model([("x0", [12, 6]), ("x1", [12])], [g.op("MatMul", [h, g.w([5, 4])])], opset=13)


def tail_conv_chain(seed):
    """A mask head on selected samples: Conv + Relu twice, ConvTranspose 2x2 stride 2 + Relu,
    1x1 Conv, Sigmoid (torchvision's MaskRCNNHeads and predictor in miniature)."""
    g = G(seed)
    x = selected_rows(g, "x0", "x1", 0.0)
    x = g.op("Relu", [g.conv(x, 3, 16, 3, 2, pads=[1, 1, 1, 1])])
    x = g.op("Relu", [g.conv(x, 16, 16, 3, 2, pads=[1, 1, 1, 1])])
    x = g.op("Relu", [g.op("ConvTranspose", [x, g.w([16, 8, 2, 2]), g.w([8], 0.1)], kernel_shape=[2, 2], strides=[2, 2])])
    y = g.op("Sigmoid", [g.conv(x, 8, 2, 1, 2)])
    return g.model([("x0", [6, 3, 8, 8]), ("x1", [6])], [y], opset=13)


def tail_deconv(seed, kernel, strides, bias, pads=None, output_padding=None):
    """ConvTranspose on selected samples, read by a reference kernel (Sigmoid). kernel == strides
    runs as matrix products on the fast backend (FastTailBlockDeconv.swift), other shapes on
    oneDNN's deconvolution."""
    g = G(seed)
    x = selected_rows(g, "x0", "x1", 0.0)
    ins = [x, g.w([4, 5] + kernel)] + ([g.w([5], 0.1)] if bias else [])
    attrs = {"kernel_shape": kernel, "strides": strides}
    if pads:
        attrs["pads"] = pads
    if output_padding:
        attrs["output_padding"] = output_padding
    y = g.op("Sigmoid", [g.op("ConvTranspose", ins, **attrs)])
    return g.model([("x0", [6, 4, 5, 7]), ("x1", [6])], [y], opset=13)


def tail_sigmoid_large(seed):
    """A unary kernel on more than 65,536 run-time elements: split between the fast backend's threads."""
    g = G(seed)
    return g.model([("x0", [300, 600]), ("x1", [300])], [g.op("Sigmoid", [selected_rows(g, "x0", "x1", 0.0)])], opset=13)


def tail_conv_winograd(seed):
    """Mask R-CNN v2's RoI-head convolutions in miniature: 3x3, 128 channels, on 32 selected 14x14
    samples, which on one thread without oneDNN Winograd run as the engine's own
    (FastTailWinograd.swift): 1x1 8 -> 128, 3x3 128 -> 128 + Relu, 3x3 128 -> 96 + LeakyRelu, 1x1 96 -> 4."""
    g = G(seed)
    x = selected_rows(g, "x0", "x1", 0.0)
    x = g.conv(x, 8, 128, 1, 2)
    x = g.op("Relu", [g.conv(x, 128, 128, 3, 2, pads=[1, 1, 1, 1])])
    x = g.op("LeakyRelu", [g.conv(x, 128, 96, 3, 2, pads=[1, 1, 1, 1])], alpha=0.1)
    return g.model([("x0", [32, 8, 14, 14]), ("x1", [32])], [g.conv(x, 96, 4, 1, 2)], opset=13)


def detection_cases():
    """Issue 17: RoiAlign, NonMaxSuppression, TopK, NonZero, data-dependent chains, ScatterElements, ReduceProd."""
    for mode in ["avg", "max"]:
        for ctm in ["half_pixel", "output_half_pixel"]:
            yield f"roialign_{mode}_{ctm}", roi_align(mode, ctm, 2, 1.0, 7), 1e-5, None
    yield "roialign_avg_adaptive_scaled", roi_align("avg", "half_pixel", 0, 0.5, 8), 1e-5, None
    yield "roialign_max_adaptive", roi_align("max", "output_half_pixel", 0, 1.0, 9), 1e-5, None
    yield "nms_corners", nms(0, 4, 0.5, 0.0, 10), 0, {"x0": "boxes", "x1": "scores"}
    yield "nms_center", nms(1, 3, 0.3, None, 11), 0, {"x0": "centers", "x1": "scores"}
    yield "nms_all_kept", nms(0, 100, 0.7, None, 12), 0, {"x0": "boxes", "x1": "scores"}
    yield "nms_score_threshold_high", nms(0, 10, 0.5, 0.8, 13), 0, {"x0": "boxes", "x1": "scores"}
    yield "nms_default_max_output", nms(0, None, None, None, 14), 0, {"x0": "boxes", "x1": "scores"}
    yield "nms_iou_zero", nms(0, 5, 0.0, None, 15, batches=1, classes=1), 0, {"x0": "boxes", "x1": "scores"}
    yield "topk_largest", topk(3, -1, 1, 16), 0, {"x0": "ties"}
    yield "topk_smallest_axis1", topk(4, 1, 0, 17), 0, {"x0": "ties"}
    yield "topk_all", topk(7, 1, 1, 18), 0, None
    yield "topk_runtime_k", topk_runtime_k(19), 0, None
    yield "nonzero_gather", nonzero_gather(20), 0, None
    yield "nonzero_int", single("NonZero", [[3, 4, 2]], opset=13, extra=lambda g, y: g.op("Cast", [y], to=1)), 0, {"x0": "int"}
    yield "scatterelements_axis0", single("ScatterElements", [[4, 5], [2, 5], [2, 5]], {"axis": 0}, opset=16), 0, {"x1": "columns:4"}
    yield "scatterelements_axis1_add", single("ScatterElements", [[3, 6], [3, 4], [3, 4]], {"axis": 1, "reduction": "add"}, opset=16), 1e-6, {"x1": "index:6"}
    yield "reduceprod_13", single("ReduceProd", [[2, 3, 4]], {"axes": [1], "keepdims": 0}, opset=13), 1e-6, None
    yield "if_then", if_runtime(21), 0, {"x0": "positive"}
    yield "if_else", if_runtime(22), 0, {"x0": "negative"}
    yield "loop_scan", loop_scan(23), 1e-6, None
    yield "reduceprod_all_int", single("ReduceProd", [[2, 3]], {"keepdims": 1}, opset=13, extra=lambda g, y: g.op("Cast", [y], to=1)), 0, {"x0": "int"}
    # The fast backend's dynamic tail (FastTail): oneDNN primitives at a run-time row count.
    yield "tail_gemm_matmul", tail_gemm_matmul(24), 1e-5, None
    yield "tail_conv_chain", tail_conv_chain(25), 1e-5, None
    yield "tail_conv_chain_empty", tail_conv_chain(26), 0, {"x1": "negative"}
    # Session 14: the fast kernels behind Mask R-CNN's tail (heap TopK, block Expand, block
    # ConvTranspose, threaded unary kernels).
    yield "topk_heap_largest", topk(10, -1, 1, 27, shape=(2, 300)), 0, {"x0": "ties"}
    yield "topk_heap_smallest_axis0", topk(7, 0, 0, 28, shape=(200, 3)), 0, {"x0": "ties"}
    yield "expand_rows_int", single("Expand", [[5, 1, 1, 1]], consts=(i64(5, 4, 3, 3),), extra=lambda g, y: g.op("Cast", [y], to=1)), 0, {"x0": "int"}
    yield "expand_middle", single("Expand", [[2, 1, 3]], consts=(i64(2, 4, 3),)), 0, None
    yield "tail_deconv_block", tail_deconv(29, [2, 3], [2, 3], False), 1e-5, None
    yield "tail_deconv_block_bias", tail_deconv(30, [2, 2], [2, 2], True), 1e-5, None
    yield "tail_deconv_overlapping", tail_deconv(31, [3, 3], [2, 2], True, pads=[1, 1, 1, 1], output_padding=[1, 1]), 1e-5, None
    yield "tail_sigmoid_large", tail_sigmoid_large(32), 1e-6, None
    # 8+ channels and more samples than pixels: RoiAlign's channels-last path (RefRoiAlign.swift).
    yield "roialign_avg_channels_last", roi_align("avg", "half_pixel", 2, 1.0, 33, channels=9), 1e-5, None
    yield "roialign_avg_channels_last_adaptive", roi_align("avg", "output_half_pixel", 0, 1.0, 34, channels=10), 1e-5, None
    yield "scatterelements_rows", single("ScatterElements", [[5, 3, 4], [3, 3, 4], [3, 3, 4]], {"axis": 0}, opset=16), 0, {"x1": "rows:5"}
    # Session 15: the static plan's small-piece paths behind a detector's box decoding (a column of
    # [n, 4] coordinates by Slice, four [n, 1] columns by Concat) and an identity Resize (an alias).
    yield "slice_box_column", single("Slice", [[300, 4]], consts=(i64(1), i64(4), i64(1), i64(4))), 0, None
    yield "concat_box_columns", single("Concat", [[300, 1], [300, 1], [300, 1], [300, 1]], {"axis": 1}), 0, None
    yield "resize_identity", single("Resize", [[1, 3, 9, 7]], {"mode": "linear"}, opset=13, consts=(None, f32(1, 1, 1, 1)),
                                    extra=lambda g, y: g.op("Add", [y, g.w([7], 0.1)])), 1e-6, None
    # Session 19: the dynamic tail's 3x3 convolutions as the engine's Winograd (every row selected).
    yield "tail_conv_winograd", tail_conv_winograd(35), 1e-5, {"x1": "positive"}


def cases():
    r = np.random.default_rng(16)
    w = lambda *s: (r.standard_normal(s) * 0.3).astype(np.float32)
    # (name, model, tolerance, integer inputs {input name: values})
    yield "matmul_2d", single("MatMul", [[7, 9]], consts=(w(9, 5),)), 1e-5, None
    yield "matmul_batched", single("MatMul", [[2, 3, 7, 9], [2, 3, 9, 5]]), 1e-5, None
    yield "matmul_broadcast", single("MatMul", [[2, 1, 7, 9], [3, 9, 5]]), 1e-5, None
    yield "matmul_weights_3d", single("MatMul", [[2, 6, 9]], consts=(w(9, 11),), extra=lambda g, y: g.op("Add", [y, g.w([11], 0.1)])), 1e-5, None
    yield "matmul_vector", single("MatMul", [[9], [2, 9, 4]]), 1e-5, None
    yield "gemm", single("Gemm", [[4, 6]], {"transB": 1}, consts=(w(5, 6), w(5))), 1e-5, None
    yield "gemm_alpha_beta", single("Gemm", [[6, 4]], {"transA": 1, "alpha": 0.5, "beta": 2.0}, consts=(w(6, 5), w(4, 5))), 1e-5, None
    yield "einsum_attention", single("Einsum", [[1, 3, 5, 4], [1, 3, 6, 4]], {"equation": "blxd,blyd->blxy"}), 1e-5, None
    yield "einsum_values", single("Einsum", [[1, 3, 5, 6], [1, 3, 6, 4]], {"equation": "bhxy,bhyd->bhxd"}), 1e-5, None
    yield "einsum_permuted_out", single("Einsum", [[2, 5, 4], [2, 4, 3]], {"equation": "bij,bjk->kbi"}), 1e-5, None
    yield "einsum_trace_sum", single("Einsum", [[4, 4, 3]], {"equation": "iij->j"}), 1e-5, None
    yield "layernorm17", single("LayerNormalization", [[2, 5, 16]], {"epsilon": 1e-5}, consts=(w(16) + 1, w(16))), 1e-5, None
    yield "layernorm17_axis", single("LayerNormalization", [[2, 3, 4, 5]], {"axis": 2, "epsilon": 1e-3}, consts=(w(4, 5) + 1,)), 1e-5, None
    yield "layernorm_decomposed", decomposed_layernorm(1), 1e-5, None
    yield "gelu_exported", gelu_exported(2), 1e-5, None
    yield "attention", attention(3), 1e-5, None
    yield "softmax_axis1", single("Softmax", [[2, 3, 4, 5]], {"axis": 1}), 1e-5, None
    yield "softmax_axis0", single("Softmax", [[3, 4, 5]], {"axis": 0}), 1e-5, None
    yield "logsoftmax_axis2", single("LogSoftmax", [[2, 3, 4, 5]], {"axis": 2}), 1e-5, None
    yield "split_input", single("Split", [[2, 9, 4]], {"axis": 1}, consts=(i64(2, 3, 4),), n_out=3), 0, None
    yield "split_equal11", single("Split", [[2, 6, 4]], {"axis": -1}, opset=11, n_out=2), 0, None
    yield "split_num_outputs18", single("Split", [[2, 7, 4]], {"axis": 1, "num_outputs": 3}, opset=18, n_out=3), 0, None
    yield "erf", single("Erf", [[3, 4, 5]]), 1e-6, None
    yield "gelu20", single("Gelu", [[3, 4, 5]], opset=20), 1e-6, None
    yield "where", single("Where", [[2, 1, 5], [3, 5], [2, 3, 1]]), 0, {"x0": "bool"}
    for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
        yield f"cmp_{op.lower()}", single(op, [[2, 3, 4], [3, 1]], extra=lambda g, y: g.op("Cast", [y], to=1)), 0, {"x0": "int", "x1": "int"}
    yield "cmp_less_float", single("Less", [[2, 3, 4], [4]], extra=lambda g, y: g.op("Cast", [y], to=1)), 0, None
    yield "not", single("Not", [[3, 4]], extra=lambda g, y: g.op("Cast", [y], to=1)), 0, {"x0": "bool"}
    for op in ["And", "Or", "Xor"]:
        yield f"logic_{op.lower()}", single(op, [[3, 4], [4]], extra=lambda g, y: g.op("Cast", [y], to=1)), 0, {"x0": "bool", "x1": "bool"}
    yield "min3", single("Min", [[2, 3, 4], [3, 4], [4]]), 0, None
    yield "max3", single("Max", [[2, 3, 4], [3, 1], [1]]), 0, None
    yield "mean2", single("Mean", [[2, 3, 4], [3, 4]]), 1e-6, None
    for op in ["ReduceMax", "ReduceSum", "ReduceL2", "ReduceMin", "ReduceL1", "ReduceSumSquare"]:
        yield f"{op.lower()}_11", single(op, [[2, 3, 4, 5]], {"axes": [1, 3], "keepdims": 1}, opset=11), 1e-5, None
        yield f"{op.lower()}_18", single(op, [[2, 3, 4, 5]], {"keepdims": 0}, opset=18, consts=(i64(-1),)), 1e-5, None
    yield "reducemean_all", single("ReduceMean", [[2, 3, 4]], {"keepdims": 1}), 1e-5, None
    yield "gather_scalar_axis0", single("Gather", [[3, 2, 4, 5]], {"axis": 0}, consts=(i64(2).reshape(()),)), 0, None
    yield "gather_scalar_axis2", single("Gather", [[3, 2, 4, 5]], {"axis": 2}, consts=(i64(-1).reshape(()),)), 0, None
    yield "range_float", range_added(5), 1e-6, None
    yield "tile", single("Tile", [[2, 3, 4]], consts=(i64(2, 1, 3),)), 0, None
    yield "expand_bigger", single("Expand", [[3, 1]], consts=(i64(2, 1, 4),)), 0, None
    yield "expand_smaller_shape", single("Expand", [[2, 3, 4]], consts=(i64(3, 1),)), 0, None
    yield "gatherelements", single("GatherElements", [[3, 4, 5], [3, 2, 5]], {"axis": 1}), 0, {"x1": "index:4"}
    yield "scatternd", single("ScatterND", [[4, 5, 6], [2, 2], [2, 6]]), 0, {"x1": "index:4"}
    yield "scatternd_add", single("ScatterND", [[4, 5], [3, 1], [3, 5]], {"reduction": "add"}, opset=16), 1e-6, {"x1": "distinct:4"}
    yield "cumsum", single("CumSum", [[3, 4, 5]], consts=(i64(1).reshape(()),)), 1e-6, None
    yield "cumsum_exclusive_reverse", single("CumSum", [[3, 4, 5]], {"exclusive": 1, "reverse": 1}, consts=(i64(-1).reshape(()),)), 1e-6, None
    yield "mod_fmod", single("Mod", [[3, 4]], {"fmod": 1}, consts=(f32(0.7, -0.4, 1.3, 0.9),)), 1e-6, None
    yield "mod_int", single("Mod", [[3, 4], [4]], extra=lambda g, y: g.op("Cast", [y], to=1)), 0, {"x0": "int", "x1": "nonzero"}
    for op in ["Neg", "Abs", "Floor", "Ceil", "Sign", "Round"]:
        yield f"unary16_{op.lower()}", single(op, [[3, 4, 5]]), 0, None
    yield "hardsigmoid", single("HardSigmoid", [[3, 4, 5]], {"alpha": 1 / 6, "beta": 0.5}), 1e-6, None
    yield "hardswish", single("HardSwish", [[3, 4, 5]]), 1e-6, None
    yield "masked_fill", masked_fill(4), 1e-6, {"x1": "bool_as_float"}
    yield "transpose_5d", single("Transpose", [[1, 4, 3, 5, 2]], {"perm": [0, 2, 3, 4, 1]}), 0, None
    # GatherND last, so that the earlier fixtures keep their random draws (one generator for all).
    yield "gathernd", single("GatherND", [[4, 5, 6], [3, 2]]), 0, {"x1": "index:4"}
    yield "gathernd_batch1", single("GatherND", [[2, 5, 6], [2, 3, 1]], {"batch_dims": 1}), 0, {"x1": "index:5"}
    # Broadcasts oneDNN 2.6's binary JIT lacks (the engine's own loop) and slices with steps (strided copy).
    yield "add_middle_broadcast", single("Add", [[2, 7, 3, 5, 6], [2, 7, 1, 5, 6]]), 1e-6, None
    yield "sub_two_axis_broadcast", single("Sub", [[3, 4, 5, 6], [3, 1, 5, 1]]), 1e-6, None
    yield "slice_steps", single("Slice", [[5, 9, 12]], consts=(i64(1, 0, 11), i64(5, 9, 1), i64(0, 1, 2), i64(2, 3, -2))), 0, None
    # Session 15: 3x3 convolutions the fast backend runs as Winograd (FastDilatedWinograd.swift): plain,
    # dilated 2 through space-to-batch after a channels-last 1x1 convolution with batch 2 (+ Relu fused),
    # dilated 3 without bias or activation. Appended last: the earlier fixtures keep their draws.
    yield "conv3x3_winograd", single("Conv", [[1, 64, 16, 16]], {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, consts=(w(64, 64, 3, 3) / 8, w(64)),
                                     extra=lambda g, y: g.op("Relu", [y])), 1e-5, None
    d2 = lambda g, y: g.op("Relu", [g.op("Conv", [y, g.const(w(64, 64, 3, 3) / 8), g.const(w(64))], kernel_shape=[3, 3], dilations=[2, 2], pads=[2, 2, 2, 2])])
    yield "conv3x3_dilation2_winograd", single("Conv", [[2, 64, 32, 32]], {"kernel_shape": [1, 1]}, consts=(w(64, 64, 1, 1) / 8,), extra=d2), 1e-5, None
    yield "conv3x3_dilation3_winograd", single("Conv", [[1, 64, 48, 48]], {"kernel_shape": [3, 3], "dilations": [3, 3], "pads": [3, 3, 3, 3]},
                                               consts=(w(64, 64, 3, 3) / 8,)), 1e-5, None
    # Session 17: dilated 3x3 convolutions the fast backend runs as per-tap products over phase
    # sub-images where oneDNN's direct choice is gemm (FastDilatedPhases.swift): dilation 12 on 20x23
    # (two row and two column classes) after a 1x1 convolution to 20 channels (blocked with padded
    # channels), bias and Relu; dilation 24 on 18x30 (rows no longer than the dilation: centre tap
    # only), batch 2, no bias; dilation 4 on 16x18 with LeakyRelu. Then a squeeze-excitation scale
    # (x * HardSigmoid(Conv(GlobalAveragePool(x)))) on a channel-blocked x of 20 channels. Appended last.
    d12 = lambda g, y: g.op("Relu", [g.op("Conv", [y, g.const(w(12, 20, 3, 3) / 4), g.const(w(12))], kernel_shape=[3, 3], dilations=[12, 12], pads=[12] * 4)])
    yield "conv3x3_dilation12_phases", single("Conv", [[1, 5, 20, 23]], {"kernel_shape": [1, 1]}, consts=(w(20, 5, 1, 1),), extra=d12), 1e-5, None
    yield "conv3x3_dilation24_phases", single("Conv", [[2, 16, 18, 30]], {"kernel_shape": [3, 3], "dilations": [24, 24], "pads": [24] * 4},
                                              consts=(w(8, 16, 3, 3) / 4,)), 1e-5, None
    yield "conv3x3_dilation4_phases", single("Conv", [[1, 16, 16, 18]], {"kernel_shape": [3, 3], "dilations": [4, 4], "pads": [4] * 4},
                                             consts=(w(16, 16, 3, 3) / 4, w(16)), extra=lambda g, y: g.op("LeakyRelu", [y], alpha=0.1)), 1e-5, None
    se = lambda g, y: g.op("Mul", [y, g.op("HardSigmoid", [g.op("Conv", [g.op("GlobalAveragePool", [y]), g.const(w(20, 20, 1, 1))], kernel_shape=[1, 1])],
                                                        alpha=1 / 6, beta=0.5)])
    yield "se_scale_blocked", single("Conv", [[1, 6, 10, 10]], {"kernel_shape": [1, 1]}, consts=(w(20, 6, 1, 1),), extra=se), 1e-5, None
    # Winograd on phase sub-images (FastPhaseWinograd.swift; runs where oneDNN has no Winograd, AVX2):
    # dilation 2 on 20x18 sub-images (F(4x3)) with bias + Relu; dilation 1 on a batch of 2 with
    # partial tiles; dilation 3 (oneDNN's direct choice gemm on AVX2) with two class pairs and a bias.
    yield "conv3x3_dilation2_phase_winograd", single("Conv", [[1, 96, 40, 36]], {"kernel_shape": [3, 3], "dilations": [2, 2], "pads": [2] * 4},
                                                     consts=(w(128, 96, 3, 3) / 8, w(128)), extra=lambda g, y: g.op("Relu", [y])), 1e-5, None
    yield "conv3x3_phase_winograd", single("Conv", [[2, 128, 23, 21]], {"kernel_shape": [3, 3], "pads": [1] * 4},
                                           consts=(w(128, 128, 3, 3) / 8,), extra=lambda g, y: g.op("Sigmoid", [y])), 1e-5, None
    yield "conv3x3_dilation3_phase_winograd", single("Conv", [[1, 128, 48, 46]], {"kernel_shape": [3, 3], "dilations": [3, 3], "pads": [3] * 4},
                                                     consts=(w(128, 128, 3, 3) / 8, w(128))), 1e-5, None
    # Session 20: Winograd on two threads only with the transformed weights kept (`keptWinogradBudget`),
    # on one thread with them made on every run.
    yield "conv3x3_kept_winograd", single("Conv", [[1, 128, 40, 40]], {"kernel_shape": [3, 3], "pads": [1] * 4},
                                          consts=(w(128, 128, 3, 3) / 8, w(128)), extra=lambda g, y: g.op("Relu", [y])), 1e-5, None


def make_input(rng, kind, shape, inp_type):
    if kind is None:
        return (rng.standard_normal(shape) * 2).astype(np.float32)
    if kind == "bool":
        return rng.random(shape) < 0.5
    if kind == "int":
        return rng.integers(-3, 4, shape).astype(np.int64)
    if kind == "nonzero":
        v = rng.integers(1, 4, shape) * rng.choice([-1, 1], shape)
        return v.astype(np.int64)
    if kind == "boxes":  # [y1, x1, y2, x2] around a few clusters so that boxes overlap; some flipped
        centers = rng.uniform(0, 20, (shape[0], 3, 2))[:, rng.integers(0, 3, shape[1])]
        half = rng.uniform(1, 4, (shape[0], shape[1], 2))
        b = np.concatenate([centers - half, centers + half], -1) + rng.normal(0, 0.5, (shape[0], shape[1], 4))
        flip = rng.random((shape[0], shape[1])) < 0.2
        b[flip] = b[flip][:, [2, 3, 0, 1]]
        return b.astype(np.float32)
    if kind == "centers":  # [x_center, y_center, width, height]
        c = rng.uniform(0, 20, (shape[0], 3, 2))[:, rng.integers(0, 3, shape[1])] + rng.normal(0, 1, (shape[0], shape[1], 2))
        return np.concatenate([c, rng.uniform(2, 8, (shape[0], shape[1], 2))], -1).astype(np.float32)
    if kind == "scores":  # distinct, so the order is unambiguous
        return (rng.permutation(int(np.prod(shape))).reshape(shape) / np.prod(shape)).astype(np.float32)
    if kind in ("positive", "negative"):
        return ((1 if kind == "positive" else -1) * rng.uniform(0.1, 2, shape)).astype(np.float32)
    if kind == "ties":  # few distinct values: ties must keep the lower index first
        return rng.integers(0, 4, shape).astype(np.float32)
    if kind == "bool_as_float":
        return (rng.random(shape) < 0.5).astype(np.float32)
    if kind.startswith("index:"):
        return rng.integers(-int(kind[6:]) + 1, int(kind[6:]), shape).astype(np.int64)
    if kind.startswith("columns:"):  # distinct indices down every column (no write collides), some negative
        v = np.stack([rng.permutation(int(kind[8:]))[: shape[0]] for _ in range(shape[1])], 1)
        return np.where(rng.random(shape) < 0.3, v - int(kind[8:]), v).astype(np.int64)
    if kind.startswith("rows:"):  # one index per row (torchvision's expanded RoI indices), distinct rows
        return np.repeat(rng.permutation(int(kind[5:]))[: shape[0]][:, None], int(np.prod(shape[1:])), 1).reshape(shape).astype(np.int64)
    if kind.startswith("distinct:"):
        return rng.permutation(int(kind[9:]))[: shape[0]].reshape(shape).astype(np.int64)
    raise ValueError(kind)


def write(cases, out, manifest_name, seed):
    """Writes every case's model, inputs and onnxruntime outputs, and the manifest."""
    rng = np.random.default_rng(seed)
    manifest = []
    for name, model, tol, kinds in cases:
        if model is None:
            continue
        kinds = kinds or {}
        types = {"bool": TensorProto.BOOL, "int": TensorProto.INT64, "nonzero": TensorProto.INT64}
        decl = {k: (TensorProto.INT64 if v.startswith(("index", "distinct", "columns", "rows")) else types.get(v, TensorProto.FLOAT)) for k, v in kinds.items()}
        typed(model, decl)
        path = os.path.join(out, f"op_{name}.onnx")
        with open(path, "wb") as fh:
            fh.write(model.SerializeToString())
        so = ort.SessionOptions(); so.intra_op_num_threads = 1
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        feeds, entry = {}, {"name": f"op_{name}", "tolerance": tol, "inputs": [], "outputs": []}
        for i, inp in enumerate(sess.get_inputs()):
            a = make_input(rng, kinds.get(inp.name), inp.shape, inp.type)
            feeds[inp.name] = a
            f = f"op_{name}.in{i}.npy"
            # The engine reads float32/int64 .npy: booleans are stored as int64 0/1.
            np.save(os.path.join(out, f), a.astype(np.int64) if a.dtype == bool else a)
            entry["inputs"].append({"name": inp.name, "file": f})
        for i, (o, v) in enumerate(zip(sess.get_outputs(), sess.run(None, feeds))):
            f = f"op_{name}.out{i}.npy"
            np.save(os.path.join(out, f), np.ascontiguousarray(v.astype(np.float32)))
            entry["outputs"].append({"name": o.name, "file": f})
        manifest.append(entry)
    with open(os.path.join(out, manifest_name), "w") as fh:
        json.dump(manifest, fh, indent=1)
    return manifest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--only", choices=["ops", "detection"], help="write one manifest only")
    args = ap.parse_args()
    n = 0
    if args.only in (None, "ops"):
        n += len(write(cases(), args.out, "ops_manifest.json", 1616))
    if args.only in (None, "detection"):
        # Issue 17's operators: their own manifest and seed, so the older fixtures stay unchanged.
        n += len(write(detection_cases(), args.out, "detection_ops_manifest.json", 1717))
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out) if f.startswith("op_"))
    print(f"{n} operator fixtures, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
