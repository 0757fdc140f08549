#!/usr/bin/env python3
"""Exports torchvision's Mask R-CNN (issue 17) to ONNX with random weights from a fixed seed, in
eval mode, with the TorchScript-based exporter (torch.onnx.export(..., dynamo=False)) at opset 17
(torchvision registers its RoiAlign symbolic for opsets 11 and 16+, NonMaxSuppression for 11+; 17
is what the rest of the engine's fixtures use), and records onnxruntime's outputs.

  default:  a SMALL variant for Tests/EngineTests/Fixtures (maskrcnn_small.*, maskrcnn_manifest.json):
            the same detection pipeline (GeneralizedRCNNTransform, FPN, RPN with NMS, MultiScaleRoIAlign,
            box and mask heads, mask pasting) on a narrow ResNet backbone (Bottleneck blocks, one per stage), 96x96 images, few
            proposals at 96x96; onnxruntime's boxes, labels, scores and masks for 3 different inputs.
  --full DIR: maskrcnn_resnet50_fpn (v1) and maskrcnn_resnet50_fpn_v2 at 512x512 (benchmarks;
            170+ MB each, never committed) with onnxruntime's outputs for 3 inputs.
  --inventory: prints every op type of the written graphs with the attributes that matter.

torchvision's PyPI wheel here cannot load its C++ operators (its _C.so is a CUDA build), so this
script defines the torchvision::* operator schemas itself and gives nms and roi_align CPU kernels in
plain torch (torchvision's own pure-torch _roi_align; a greedy NMS). torchvision's ONNX symbolics
(torchvision/ops/_register_onnx_ops.py) then export them as ONNX NonMaxSuppression and RoiAlign.
Dev-only dependencies: pip install torch torchvision onnx onnxruntime numpy
"""
import argparse, json, os, sys
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "EngineTests", "Fixtures")

SCHEMAS = [
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, int sampling_ratio, bool aligned) -> Tensor",
    "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> (Tensor, Tensor, Tensor, Tensor, Tensor)",
]


def nms_cpu(dets, scores, iou_threshold):
    """Greedy NMS as torchvision's C++ kernel: highest score first, drop boxes with IoU > threshold."""
    order = torch.argsort(scores, descending=True, stable=True)
    x1, y1, x2, y2 = dets.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for i in range(len(order)):
        a = order[i]
        if suppressed[i]:
            continue
        keep.append(a)
        rest = order[i + 1:]
        w = (torch.minimum(x2[a], x2[rest]) - torch.maximum(x1[a], x1[rest])).clamp(min=0)
        h = (torch.minimum(y2[a], y2[rest]) - torch.maximum(y1[a], y1[rest])).clamp(min=0)
        inter = w * h
        iou = inter / (area[a] + area[rest] - inter)
        suppressed[i + 1:] |= iou > iou_threshold
    return torch.stack(keep) if keep else torch.zeros(0, dtype=torch.int64)


def _has_ops() -> bool:
    return True


def import_torchvision():
    """Defines torchvision's operator schemas (its compiled library cannot load here), CPU kernels
    for nms and roi_align, then imports torchvision (which registers its ONNX symbolics)."""
    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    lib = torch.library.Library("torchvision", "DEF")
    for s in SCHEMAS:
        lib.define(s)
    import_torchvision.lib = lib  # keep the registrations alive
    lib.impl("nms", nms_cpu, "CPU")

    def roi_align_cpu(inp, rois, spatial_scale, ph, pw, sampling_ratio, aligned):
        from torchvision.ops.roi_align import _roi_align  # torch.compile-wrapped: call the plain function
        return getattr(_roi_align, "__wrapped__", _roi_align)(inp, rois, spatial_scale, ph, pw, sampling_ratio, aligned)
    lib.impl("roi_align", roi_align_cpu, "CPU")
    import torchvision
    import torchvision.extension
    # The operators now exist (schemas above, CPU kernels for the two the models run).
    torchvision.extension._has_ops = _has_ops
    # (torchvision.ops.roi_align names the function; the module is in sys.modules.) Without this it
    # calls a torch.compile'd pure-torch path, which the tracer rejects.
    sys.modules["torchvision.ops.roi_align"]._has_ops = _has_ops
    return torchvision


class Detections(torch.nn.Module):
    """Mask R-CNN takes a list of CHW images and returns a list of dicts: export one image
    [1, C, H, W] (or [C, H, W] with batched=False) -> boxes [N, 4], labels [N], scores [N],
    masks [N, 1, H, W]."""
    def __init__(self, net, batched=True):
        super().__init__()
        self.net = net
        self.batched = batched

    def forward(self, x):
        d = self.net([x[0] if self.batched else x])[0]
        return d["boxes"], d["labels"], d["scores"], d["masks"]


def small_maskrcnn(tv, in_channels=3, size=96, width_div=16, fpn=16, representation=32, mask_layers=(16, 16),
                   proposals=50, detections=6, **maskrcnn_kwargs):
    """Mask R-CNN on a narrow ResNet (Bottleneck blocks, 1/width_div of the planes, one block per
    stage) with an `fpn`-channel FPN, 2 classes, size x size images. The defaults are the engine
    fixture: 1/16 of the planes, 16-channel FPN, 96x96, 50 proposals, up to 6 detections (model and
    3 inputs with their outputs stay under 2 MiB). Scripts/train/train_maskrcnn.py builds the demo
    model brats-instances-2d with other widths and MaskRCNN keyword arguments (maskrcnn_kwargs)."""
    from torchvision.models import resnet
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.backbone_utils import BackboneWithFPN
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor

    class NarrowResNet(resnet.ResNet):
        def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
            return super()._make_layer(block, planes // width_div, blocks, stride, dilate)

    body = NarrowResNet(resnet.Bottleneck, [1, 1, 1, 1])
    body.conv1 = torch.nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    ch = [64 // width_div * 4 * m for m in (1, 2, 4, 8)]
    backbone = BackboneWithFPN(body, {"layer1": "0", "layer2": "1", "layer3": "2", "layer4": "3"}, ch, fpn)
    return MaskRCNN(backbone, num_classes=None, min_size=size, max_size=size,
                    rpn_pre_nms_top_n_test=proposals, rpn_post_nms_top_n_test=proposals,
                    box_detections_per_img=detections,
                    box_head=TwoMLPHead(fpn * 7 * 7, representation),
                    box_predictor=FastRCNNPredictor(representation, 2),
                    mask_head=MaskRCNNHeads(fpn, list(mask_layers), 1),
                    mask_predictor=MaskRCNNPredictor(mask_layers[-1], mask_layers[-1], 2), **maskrcnn_kwargs)


def randomize_norms(model, gen):
    """Frozen BatchNorm statistics away from identity so normalisation is exercised."""
    for m in model.modules():
        if hasattr(m, "running_var") and getattr(m, "weight", None) is not None:
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(1 + 0.1 * torch.rand(m.running_var.shape, generator=gen))


def inputs(shape, seed):
    """Three different images: smooth blobs on noise (so the RPN sees structure), seeded."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for k in range(3):
        n, c, h, w = shape
        yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
        img = 0.1 * torch.rand(shape, generator=gen)
        for _ in range(3 + k):
            cy, cx, r = torch.rand(3, generator=gen).tolist()
            img += ((yy - cy) ** 2 + (xx - cx) ** 2 < (0.05 + 0.15 * r) ** 2).float() * torch.rand(1, c, 1, 1, generator=gen)
        out.append(img)
    return out


def inventory(path):
    """op type -> sorted attribute descriptions found in the graph (subgraphs included)."""
    import onnx
    from onnx import helper
    ops = {}

    def walk(g):
        for n in g.node:
            attrs = ops.setdefault(n.op_type, set())
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    attrs.add(f"{a.name}=<graph>")
                    walk(a.g)
                elif a.type in (onnx.AttributeProto.TENSOR,):
                    continue
                else:
                    attrs.add(f"{a.name}={helper.get_attribute_value(a)!r}".replace("b'", "'"))
    walk(onnx.load(path, load_external_data=False).graph)
    return {k: sorted(v) for k, v in sorted(ops.items())}


def export(name, net, shape, out_dir, seed, quantize):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    randomize_norms(net, gen)
    if quantize:
        with torch.no_grad():
            for p in net.parameters():
                m = p.abs().max().item()
                if m > 0:
                    step = 2.0 ** np.floor(np.log2(m / 15))
                    p.copy_(torch.clamp(torch.round(p / step), -15, 15) * step)
    wrapped = Detections(net).eval()
    xs = inputs(shape, seed + 2)
    path = os.path.join(out_dir, f"{name}.onnx")
    torch.onnx.export(wrapped, (xs[0],), path, input_names=["image"], output_names=["boxes", "labels", "scores", "masks"],
                      opset_version=17, dynamo=False, do_constant_folding=True)
    import onnxruntime as ort
    so = ort.SessionOptions(); so.intra_op_num_threads = 2
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    entries = []
    for k, x in enumerate(xs):
        outs = sess.run(None, {"image": x.numpy()})
        with torch.no_grad():
            ref = wrapped(x)
        n = outs[0].shape[0]
        same = n == ref[0].shape[0] and np.abs(outs[0] - ref[0].numpy()).max(initial=0) < 1e-3
        print(f"{name} input {k}: {n} detections (torch {ref[0].shape[0]}, boxes agree: {same}), "
              f"scores {np.round(outs[2], 3).tolist()}", flush=True)
        entry = {"name": name, "tolerance": 1e-4, "inputs": [{"name": "image", "file": f"{name}.x{k}.in0.npy"}], "outputs": []}
        np.save(os.path.join(out_dir, f"{name}.x{k}.in0.npy"), x.numpy())
        for o, v in zip(["boxes", "labels", "scores", "masks"], outs):
            f = f"{name}.x{k}.{o}.npy"
            np.save(os.path.join(out_dir, f), np.ascontiguousarray(v.astype(np.float32)))
            entry["outputs"].append({"name": o, "file": f})
        entries.append(entry)
    print(f"{name}: {os.path.getsize(path) / 1e6:.2f} MB", flush=True)
    return path, entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--full", action="store_true", help="full-size v1 and v2 at 512x512 (benchmarks; never committed)")
    ap.add_argument("--inventory", action="store_true", help="print op types and attributes of the exported graphs")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tv = import_torchvision()
    from torchvision.models.detection import mask_rcnn
    if args.full:
        todo = [("maskrcnn_resnet50_fpn", lambda: mask_rcnn.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91,
                                                                                  min_size=512, max_size=512), 1717),
                ("maskrcnn_resnet50_fpn_v2", lambda: mask_rcnn.maskrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None, num_classes=91,
                                                                                     min_size=512, max_size=512), 1727)]
        shape, manifest_name, quantize = [1, 3, 512, 512], "maskrcnn_full_manifest.json", False
    else:
        todo = [("maskrcnn_small", lambda: small_maskrcnn(tv), 1707)]
        shape, manifest_name, quantize = [1, 3, 96, 96], "maskrcnn_manifest.json", True
    manifest = []
    for name, build, seed in todo:
        torch.manual_seed(seed)
        path, entries = export(name, build(), shape, args.out, seed, quantize)
        manifest += entries
        if args.inventory:
            for op, attrs in inventory(path).items():
                print(f"  {op}: {', '.join(attrs)}")
    with open(os.path.join(args.out, manifest_name), "w") as fh:
        json.dump(manifest, fh, indent=1)


if __name__ == "__main__":
    main()
