#!/usr/bin/env python3
"""Exports the "bring your own model" networks of issue 16 with torch.onnx (opset 17, random
weights, fixed seeds) and records onnxruntime's output on a seeded random input:

  MONAI UNETR and SwinUNETR (v2), 3D; torchvision DeepLabV3 with ResNet-50 and MobileNetV3-Large
  backbones, 2D; MONAI DynUNet with its deep-supervision heads (exported in training mode, where
  the heads are part of the output).

Default: small-width variants (same architecture and operator set, reduced feature sizes and
patch sizes) as test fixtures under Tests/EngineTests/Fixtures (model_<name>.*, models_manifest.json).
SwinUNETR's small variant is then shrunk below 2 MiB by Scripts/engine/compact_weights.py (weights
generated in-graph; same graph otherwise):
  python3 Scripts/engine/compact_weights.py Tests/EngineTests/Fixtures/model_swinunetr
--full DIR: the full-size models (UNETR/SwinUNETR at 96^3, DeepLabV3 at 512^2, DynUNet at 128^3)
for Benchmarks/engine/bench_models.py (which runs this when they are missing); 100+ MB each, never committed.
Dev-only dependencies: pip install torch torchvision monai onnx onnxruntime numpy
"""
import argparse, importlib.util, json, os, sys, types
import numpy as np
import torch
import onnxruntime as ort

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "EngineTests", "Fixtures")


def import_torchvision_models():
    """torchvision's model code is pure Python; skip its package __init__, which loads the compiled
    operator library (PyPI's build links CUDA), so CPU-only torch works too."""
    if "torchvision" not in sys.modules:
        spec = importlib.util.find_spec("torchvision")
        pkg = types.ModuleType("torchvision")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["torchvision"] = pkg
    from torchvision.models import resnet, mobilenetv3
    from torchvision.models.segmentation import deeplabv3
    return resnet, mobilenetv3, deeplabv3


def small_deeplab_head(deeplabv3, cin, classes, width):
    """DeepLabHead's layers (ASPP at rates 12/24/36, 3x3 conv, BN, ReLU, 1x1) at a reduced width."""
    nn = torch.nn
    return nn.Sequential(deeplabv3.ASPP(cin, [12, 24, 36], out_channels=width), nn.Conv2d(width, width, 3, padding=1, bias=False),
                         nn.BatchNorm2d(width), nn.ReLU(), nn.Conv2d(width, classes, 1))


def deeplab_resnet(full):
    resnet, _, deeplabv3 = import_torchvision_models()
    if full:
        return deeplabv3.deeplabv3_resnet50(weights=None, weights_backbone=None, num_classes=21, aux_loss=False)

    class NarrowResNet(resnet.ResNet):
        """ResNet-50's Bottleneck blocks with 1/8 of the planes and one block per stage."""
        def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
            return super()._make_layer(block, planes // 8, blocks, stride, dilate)

    net = NarrowResNet(resnet.Bottleneck, [1, 1, 1, 1], replace_stride_with_dilation=[False, True, True])
    from torchvision.models._utils import IntermediateLayerGetter
    backbone = IntermediateLayerGetter(net, return_layers={"layer4": "out"})
    return deeplabv3.DeepLabV3(backbone, small_deeplab_head(deeplabv3, 256, 3, 32), None)


def deeplab_mobilenet(full):
    _, mobilenetv3, deeplabv3 = import_torchvision_models()
    if full:
        return deeplabv3.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=21, aux_loss=False)
    backbone = mobilenetv3.mobilenet_v3_large(weights=None, width_mult=0.25, dilated=True)
    net = deeplabv3._deeplabv3_mobilenetv3(backbone, 3, False)
    net.classifier = small_deeplab_head(deeplabv3, backbone.features[-1].out_channels, 3, 32)
    return net


class DeepSupervision(torch.nn.Module):
    """DynUNet returns its deep-supervision heads (stacked on dim 1) only in training mode."""
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        self.net.train()
        return self.net(x)


def networks(full):
    from monai.networks.nets import UNETR, SwinUNETR, DynUNet
    if full:
        yield "unetr", lambda: UNETR(in_channels=1, out_channels=14, img_size=(96, 96, 96), feature_size=16, hidden_size=768, mlp_dim=3072,
                                     num_heads=12, proj_type="conv", norm_name="instance"), [1, 1, 96, 96, 96]
        yield "swinunetr", lambda: SwinUNETR(in_channels=1, out_channels=14, feature_size=48, use_v2=True, spatial_dims=3), [1, 1, 96, 96, 96]
        yield "deeplabv3_resnet50", lambda: deeplab_resnet(True), [1, 3, 512, 512]
        yield "deeplabv3_mobilenetv3", lambda: deeplab_mobilenet(True), [1, 3, 512, 512]
        yield "dynunet_ds", lambda: DeepSupervision(DynUNet(spatial_dims=3, in_channels=1, out_channels=3, kernel_size=[3] * 6, strides=[1, 2, 2, 2, 2, 2],
                                                            upsample_kernel_size=[2] * 5, filters=[32, 64, 128, 256, 320, 320], res_block=True,
                                                            deep_supervision=True, deep_supr_num=2)), [1, 1, 128, 128, 128]
        return
    yield "unetr", lambda: UNETR(in_channels=1, out_channels=2, img_size=(32, 32, 32), feature_size=4, hidden_size=24, mlp_dim=48,
                                 num_heads=4, proj_type="conv", norm_name="instance"), [1, 1, 32, 32, 32]
    yield "swinunetr", lambda: SwinUNETR(in_channels=1, out_channels=2, feature_size=12, depths=(2, 2, 2, 2), num_heads=(3, 3, 3, 3), window_size=4,
                                         use_v2=True, spatial_dims=3), [1, 1, 64, 32, 32]
    yield "deeplabv3_resnet50", lambda: deeplab_resnet(False), [1, 3, 64, 64]
    yield "deeplabv3_mobilenetv3", lambda: deeplab_mobilenet(False), [1, 3, 64, 64]
    yield "dynunet_ds", lambda: DeepSupervision(DynUNet(spatial_dims=3, in_channels=1, out_channels=3, kernel_size=[3, 3, 3, 3], strides=[1, 2, 2, 2],
                                                        upsample_kernel_size=[2, 2, 2], filters=[4, 8, 16, 32], res_block=True,
                                                        deep_supervision=True, deep_supr_num=2)), [1, 1, 16, 16, 16]


def randomize_norms(model, gen):
    """Non-trivial affine parameters and running statistics so normalisation is exercised."""
    for m in model.modules():
        if isinstance(m, (torch.nn.InstanceNorm3d, torch.nn.GroupNorm, torch.nn.LayerNorm, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)) \
                and getattr(m, "weight", None) is not None:
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
                if getattr(m, "running_var", None) is not None:
                    m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=gen))
                    m.running_var.copy_(1 + 0.1 * torch.rand(m.running_var.shape, generator=gen))


def quantize_weights(model):
    """Small variants: every parameter rounded to 31 levels of a power-of-two step, so the float32
    files compress about 6x in git (SwinUNETR's 192-channel bottleneck convolutions cannot be
    narrowed: MONAI requires feature_size >= 12)."""
    with torch.no_grad():
        for p in model.parameters():
            m = p.abs().max().item()
            if m > 0:
                step = 2.0 ** np.floor(np.log2(m / 15))
                p.copy_(torch.clamp(torch.round(p / step), -15, 15) * step)


class FirstOutput(torch.nn.Module):
    """torchvision's DeepLabV3 returns {"out": ...}: export the tensor."""
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        y = self.net(x)
        return y["out"] if isinstance(y, dict) else y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--full", action="store_true", help="full-size models (benchmarks; not for committing)")
    ap.add_argument("--only", default="", help="comma-separated names")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    manifest = []
    prefix = "full_" if args.full else "model_"
    for i, (name, build, shape) in enumerate(networks(args.full)):
        print(f"exporting {name}", file=sys.stderr, flush=True)
        if args.only and name not in args.only.split(","):
            continue
        torch.manual_seed(1600 + i)
        gen = torch.Generator().manual_seed(1700 + i)
        net = FirstOutput(build())
        randomize_norms(net, gen)
        if not args.full:
            quantize_weights(net)
        net.eval()
        x = torch.randn(shape, generator=gen)
        path = os.path.join(args.out, f"{prefix}{name}.onnx")
        if name == "swinunetr":
            # The TorchScript exporter cannot export SwinUNETR's InstanceNorm (unknown channel
            # count after the window reshapes); torch.export-based export can.
            torch.onnx.export(net, (x,), path, input_names=["input"], output_names=["output"], opset_version=17, dynamo=True,
                              external_data=False, optimize=True)
        else:
            torch.onnx.export(net, (x,), path, input_names=["input"], output_names=["output"], opset_version=17, dynamo=False,
                              training=torch.onnx.TrainingMode.EVAL)
        so = ort.SessionOptions(); so.intra_op_num_threads = 2
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        y = sess.run(None, {"input": x.numpy()})[0]
        net.eval()
        with torch.no_grad():
            t = net(x).numpy()
        import onnx
        ops = sorted({n.op_type for n in onnx.load(path, load_external_data=False).graph.node})
        print(f"{name}: output {y.shape}, max|ort-torch|/max|torch| = {np.abs(y - t).max() / np.abs(t).max():.2e}, "
              f"{os.path.getsize(path) / 1e6:.2f} MB, ops: {' '.join(ops)}", flush=True)
        np.save(os.path.join(args.out, f"{prefix}{name}.in0.npy"), x.numpy())
        np.save(os.path.join(args.out, f"{prefix}{name}.out0.npy"), y.astype(np.float32))
        manifest.append({"name": f"{prefix}{name}", "inputs": [{"name": "input", "file": f"{prefix}{name}.in0.npy"}],
                         "outputs": [{"name": "output", "file": f"{prefix}{name}.out0.npy"}]})
    with open(os.path.join(args.out, "full_manifest.json" if args.full else "models_manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)


if __name__ == "__main__":
    main()
