"""An nnU-Net v2 trained-model folder holding the SAME network as a SegStation model package.

The bundled 3D demo model (Models/brats-wt-3d/model.onnx, made by Scripts/train/unet.py) has the
layout of nnU-Net's own PlainConvUNet: 4 stages (8, 16, 32, 64 features), two (3x3x3 conv, instance
norm eps 1e-5, leaky ReLU 0.01) units per stage, stride-2 convolutions down, 2x2x2 transposed
convolutions up, concatenation (upsampled, skip), a 1x1x1 head. This script copies the ONNX weights
into `dynamic_network_architectures.architectures.unet.PlainConvUNet`, checks with onnxruntime that
both compute the same logits on a random patch, and writes a model folder that
`nnUNetv2_predict_from_modelfolder` (PyPI nnunetv2) runs with the manifest's patch (48^3), step 0.5,
Gaussian weighting, z-score normalisation of the non-zero foreground and 1 mm spacing:

    MODEL/dataset.json, MODEL/plans.json, MODEL/fold_0/checkpoint_final.pth

Axes: nnU-Net's SimpleITK reader gives arrays (z, y, x), which is the ONNX tensor's (k, j, i).

    python3 Scripts/reference/nnunet_model_folder.py Models/brats-wt-3d OUT_FOLDER
(used by Benchmarks/batch/nnunet.sh; the benchmark needs Python, the product and tests do not).
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime
import torch
from onnx import numpy_helper
from torch import nn
from dynamic_network_architectures.architectures.unet import PlainConvUNet


def main(package: str, out: str) -> None:
    manifest = json.load(open(os.path.join(package, "manifest.json")))
    onnx_path = os.path.join(package, manifest["network"]["file"])
    weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(onnx_path).graph.initializer}
    features = [weights[f"encoders.{s}.0.weight"].shape[0] for s in range(4)]
    channels = len(manifest["inputs"])
    classes = manifest["output"]["classes"]
    patch = [int(v) for v in reversed(manifest["patchSizeIJK"])]  # (k, j, i) = nnU-Net's (z, y, x)
    arch_kwargs = {
        "n_stages": 4, "features_per_stage": features, "conv_op": "torch.nn.modules.conv.Conv3d",
        "kernel_sizes": [[3, 3, 3]] * 4, "strides": [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]],
        "n_conv_per_stage": [2, 2, 2, 2], "n_conv_per_stage_decoder": [2, 2, 2], "conv_bias": True,
        "norm_op": "torch.nn.modules.instancenorm.InstanceNorm3d", "norm_op_kwargs": {"eps": 1e-05, "affine": True},
        "dropout_op": None, "dropout_op_kwargs": None, "nonlin": "torch.nn.LeakyReLU",
        "nonlin_kwargs": {"inplace": True, "negative_slope": 0.01},
    }
    net = PlainConvUNet(channels, 4, features, nn.Conv3d, 3, [1, 2, 2, 2], 2, classes, 2, conv_bias=True,
                        norm_op=nn.InstanceNorm3d, norm_op_kwargs={"eps": 1e-5, "affine": True},
                        nonlin=nn.LeakyReLU, nonlin_kwargs={"inplace": True, "negative_slope": 0.01}, deep_supervision=False)
    # ConvBlock indices of Scripts/train/unet.py: 0 conv, 1 norm, (2 relu), 3 conv, 4 norm.
    def block(target, prefix):
        for c, (conv, norm) in enumerate([(0, 1), (3, 4)]):
            unit = target.convs[c]
            unit.conv.weight.data.copy_(weights[f"{prefix}.{conv}.weight"]); unit.conv.bias.data.copy_(weights[f"{prefix}.{conv}.bias"])
            unit.norm.weight.data.copy_(weights[f"{prefix}.{norm}.weight"]); unit.norm.bias.data.copy_(weights[f"{prefix}.{norm}.bias"])
    for s in range(4):
        block(net.encoder.stages[s][0], f"encoders.{s}")
    for s in range(3):
        net.decoder.transpconvs[s].weight.data.copy_(weights[f"ups.{s}.weight"])
        net.decoder.transpconvs[s].bias.data.copy_(weights[f"ups.{s}.bias"])
        block(net.decoder.stages[s], f"decoders.{s}")
    net.decoder.seg_layers[-1].weight.data.copy_(weights["head.weight"])
    net.decoder.seg_layers[-1].bias.data.copy_(weights["head.bias"])
    net.eval()

    # The same function: PyTorch (nnU-Net's class) against onnxruntime (the file SegStation runs).
    x = np.random.default_rng(0).standard_normal((1, channels, *patch)).astype(np.float32)
    with torch.no_grad():
        ours = net(torch.from_numpy(x)).numpy()
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    reference = session.run(None, {manifest["network"]["inputName"]: x})[0]
    diff = float(np.abs(ours - reference).max())
    print(f"max |PlainConvUNet - onnxruntime| on a random {patch} patch: {diff:.2e}", file=sys.stderr)
    if diff > 1e-3:
        sys.exit(f"the networks differ (max abs difference {diff})")

    names = [i["name"] for i in manifest["inputs"]]
    labels = {"background": 0, **{l["name"]: l["value"] for l in manifest["labels"]}}
    dataset = {"channel_names": {str(n): name for n, name in enumerate(names)}, "labels": labels,
               "numTraining": 3, "file_ending": ".nii.gz"}
    spacing = [float(v) for v in reversed(manifest["targetSpacingMM"])]
    foreground = {"max": 1.0, "mean": 0.0, "median": 0.0, "min": 0.0, "percentile_00_5": 0.0, "percentile_99_5": 1.0, "std": 1.0}
    resample = "nnunetv2.preprocessing.resampling.default_resampling.resample_data_or_seg_to_shape"
    plans = {
        "dataset_name": "Dataset999_SegStationBench", "plans_name": "nnUNetPlans",
        "original_median_spacing_after_transp": spacing, "original_median_shape_after_transp": [128, 128, 128],
        "image_reader_writer": "SimpleITKIO", "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
        "configurations": {"3d_fullres": {
            "data_identifier": "nnUNetPlans_3d_fullres", "preprocessor_name": "DefaultPreprocessor", "batch_size": 2,
            "patch_size": patch, "median_image_size_in_voxels": [128, 128, 128], "spacing": spacing,
            "normalization_schemes": ["ZScoreNormalization"] * channels, "use_mask_for_norm": [True] * channels,
            "resampling_fn_data": resample, "resampling_fn_data_kwargs": {"is_seg": False, "order": 3, "order_z": 0, "force_separate_z": None},
            "resampling_fn_seg": resample, "resampling_fn_seg_kwargs": {"is_seg": True, "order": 1, "order_z": 0, "force_separate_z": None},
            "resampling_fn_probabilities": resample,
            "resampling_fn_probabilities_kwargs": {"is_seg": False, "order": 1, "order_z": 0, "force_separate_z": None},
            "architecture": {"network_class_name": "dynamic_network_architectures.architectures.unet.PlainConvUNet",
                             "arch_kwargs": arch_kwargs, "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"]},
            "batch_dice": False,
        }},
        "experiment_planner_used": "ExperimentPlanner", "label_manager": "LabelManager",
        "foreground_intensity_properties_per_channel": {str(n): foreground for n in range(channels)},
    }
    os.makedirs(os.path.join(out, "fold_0"), exist_ok=True)
    json.dump(dataset, open(os.path.join(out, "dataset.json"), "w"), indent=2)
    json.dump(plans, open(os.path.join(out, "plans.json"), "w"), indent=2)
    torch.save({"network_weights": net.state_dict(), "trainer_name": "nnUNetTrainer",
                "init_args": {"plans": plans, "configuration": "3d_fullres", "fold": 0, "dataset_json": dataset},
                "inference_allowed_mirroring_axes": (0, 1, 2)},
               os.path.join(out, "fold_0", "checkpoint_final.pth"))
    print(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: nnunet_model_folder.py MODEL_PACKAGE OUT_FOLDER")
    main(sys.argv[1], sys.argv[2])
