#!/usr/bin/env python3
"""Exports real PyTorch segmentation networks with torch.onnx (random weights, fixed seeds), runs
onnxruntime on a random input and records model, input and output under Tests/EngineTests/Fixtures
(torch_<name>.*, listed in torch_manifest.json). Small widths and spatial sizes keep files small.

Networks: MONAI UNet, BasicUNet, DynUNet, SegResNet, AttentionUnet (3D) and nnU-Net's PlainConvUNet
and ResidualEncoderUNet (dynamic_network_architectures, the package nnU-Net v2 builds its networks from).
Dev-only dependencies: pip install torch monai dynamic-network-architectures onnx onnxruntime numpy
"""
import json, os, sys
import numpy as np
import torch
import onnxruntime as ort

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "EngineTests", "Fixtures")


def networks():
    from monai.networks.nets import UNet, BasicUNet, DynUNet, SegResNet, AttentionUnet
    from dynamic_network_architectures.architectures.unet import PlainConvUNet, ResidualEncoderUNet
    nn = torch.nn
    yield "monai_unet", UNet(spatial_dims=3, in_channels=1, out_channels=3, channels=(4, 8, 16, 32), strides=(2, 2, 2), num_res_units=2), [1, 1, 16, 16, 16]
    yield "monai_basicunet", BasicUNet(spatial_dims=3, in_channels=1, out_channels=2, features=(4, 4, 8, 8, 16, 4)), [1, 1, 32, 32, 32]
    yield "monai_dynunet", DynUNet(spatial_dims=3, in_channels=1, out_channels=3, kernel_size=[3, 3, 3, 3], strides=[1, 2, 2, 2],
                                   upsample_kernel_size=[2, 2, 2], filters=[4, 8, 16, 32], res_block=True), [1, 1, 16, 16, 16]
    yield "monai_segresnet", SegResNet(spatial_dims=3, init_filters=4, in_channels=1, out_channels=3, blocks_down=(1, 2, 2), blocks_up=(1, 1),
                                       norm=("GROUP", {"num_groups": 2}), upsample_mode="nontrainable"), [1, 1, 16, 16, 16]
    yield "monai_attentionunet", AttentionUnet(spatial_dims=3, in_channels=1, out_channels=2, channels=(4, 8, 16), strides=(2, 2)), [1, 1, 16, 16, 16]
    common = dict(conv_op=nn.Conv3d, kernel_sizes=3, strides=[1, 2, 2, 2], num_classes=3, conv_bias=True, norm_op=nn.InstanceNorm3d,
                  norm_op_kwargs={"eps": 1e-5, "affine": True}, nonlin=nn.LeakyReLU, nonlin_kwargs={"inplace": True}, deep_supervision=False)
    yield "nnunet_plainconvunet", PlainConvUNet(input_channels=1, n_stages=4, features_per_stage=[4, 8, 16, 32], n_conv_per_stage=2,
                                                n_conv_per_stage_decoder=2, **common), [1, 1, 16, 16, 16]
    yield "nnunet_resencunet", ResidualEncoderUNet(input_channels=1, n_stages=4, features_per_stage=[4, 8, 16, 32], n_blocks_per_stage=[1, 2, 2, 2],
                                                   n_conv_per_stage_decoder=1, **common), [1, 1, 16, 16, 16]


def init_norms(model, gen):
    # Non-trivial affine parameters so normalisation scale/shift are exercised.
    for m in model.modules():
        if isinstance(m, (torch.nn.InstanceNorm3d, torch.nn.GroupNorm, torch.nn.BatchNorm3d)) and getattr(m, "weight", None) is not None:
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else OUT
    os.makedirs(out, exist_ok=True)
    manifest = []
    for i, (name, net, shape) in enumerate(networks()):
        torch.manual_seed(100 + i)
        gen = torch.Generator().manual_seed(200 + i)
        init_norms(net, gen)
        net.eval()
        x = torch.randn(shape, generator=gen)
        path = os.path.join(out, f"torch_{name}.onnx")
        torch.onnx.export(net, (x,), path, input_names=["input"], output_names=["output"], opset_version=17, dynamo=False)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        y = sess.run(None, {"input": x.numpy()})[0]
        with torch.no_grad():
            t = net(x)
        t = t[0] if isinstance(t, (list, tuple)) else t
        print(f"{name}: output {y.shape}, max|ort-torch|/max|torch| = {np.abs(y - t.numpy()).max() / np.abs(t.numpy()).max():.2e}, "
              f"{os.path.getsize(path) / 1e6:.2f} MB")
        np.save(os.path.join(out, f"torch_{name}.in0.npy"), x.numpy())
        np.save(os.path.join(out, f"torch_{name}.out0.npy"), y.astype(np.float32))
        manifest.append({"name": f"torch_{name}", "inputs": [{"name": "input", "file": f"torch_{name}.in0.npy"}],
                         "outputs": [{"name": "output", "file": f"torch_{name}.out0.npy"}]})
    with open(os.path.join(out, "torch_manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)


if __name__ == "__main__":
    main()
